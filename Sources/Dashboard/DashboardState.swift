/// A key press as the dashboard sees it (the backend translates terminal input into these).
public enum KeyInput: Sendable, Equatable {
    case char(Character)
    case enter, escape, tab, backspace, up, down, left, right, resize
}

/// Which slice of history the charts show (`Tab` cycles).
public enum ChartView: String, Sendable, CaseIterable {
    /// Every epoch since the start, per-epoch points plus the per-batch loss.
    case whole
    /// The newest part: the last few epochs' worth of batches.
    case recent
    /// Per-update values only (batch loss, applied learning rate).
    case perBatch = "per-batch"

    public var next: ChartView {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// The UI's own state (what is shown), separate from the trainer's snapshot.
///
/// Thread-safety: a value; owned by the UI thread.
public struct DashboardState: Sendable, Equatable {
    public var themeIndex = 0
    public var showDigits = false
    public var showHelp = false
    public var chartView: ChartView = .whole
    public var logScaleLR = false
    /// The metrics drawn as line charts (`--charts loss,mae`, changed by `m`); nil = `loss` and the run's first
    /// other metric (`MetricPanels.charted`).
    public var charts: [String]?
    /// Comparison view: training series instead of validation ones (`v`).
    public var compareTraining = false
    /// Text typed after `l`, while entering an exact learning rate; `nil` otherwise.
    public var lrInput: String?
    /// A transient status message (e.g. "not a number: 0.x", "theme: nord"), shown on the hint line; cleared by
    /// the next key press.
    public var message: String?
    /// The current theme's name, set by the app (the reducer only knows `themeIndex`); shown in the help overlay.
    public var themeName: String?
    /// Set once the user asked to quit (after training stops, the app exits).
    public var quitRequested = false
    /// True when the user asked to leave without the summary screen.
    public var skipSummary = false
    /// False for a read-only run source (a finished run's files): the steering keys (`KeyMap.steeringKeys`) do
    /// nothing but say so, `q` leaves at once, and the key hints show "read-only". Set by the app from the source.
    public var canSteer = true
    /// True for an attached run (`trainboard attach`): `q` detaches at once and the run goes on, so the key hints and
    /// the help say "q detach" instead of "q quit (stops training first)". Set by the app from the source.
    public var detachOnQuit = false

    public init() {}
}

/// What a key press asks the application to do, besides changing `DashboardState`.
public enum DashboardEffect: Sendable, Equatable {
    /// Send this command to the trainer.
    case command(ControlCommand)
    /// Leave the dashboard now (training is over or the user pressed `q` twice).
    case exit
    /// Redraw everything (e.g. after a resize).
    case redraw
}

/// The key map (also rendered by the help overlay and the key-hint line).
public enum KeyMap {
    /// (keys, what they do), in help order.
    public static let bindings: [(String, String)] = [
        ("p/Space", "pause / resume"),
        ("c", "checkpoint now"),
        ("s", "stop early (keeps the dashboard open)"),
        ("q", "quit (stops training first; again: skip summary)"),
        ("+ / -", "learning rate x1.25 / x0.8"),
        ("l", "type an exact learning rate"),
        ("t", "next theme"),
        ("d", "digit preview"),
        ("Tab", "chart view: whole / recent / per-batch"),
        ("g", "learning-rate log scale"),
        ("m", "next metric in the metric chart (accuracy, mae, auc, ...)"),
        ("?", "this help"),
        ("Esc", "close help / cancel input"),
    ]

    /// The `q` binding of an attached run (`DashboardState.detachOnQuit`), in place of the one in `bindings`.
    public static let detachBinding = ("q", "detach (the run goes on; no summary)")

    /// The help's bindings for a source: `bindings`, with `q` as `detachBinding` when `detachOnQuit`.
    public static func helpBindings(detachOnQuit: Bool) -> [(String, String)] {
        detachOnQuit ? bindings.map { $0.0 == "q" ? detachBinding : $0 } : bindings
    }

    /// The short hints of a source: `hints`, with `q` as "detach" when `detachOnQuit`.
    public static func hintList(detachOnQuit: Bool) -> [(String, String)] {
        detachOnQuit ? hints.map { $0.0 == "q" ? ("q", "detach") : $0 } : hints
    }

    /// The keys that steer training: off for a read-only source (a replayed run).
    public static let steeringKeys: Set<String> = ["p/Space", "c", "s", "+ / -", "l"]

    /// The hints of a read-only source: the steering keys are listed as off.
    public static let readOnlyHints: [(String, String)] = [
        ("p c s +/- l", "off (read-only)"), ("q", "quit"), ("m", "metric"), ("Tab", "view"), ("g", "lr log"),
        ("t", "theme"), ("?", "help"),
    ]

    /// The short hints always visible at the bottom.
    public static let hints: [(String, String)] = [
        ("p", "pause"), ("c", "ckpt"), ("s", "stop"), ("q", "quit"), ("+/-", "lr"), ("l", "set lr"), ("t", "theme"),
        ("d", "digits"), ("Tab", "view"), ("?", "help"),
    ]
}

/// The pure key -> (state change, effects) reducer.
public enum DashboardReducer {
    /// Applies `key` to `state`. `status` is the trainer's status (quit semantics depend on it); `themeCount` is the
    /// number of available themes.
    ///
    /// With `readOnly` (a replayed run; also when `state.canSteer` is false), the steering keys (`p`, Space, `c`, `s`, `+`, `-`, `l`) only say that they
    /// are off. `metrics` are the run's metrics (`TrainingSnapshot.metricNames`), which `m` cycles through.
    public static func reduce(_ state: inout DashboardState, key: KeyInput, status: TrainingStatus,
                              themeCount: Int, readOnly: Bool = false, metrics: [String] = []) -> [DashboardEffect] {
        state.message = nil
        let readOnly = readOnly || !state.canSteer
        if readOnly, state.lrInput == nil,
           [.char("p"), .char(" "), .char("c"), .char("s"), .char("+"), .char("="), .char("-"), .char("_"),
            .char("l")].contains(key) {
            state.message = "read-only: a finished run cannot be steered"
            return []
        }
        if var text = state.lrInput {
            switch key {
            case .escape:
                state.lrInput = nil
            case .enter:
                state.lrInput = nil
                let t = text.trimmingCharacters(in: .whitespaces)
                if let v = Double(t), v.isFinite, v > 0 {
                    return [.command(.setLearningRate(v))]
                }
                state.message = "not a positive number: '\(t)'"
            case .backspace:
                if !text.isEmpty { text.removeLast() }
                state.lrInput = text
            case .char(let c) where c.isNumber || "+-.eE".contains(c):
                if text.count < 24 { text.append(c) }
                state.lrInput = text
            default:
                break
            }
            return []
        }
        if state.showHelp, key == .escape || key == .char("?") || key == .char("q") {
            state.showHelp = false
            return []
        }
        // A read-only source leaves at the first `q` (there is no training to stop).
        if readOnly, key == .char("q") || key == .char("Q") { return [.exit] }
        switch key {
        case .char("p"), .char(" "):
            return status.isTerminal ? [] : [.command(.togglePause)]
        case .char("c"):
            return status.isTerminal ? [] : [.command(.checkpoint)]
        case .char("s"):
            return status.isTerminal ? [] : [.command(.stop)]
        case .char("q"), .char("Q"):
            if state.quitRequested || status.isTerminal {
                state.skipSummary = state.quitRequested
                return [.exit]
            }
            state.quitRequested = true
            state.message = "stopping; press q again to leave without the summary"
            return [.command(.stop)]
        case .char("+"), .char("="):
            return status.isTerminal ? [] : [.command(.scaleLearningRate(1.25))]
        case .char("-"), .char("_"):
            return status.isTerminal ? [] : [.command(.scaleLearningRate(0.8))]
        case .char("l"):
            if !status.isTerminal { state.lrInput = "" }
            return []
        case .char("t"):
            state.themeIndex = themeCount > 0 ? (state.themeIndex + 1) % themeCount : 0
            return [.redraw]
        case .char("d"):
            state.showDigits.toggle()
            return []
        case .tab:
            state.chartView = state.chartView.next
            return []
        case .char("g"):
            state.logScaleLR.toggle()
            return []
        case .char("m"):
            let current = MetricPanels.charted(requested: state.charts, metrics: metrics)
            if let next = MetricPanels.cycled(current, metrics: metrics) {
                state.charts = next
                state.message = "charts: " + next.joined(separator: ", ")
            } else {
                state.message = metrics.isEmpty ? "no metrics logged yet" : "no other metric to chart"
            }
            return []
        case .char("v"):
            state.compareTraining.toggle()
            state.message = state.compareTraining ? "training series" : "validation series"
            return []
        case .char("?"):
            state.showHelp.toggle()
            return []
        case .escape:
            state.showHelp = false
            return []
        case .resize:
            return [.redraw]
        default:
            return []
        }
    }
}

import Foundation
