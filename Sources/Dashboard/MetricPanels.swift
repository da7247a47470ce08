/// Whether a metric's best value is its lowest or its highest (Keras 3's `_direction`: `"down"` / `"up"`).
public enum MetricGoal: String, Sendable, Equatable {
    case minimize = "min", maximize = "max"
}

/// Which charts the dashboard draws, derived from the metric names a run logs (never from fixed names), in
/// Keras's pairing: metric `x` and its validation form `val_x` share one panel.
///
/// A *metric* here is a base name: `loss`, `accuracy`, `mae`, `auc`, ... (a key without its `val_` prefix). The
/// learning rate (`learning_rate`, Keras 2's `lr`) has its own chart and is not a metric.
///
/// Thread-safety: stateless.
public enum MetricPanels {
    /// Keys that are not metrics: the learning rate (its own chart) and the row index.
    public static let nonMetricKeys: Set<String> = ["learning_rate", "lr", "epoch"]

    /// The metrics of `keys` (log keys such as `loss`, `val_loss`, `accuracy`, `val_auc`): `loss` first when
    /// logged, then the others in the order they first appear (a `val_x` without `x` counts as `x`). Duplicates and
    /// non-metric keys (`nonMetricKeys`) are dropped.
    public static func metrics<S: Sequence>(in keys: S) -> [String] where S.Element == String {
        var out: [String] = []
        var seen = Set<String>()
        for key in keys {
            let base = baseName(key)
            guard !nonMetricKeys.contains(base), !base.isEmpty, seen.insert(base).inserted else { continue }
            out.append(base)
        }
        if let i = out.firstIndex(of: "loss"), i > 0 { out.remove(at: i); out.insert("loss", at: 0) }
        return out
    }

    /// `key` without one `val_` prefix.
    public static func baseName(_ key: String) -> String {
        key.hasPrefix("val_") ? String(key.dropFirst(4)) : key
    }

    /// The metrics drawn as line charts, in order: `requested` (from `--charts` or the `m` key) restricted to the
    /// available `metrics` when given, else `loss` and the first other metric (`accuracy` for a classifier, `mae` for
    /// a regression). The other metrics get one-row sparklines.
    public static func charted(requested: [String]?, metrics: [String]) -> [String] {
        if let requested {
            let kept = requested.filter { metrics.contains($0) || metrics.isEmpty }
            if !kept.isEmpty { return kept }
        }
        var out = metrics.contains("loss") || metrics.isEmpty ? ["loss"] : []
        if let other = metrics.first(where: { $0 != "loss" }) { out.append(other) }
        return out
    }

    /// The charted metrics after the `m` key: the last charted metric other than `loss` is replaced by the next
    /// metric (in `metrics` order, cyclically) that is not charted yet; with only `loss` charted, the first other
    /// metric is added. `nil` when there is no other metric to show.
    public static func cycled(_ charted: [String], metrics: [String]) -> [String]? {
        let others = metrics.filter { $0 != "loss" }
        guard !others.isEmpty else { return nil }
        guard let slot = charted.lastIndex(where: { $0 != "loss" }) else { return charted + [others[0]] }
        let current = charted[slot]
        let start = others.firstIndex(of: current) ?? -1
        for step in 1...others.count {
            let candidate = others[(start + step) % others.count]
            if candidate == current { return nil }      // wrapped around: every other metric is charted already
            if !charted.contains(candidate) {
                var out = charted
                out[slot] = candidate
                return out
            }
        }
        return nil
    }

    /// The direction of `metric` from `goals` (which the run source fills with Keras 3's directions); without an
    /// entry, `loss` (and names ending in `_loss`) is minimized and `accuracy`-like names (`acc`, `*accuracy`)
    /// maximized, other names have no known direction.
    public static func goal(of metric: String, goals: [String: MetricGoal]) -> MetricGoal? {
        let base = baseName(metric)
        if let g = goals[base] ?? goals[metric] { return g }
        if base == "loss" || base.hasSuffix("_loss") { return .minimize }
        return base == "acc" || base.hasSuffix("accuracy") ? .maximize : nil
    }

    /// The best finite value of `values` and its index for `goal` (the first one on ties); lowest when `goal` is nil.
    public static func best(_ values: [Double], goal: MetricGoal?) -> (index: Int, value: Double)? {
        var found: (index: Int, value: Double)?
        for (i, v) in values.enumerated() where v.isFinite {
            guard let b = found else { found = (i, v); continue }
            if goal == .maximize ? v > b.value : v < b.value { found = (i, v) }
        }
        return found
    }
}

extension TrainingSnapshot {
    /// The metrics this run logs (`MetricPanels.metrics`), from the declared `metricKeys` and the keys already in
    /// `epochMetrics`: `loss` first, declared keys in their order, then keys seen only in the logs (sorted).
    public var metricNames: [String] {
        MetricPanels.metrics(in: metricKeys + epochMetrics.keys.sorted().filter { !metricKeys.contains($0) })
    }

    /// The metric charted with `loss` by default: `accuracy`, `mae` or whatever the run's first other metric is.
    public var primaryMetric: String? { metricNames.first { $0 != "loss" } }
}
