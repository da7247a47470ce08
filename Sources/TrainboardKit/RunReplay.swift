import Dashboard
import Foundation
import NeuralEngine

/// A finished run as the dashboard shows it: a `RunLog` (and optionally its control journal) turned into a
/// read-only `TrainingSnapshot`, so that every view of the live dashboard (whole, recent, epoch table, learning-rate
/// log scale, themes) works on it.
///
/// Epochs are placed as the live dashboard places them (row `i` ends at x = i + 1); a log has no update counts, so
/// the snapshot uses `chartStepsPerEpoch` synthetic updates per epoch, and journal entries are placed inside their
/// epoch from their `update` with the run's steps per epoch estimated from the journal (`estimatedStepsPerEpoch`),
/// or in the middle of the epoch when the journal cannot tell.
///
/// Thread-safety: stateless.
public enum RunReplay {
    /// Synthetic updates per epoch of a replayed snapshot (the resolution of marks inside an epoch).
    public static let chartStepsPerEpoch = 1_000

    /// Keras 3's direction of each metric of `keys` (`MonitorCallback.inferDirection`): `loss`, `mae`, ... minimized,
    /// `accuracy`, `auc`, `precision`, ... maximized; unknown names are left out.
    public static func goals<S: Sequence>(for keys: S) -> [String: MetricGoal] where S.Element == String {
        var out: [String: MetricGoal] = [:]
        for m in MetricPanels.metrics(in: keys) {
            switch MonitorCallback.inferDirection(for: m) {
            case .maximize?: out[m] = .maximize
            case .minimize?: out[m] = .minimize
            case nil: break
            }
        }
        return out
    }

    /// A warning when `journal` cannot belong to the run that wrote `log`: an action at an epoch (0-based) after the
    /// epoch that follows the log's last row (a stop may fall in the epoch the log did not finish), or before the
    /// log's first row. A journal does not name its run, so this is the check there is; nil when nothing is amiss.
    public static func journalMismatch(_ log: RunLog, journal: [JournalEntry], journalPath: String) -> String? {
        guard let first = log.epochs.first, let last = log.epochs.last, !journal.isEmpty else { return nil }
        let bad = journal.filter { $0.epoch > last + 1 || $0.epoch < first }
        guard let e = bad.first else { return nil }
        return "warning: \(journalPath): \(bad.count) of \(journal.count) actions fall outside \(log.path)'s epochs "
            + "\(first)-\(last) (0-based, as logged), the first \(e.action) at epoch \(e.epoch): is it this run's journal? "
            + "Those actions are shown at the nearest logged epoch"
    }

    /// The snapshot of `log`, with the actions of `journal` as events at the epoch (and, where it can be told, the
    /// place inside the epoch) where they happened, and one `nan` event at the first row holding a non-finite value.
    public static func snapshot(_ log: RunLog, journal: [JournalEntry] = [], journalPath: String? = nil) -> TrainingSnapshot {
        let steps = chartStepsPerEpoch
        let n = log.count
        var s = TrainingSnapshot()
        s.isReadOnly = true
        s.title = "Trainboard replay: \(log.name)"
        let span = n > 0 ? " (epochs \(log.epochs[0])-\(log.epochs[n - 1]) as logged)" : ""
        s.dataDescription = "\(log.path): \(log.format == .csv ? "CSV log" : "JSON-lines log"), \(n) epochs\(span)"
        s.modelDescription = "logged: " + log.keys.joined(separator: ", ")
        if let journalPath { s.optimizerDescription = "journal \(journalPath): \(journal.count) actions" }
        s.status = .finished("replay of \(log.name), \(n) epoch\(n == 1 ? "" : "s")")
        s.epochs = n
        s.epoch = n - 1
        s.stepsPerEpoch = steps
        s.batchesDone = steps
        s.updates = n * steps
        for k in log.keys { s.epochMetrics[k] = (log.values[k] ?? []).map { $0 ?? .nan } }
        s.metricKeys = log.keys
        s.metricGoals = goals(for: log.keys)
        let rates = log.values["learning_rate"] ?? log.values["lr"] ?? []
        s.learningRate = rates.last { $0?.isFinite == true }.flatMap { $0 } ?? 0
        // The best epoch by val_loss (loss without validation), as EarlyStopping's default monitor.
        let monitor = log.values["val_loss"] != nil ? "val_loss" : log.values["loss"] != nil ? "loss" : nil
        if let monitor, let b = MetricPanels.best(s.epochMetrics[monitor] ?? [], goal: .minimize) {
            s.monitor = monitor
            s.bestEpoch = b.index
            s.bestValue = b.value
        }
        if let row = (0..<n).first(where: { i in log.keys.contains { log.values[$0]?[i].map { !$0.isFinite } == true } }) {
            let bad = log.keys.filter { log.values[$0]?[row].map { !$0.isFinite } == true }
            let text = bad.prefix(4).map { "\($0) \(NumberFormatting.plain(log.values[$0]![row]!))" }
                .joined(separator: ", ") + (bad.count > 4 ? ", ..." : "")
            s.events.append(TrainingEvent(kind: .nan, epoch: row, update: (row + 1) * steps, time: 0,
                                          message: "non-finite: \(text)"))
        }
        s.events += events(journal, log: log)
        s.events.sort { $0.update < $1.update }
        s.elapsed = journal.map(\.time).max() ?? 0
        s.summary = []
        return s
    }

    /// `log` as one run of `trainboard compare` (missing values as NaN).
    public static func comparedRun(_ log: RunLog) -> ComparedRun {
        var metrics: [String: [Double]] = [:]
        for k in log.keys { metrics[k] = (log.values[k] ?? []).map { $0 ?? .nan } }
        return ComparedRun(name: log.name, epochMetrics: metrics, keys: log.keys, epochs: log.epochs)
    }

    /// `--charts m,m,...`: metric names (a `val_` prefix is dropped: `val_mae` charts `mae` with its validation
    /// form), each one of `metrics`, without repeats.
    ///
    /// - Throws: `ConfigurationError` for `charts` naming the unknown or repeated metric and listing `metrics`.
    public static func parseCharts(_ spec: String, metrics: [String], what: String = "the log") throws -> [String] {
        var out: [String] = []
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let name = MetricPanels.baseName(part.trimmingCharacters(in: .whitespaces))
            guard metrics.contains(name) else {
                throw ConfigurationError(key: "charts", "'\(name)' is not a metric of \(what); its metrics are: "
                                         + metrics.joined(separator: ", "))
            }
            guard !out.contains(name) else { throw ConfigurationError(key: "charts", "'\(name)' is listed twice") }
            out.append(name)
        }
        return out
    }

    /// The run's optimizer updates per epoch as far as the journal tells: an entry at epoch e (0-based) and update u
    /// means e * steps <= u < (e + 1) * steps; the largest steps every entry allows, or nil when no entry after the
    /// first epoch bounds it (or the entries disagree).
    public static func estimatedStepsPerEpoch(_ journal: [JournalEntry]) -> Int? {
        var lo = 1, hi = Int.max
        for j in journal {
            lo = max(lo, j.update / (j.epoch + 1) + 1)
            if j.epoch > 0 { hi = min(hi, j.update / j.epoch) }
        }
        return hi != Int.max && lo <= hi ? hi : nil
    }

    /// The journal's actions as events, placed at their row of `log` (the row whose `epoch` is the entry's epoch).
    static func events(_ journal: [JournalEntry], log: RunLog) -> [TrainingEvent] {
        let steps = chartStepsPerEpoch
        let runSteps = estimatedStepsPerEpoch(journal)
        var out: [TrainingEvent] = []
        for j in journal {
            let row = log.epochs.firstIndex(of: j.epoch) ?? min(j.epoch, max(0, log.count - 1))
            var fraction = 0.5
            if let runSteps, runSteps > 0 {
                fraction = min(0.999, max(0, Double(j.update - j.epoch * runSteps) / Double(runSteps)))
            }
            let kind: TrainingEvent.Kind
            var text: String
            switch j.action {
            case "pause": kind = .pause; text = "paused"
            case "resume": kind = .resume; text = "resumed"
            case "checkpoint": kind = .checkpoint; text = "checkpoint " + (j.path ?? "")
            case "checkpoint_failed": kind = .warning; text = "checkpoint failed " + (j.path ?? "")
            case "stop": kind = .stop; text = "stopped by the user"
            case "lr_scale":
                kind = .learningRate
                text = "lr x\(NumberFormatting.plain(j.factor ?? 1)) -> \(NumberFormatting.plain(j.learningRate ?? 0))"
            case "lr_set": kind = .learningRate; text = "lr set to \(NumberFormatting.plain(j.learningRate ?? 0))"
            default: kind = .info; text = j.action
            }
            text += " (update \(j.update))"
            out.append(TrainingEvent(kind: kind, epoch: row, update: Int((Double(row) + fraction) * Double(steps)),
                                     time: j.time, message: text.trimmingCharacters(in: .whitespaces)))
        }
        return out
    }
}

/// The headless form of `trainboard replay` and `compare`: one row per run, named by its file name, with the best
/// value of every logged metric and the epoch where it was reached, and the final learning rate.
///
/// Thread-safety: stateless.
public enum RunSummary {
    /// The best value of one key of one run.
    public struct Best: Equatable, Sendable {
        /// `min`, `max`, or `last` when the metric's direction is unknown (then the last finite value is shown).
        public var rule: String
        public var value: Double
        /// The log's `epoch` value of that row.
        public var epoch: Int
    }

    /// The best finite value of `key` in `log` (Keras 3's direction; `last` when unknown), nil without one.
    public static func best(_ log: RunLog, key: String) -> Best? {
        let values = (log.values[key] ?? []).map { $0 ?? .nan }
        let goal = MetricPanels.goal(of: key, goals: RunReplay.goals(for: [key]))
        if let goal {
            guard let b = MetricPanels.best(values, goal: goal) else { return nil }
            return Best(rule: goal.rawValue, value: b.value, epoch: log.epochs[b.index])
        }
        guard let i = values.lastIndex(where: \.isFinite) else { return nil }
        return Best(rule: "last", value: values[i], epoch: log.epochs[i])
    }

    /// The columns of the table for `logs`: training keys of every metric (`MetricPanels` order), then their
    /// validation keys, each when some run logs it.
    public static func columns(_ logs: [RunLog]) -> [String] {
        var all: [String] = []
        for l in logs { for k in l.keys where !all.contains(k) { all.append(k) } }
        let metrics = MetricPanels.metrics(in: all)
        return metrics.filter(all.contains) + metrics.map { "val_" + $0 }.filter(all.contains)
    }

    /// The summary table as text: a header line, one line per run, columns aligned with spaces. A cell is
    /// `value @epoch` (`%.6g`; the epoch counted from 1, as `train`'s summary and Keras's `Epoch 3/10` count it, so
    /// a Keras CSV log's row `epoch,2` is `@3`); `-` when the run does not log the
    /// key or has no finite value of it. `final lr` is the last finite `learning_rate` (or `lr`); `non-finite` the
    /// first epoch holding a NaN or infinite value.
    public static func table(_ logs: [RunLog]) -> String {
        let keys = columns(logs)
        let rule = Dictionary(uniqueKeysWithValues: keys.map { k in
            (k, MetricPanels.goal(of: k, goals: RunReplay.goals(for: [k]))?.rawValue ?? "last")
        })
        var header = ["run", "epochs"] + keys.map { "\($0) (\(rule[$0]!))" }
        let hasRate = logs.contains { $0.values["learning_rate"] != nil || $0.values["lr"] != nil }
        if hasRate { header.append("final lr") }
        header.append("non-finite")
        var rows: [[String]] = []
        for l in logs {
            var row = [l.name, String(l.count)]
            for k in keys {
                row.append(best(l, key: k).map { "\(format($0.value)) @\($0.epoch + 1)" } ?? "-")
            }
            if hasRate {
                let rates = l.values["learning_rate"] ?? l.values["lr"] ?? []
                row.append(rates.last { $0?.isFinite == true }.flatMap { $0 }.map(format) ?? "-")
            }
            let bad = (0..<l.count).first { i in l.keys.contains { l.values[$0]?[i].map { !$0.isFinite } == true } }
            row.append(bad.map { i in
                let k = l.keys.first { l.values[$0]?[i].map { !$0.isFinite } == true }!
                return "\(k) \(NumberFormatting.plain(l.values[k]![i]!)) @\(l.epochs[i] + 1)"
            } ?? "-")
            rows.append(row)
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, t in
                c == cells.count - 1 ? t : t.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// `%.6g`, with `nan`, `inf`, `-inf` as Keras writes them.
    static func format(_ v: Double) -> String {
        v.isFinite ? String(format: "%.6g", v) : NumberFormatting.plain(v)
    }
}
