import Foundation
import TerminalUI

/// One run of a comparison: its name (the log's file name) and its per-epoch logs.
///
/// Thread-safety: a value; safe to send between threads.
public struct ComparedRun: Sendable {
    public var name: String
    /// Per-epoch logs keyed by Keras names (`loss`, `val_loss`, `accuracy`, `learning_rate`, ...), row `i` = the
    /// run's i-th logged epoch; NaN where a value is missing or non-finite.
    public var epochMetrics: [String: [Double]]
    /// The keys in the log's order.
    public var keys: [String]
    /// The log's `epoch` value of each row (Keras counts from 0); the table names best epochs by it.
    public var epochs: [Int]
    public init(name: String, epochMetrics: [String: [Double]], keys: [String], epochs: [Int]) {
        self.name = name; self.epochMetrics = epochMetrics; self.keys = keys; self.epochs = epochs
    }
    /// Epochs logged.
    public var count: Int { epochMetrics.values.map(\.count).max() ?? 0 }
}

/// `trainboard compare`: up to four finished runs on the same charts (loss, the chosen metric, the learning rate),
/// one colour per run from the theme (`run1` ... `run4`), a legend, and a table of each run's best values.
///
/// Each chart draws, per run, the validation series of its metric (the training series after `v`); a run without that
/// series is left out of the chart and shows `-` in the table, never the other series under its name. x is the epoch (row `i` ends at x = i + 1), so runs of different lengths share the axis up to the
/// longest. A run that does not log the chart's metric is absent from that chart and shows `-` in the table.
/// Keys: `m` next metric, `v` training / validation, Tab whole / recent, `g` log-scale learning rate, `t` theme,
/// `?` help, `q` quit.
///
/// Thread-safety: a value; render on the UI thread.
public struct CompareView: Sendable {
    public var runs: [ComparedRun]
    public var state: DashboardState
    public var theme: Theme
    public var symbols: Symbols
    /// Metric directions (Keras 3's), for the "best" column; loss minimized by default.
    public var goals: [String: MetricGoal]

    /// The most runs compared (one theme colour each).
    public static let maximumRuns = 4

    public init(runs: [ComparedRun], state: DashboardState, theme: Theme, symbols: Symbols,
                goals: [String: MetricGoal] = [:]) {
        self.runs = Array(runs.prefix(Self.maximumRuns)); self.state = state; self.theme = theme
        self.symbols = symbols; self.goals = goals
    }

    /// The key hints at the bottom.
    public static let hints: [(String, String)] = [
        ("q", "quit"), ("m", "metric"), ("v", "train/val"), ("Tab", "view"), ("g", "lr log"), ("t", "theme"),
        ("?", "help"),
    ]

    /// The help overlay's lines.
    public static let bindings: [(String, String)] = [
        ("m", "next metric in the metric chart"),
        ("v", "training / validation series"),
        ("Tab", "chart view: whole / recent"),
        ("g", "learning-rate log scale"),
        ("t", "next theme"),
        ("q", "quit"),
        ("?", "this help"),
        ("p c s + - l", "off: runs read from files cannot be steered"),
    ]

    /// Every metric any run logs (`MetricPanels.metrics`, `loss` first).
    public var metrics: [String] { MetricPanels.metrics(in: runs.flatMap(\.keys)) }

    /// The metric of the middle chart: the last non-`loss` entry of `state.charts`, else the first other metric.
    public var chosenMetric: String? {
        if let c = state.charts?.last(where: { $0 != "loss" && metrics.contains($0) }) { return c }
        return metrics.first { $0 != "loss" }
    }

    /// The key of `metric` drawn for `run`: `val_` + metric, or the metric itself after `v` chose training; nil when
    /// the run does not log that series (a run without validation data has no place in the validation view).
    public func key(_ metric: String, for run: ComparedRun) -> String? {
        let k = state.compareTraining ? metric : "val_" + metric
        return run.epochMetrics[k] != nil ? k : nil
    }

    var helper: DashboardView { DashboardView(snapshot: TrainingSnapshot(), state: state, theme: theme, symbols: symbols) }

    /// The shared x window: the longest run (whole), or its last three epochs (recent).
    var window: DashboardView.ChartWindow {
        let longest = Double(max(1, runs.map(\.count).max() ?? 1))
        let lo = state.chartView == .recent ? max(0, longest - 3) : 0
        return .init(steps: 1, now: longest, lo: lo, hi: longest, showEpochSeries: true, showPlanned: false)
    }

    /// Renders the comparison into `buffer`.
    public func render(into buffer: inout CellBuffer) {
        let area = buffer.area
        guard DashboardView.beginFrame(&buffer, theme: theme, symbols: symbols) else { return }
        let tableRows = runs.count + 2
        let side = area.width >= 100
        let rows = Layout.vertical([.length(2), .fill(1), .length(side ? 0 : tableRows), .length(1)]).split(area)
        renderHeader(in: rows[0], into: &buffer)
        if side {
            let cols = Layout.horizontal([.fill(1), .length(min(56, area.width * 40 / 100))], spacing: 1).split(rows[1])
            renderCharts(in: cols[0], into: &buffer)
            renderTable(in: Rect(x: cols[1].x, y: cols[1].y, width: cols[1].width, height: min(cols[1].height, tableRows)),
                        into: &buffer)
        } else {
            renderCharts(in: rows[1], into: &buffer)
            renderTable(in: rows[2], into: &buffer)
        }
        renderHints(in: rows[3], into: &buffer)
        if state.showHelp { renderHelp(in: area, into: &buffer) }
    }

    func renderHeader(in area: Rect, into buffer: inout CellBuffer) {
        let status = "READ-ONLY"
        buffer.write(status, x: area.right - status.count, y: area.y, style: theme[.muted])
        let title = "Trainboard compare: \(runs.count) run\(runs.count == 1 ? "" : "s")"
        buffer.write(title, x: area.x, y: area.y, style: theme[.title], maxWidth: max(0, area.width - status.count - 1))
        guard area.height >= 2 else { return }
        // The legend: a line in each run's colour, then its name.
        var x = area.x
        let mark = symbols.isUnicode ? "━━" : "--"
        for (i, r) in runs.enumerated() where x < area.right {
            let style = theme[.run(i)]
            x += buffer.write(mark + " ", x: x, y: area.y + 1, style: style, maxWidth: area.right - x)
            let name = TextFormatting.truncate(r.name, width: max(4, (area.width / max(1, runs.count)) - 5),
                                               ellipsis: symbols.ellipsis)
            x += buffer.write(name + "  ", x: x, y: area.y + 1, style: style, maxWidth: area.right - x)
        }
    }

    /// Per run, the points of `key` (x = row + 1) inside the window.
    func points(_ values: [Double], window w: DashboardView.ChartWindow) -> (xs: [Double], ys: [Double]) {
        var xs: [Double] = [], ys: [Double] = []
        for (e, v) in values.enumerated() {
            let x = Double(e + 1)
            if x >= w.lo - 1e-9 && x <= w.hi + 1e-9 { xs.append(x); ys.append(v) }
        }
        return (xs, ys)
    }

    /// The learning rate as steps (held over each epoch), as the dashboard draws a replayed log.
    func rateSteps(_ values: [Double], window w: DashboardView.ChartWindow) -> (xs: [Double], ys: [Double]) {
        var xs: [Double] = [], ys: [Double] = []
        for (e, v) in values.enumerated() where Double(e + 1) > w.lo - 1e-9 && Double(e) < w.hi + 1e-9 {
            xs.append(max(Double(e), w.lo)); ys.append(v)
            xs.append(min(Double(e + 1), w.hi)); ys.append(v)
        }
        return (xs, ys)
    }

    func renderCharts(in area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let h = helper, w = window
        var panels: [(title: String, metric: String?)] = [("Loss", "loss")]
        if let m = chosenMetric { panels.append((DashboardView.chartTitle(m), m)) }
        let hasRate = runs.contains { $0.epochMetrics["learning_rate"] != nil || $0.epochMetrics["lr"] != nil }
        if hasRate { panels.append(("Learning rate", nil)) }
        let parts = Layout.vertical(panels.indices.map { $0 == 0 ? .fill(4) : .fill(3) }).split(area)
        var plans: [(DashboardView.ChartPlan, Rect)] = []
        for (k, p) in panels.enumerated() {
            var series: [ChartSeries] = []
            var legend: [(String, Style)] = []
            for (i, r) in runs.enumerated() {
                let style = theme[.run(i)]
                if let metric = p.metric {
                    guard let key = key(metric, for: r), let values = r.epochMetrics[key] else { continue }
                    let pts = points(values, window: w)
                    series.append(ChartSeries(name: r.name, xs: pts.xs, ys: pts.ys, style: style))
                    if i == 0 || !legend.contains(where: { $0.0 == key }) { legend.append((key, theme[.muted])) }
                } else if let values = r.epochMetrics["learning_rate"] ?? r.epochMetrics["lr"] {
                    let pts = rateSteps(values, window: w)
                    series.append(ChartSeries(name: r.name, xs: pts.xs, ys: pts.ys, style: style))
                }
            }
            if p.metric == nil && state.logScaleLR { legend.append(("(log)", theme[.muted])) }
            if p.metric != nil {
                legend.append(("[\(state.compareTraining ? "training" : "validation")]", theme[.muted]))
            }
            let inner = h.legendPanel(p.title, [legend, []], in: parts[k], into: &buffer)
            let rows = h.plotRows(inner, xLabels: k == panels.count - 1)
            plans.append((h.plan(series, logY: p.metric == nil && state.logScaleLR, markers: [],
                                 showXLabels: rows.labels, window: w, plotHeight: rows.rows), inner))
        }
        let axisWidth = plans.filter { !$0.1.isEmpty }.map { $0.0.labelWidth + 1 }.max() ?? 0
        for (p, inner) in plans where !inner.isEmpty { h.draw(p, window: w, axisWidth: axisWidth, in: inner, into: &buffer) }
    }

    /// The best value of `key` in `values` for its direction (`min` when unknown) as "value @epoch" (the epoch
    /// counted from 1, as in the headless summary and `train`'s), `-` without a finite value.
    func bestText(_ key: String, in run: ComparedRun, width: Int) -> String {
        let goal = MetricPanels.goal(of: key, goals: goals)
        guard let values = run.epochMetrics[key], let b = MetricPanels.best(values, goal: goal ?? .minimize) else { return "-" }
        let at = " @\((b.index < run.epochs.count ? run.epochs[b.index] : b.index) + 1)"
        return DashboardView.fitNumber(b.value, width: max(4, width - at.count)) + at
    }

    /// The best-values table: one row per run (in its colour): epochs, best loss, best of the chosen metric, final
    /// learning rate; values of the series the charts show.
    func renderTable(in area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 3 else { return }
        let inner = helper.panel("Best per run", in: area, into: &buffer)
        let metric = chosenMetric
        let lossKey = state.compareTraining ? "loss" : "val_loss"
        let metricKey = metric.map { state.compareTraining ? $0 : "val_" + $0 }
        var header = ["run", "ep", "best " + (lossKey == "loss" ? "loss" : "vloss")]
        if let metric { header.append("best " + (state.compareTraining ? "" : "v") + DashboardView.shortName(metric)) }
        header.append("last lr")
        let valueWidth = 11
        let nameWidth = max(6, inner.width - 3 - (header.count - 2) * (valueWidth + 1) - 1)
        for (c, t) in header.enumerated() {
            let x = c == 0 ? inner.x : c == 1 ? inner.x + nameWidth + 1 : inner.x + nameWidth + 5 + (c - 2) * (valueWidth + 1)
            buffer.write(t, x: x, y: inner.y, style: theme[.muted], maxWidth: max(0, inner.right - x))
        }
        for (i, r) in runs.enumerated() where inner.y + 1 + i < inner.bottom {
            let y = inner.y + 1 + i
            let style = theme[.run(i)]
            var cells = [TextFormatting.truncate(r.name, width: nameWidth, ellipsis: symbols.ellipsis), String(r.count)]
            cells.append(bestText(lossKey, in: r, width: valueWidth))
            if let metricKey { cells.append(bestText(metricKey, in: r, width: valueWidth)) }
            let rate = (r.epochMetrics["learning_rate"] ?? r.epochMetrics["lr"])?.last(where: \.isFinite)
            cells.append(rate.map { DashboardView.fitNumber($0, width: valueWidth) } ?? "-")
            for (c, t) in cells.enumerated() {
                let x = c == 0 ? inner.x : c == 1 ? inner.x + nameWidth + 1 : inner.x + nameWidth + 5 + (c - 2) * (valueWidth + 1)
                buffer.write(t, x: x, y: y, style: c == 0 ? style : theme[.text], maxWidth: max(0, inner.right - x))
            }
        }
    }

    func renderHints(in area: Rect, into buffer: inout CellBuffer) {
        var rest = area
        if let m = state.message, !m.isEmpty {
            let t = TextFormatting.truncate(m, width: area.width, ellipsis: symbols.ellipsis)
            let w = buffer.write(t, x: area.x, y: area.y, style: theme[.warning], maxWidth: area.width)
            rest = Rect(x: area.x + w + 2, y: area.y, width: max(0, area.width - w - 2), height: 1)
        }
        buffer.render(KeyHints(Self.hints.map { (key: $0.0, action: $0.1) }, keyStyle: theme[.key],
                               actionStyle: theme[.muted], symbols: symbols), in: rest)
    }

    func renderHelp(in area: Rect, into buffer: inout CellBuffer) {
        let keyW = Self.bindings.map(\.0.count).max() ?? 0
        var lines = Self.bindings.map { k, d in (k.padding(toLength: keyW, withPad: " ", startingAt: 0) + "  " + d, theme[.text]) }
        lines.append(("", theme[.text]))
        if let name = state.themeName, !name.isEmpty { lines.append(("theme: \(name)", theme[.title])) }
        lines.append(("Esc or ? closes this help", theme[.muted]))
        helper.box(title: "Keys", lines: lines, in: area, into: &buffer)
    }
}
