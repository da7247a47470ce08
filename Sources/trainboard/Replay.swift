import ArgumentParser
import Dashboard
import Foundation
import NCursesBackend
import TerminalUI
import TrainboardKit

/// `trainboard replay LOG [--journal J]`: a finished run's dashboard from its log files (read-only).
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a finished run from its log: a CSVLogger file (Trainboard's or Keras's) or a JSON-lines log.",
        discussion: """
        Every view of the dashboard works (whole / recent / epoch table, learning-rate log scale, themes); the \
        steering keys are off. Panels follow the metrics in the log (loss, accuracy, mae, auc, ...); nan and inf \
        values are shown. With --journal, the run's control journal marks pauses, checkpoints and learning-rate \
        changes where they happened. With --headless, or when stdout is not a terminal: a summary table (best value \
        and its epoch, as the log numbers it, for every metric; the final learning rate).
        Example: trainboard replay runs/log.csv --journal runs/trainboard-journal.jsonl
        """)

    @Argument(help: ArgumentHelp("The log: a CSV file with an epoch column, or JSON lines.", valueName: "log"))
    var log: String
    @Option(help: ArgumentHelp("The run's control journal (JSON lines).", valueName: "path")) var journal: String?
    @OptionGroup var view: ReplayViewOptions

    func run() throws {
        let runLog: RunLog
        var entries: [JournalEntry] = []
        do {
            runLog = try RunLog.read(log)
            if let journal { entries = try ControlJournal.read(journal) }
        } catch {
            printError("error: \(error)"); throw ExitCode(2)
        }
        if let journal, let warning = RunReplay.journalMismatch(runLog, journal: entries, journalPath: journal) {
            printError(warning)
        }
        let charts = try view.charts(metrics: MetricPanels.metrics(in: runLog.keys), files: [log])
        if try view.isHeadless() {
            print(RunSummary.table([runLog]))
            let events = RunReplay.snapshot(runLog, journal: entries, journalPath: journal).events
            // Epochs counted from 1, as in the table above and in train's output.
            for e in events { print("epoch \(runLog.epochs[min(e.epoch, runLog.count - 1)] + 1) \(e.kind.rawValue): \(e.message)") }
            return
        }
        let snapshot = RunReplay.snapshot(runLog, journal: entries, journalPath: journal)
        try ReadOnlyViewer(themeSpec: view.theme, charts: charts, metrics: snapshot.metricNames)
            .run(snapshot: snapshot, render: DashboardLoop.dashboardView)
    }
}

/// `trainboard compare A.csv B.csv [C.csv D.csv]`: up to four finished runs on the same charts.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Overlay two to four finished runs (their CSV or JSON-lines logs) on the same charts.",
        discussion: """
        Loss, the chosen metric (m cycles, or --charts) and the learning rate, one colour per run from the theme \
        (run1 ... run4), with a legend and a table of each run's best values; runs of different lengths and metric \
        sets are fine. With --headless, or when stdout is not a terminal: the summary table, one row per run.
        Example: trainboard compare sgd/log.csv adam/log.csv
        """)

    @Argument(help: ArgumentHelp("Two to four logs.", valueName: "log")) var logs: [String]
    @OptionGroup var view: ReplayViewOptions

    func run() throws {
        guard (2...CompareView.maximumRuns).contains(logs.count) else {
            printError("error: compare takes 2 to \(CompareView.maximumRuns) logs, got \(logs.count)"); throw ExitCode(2)
        }
        let runLogs: [RunLog]
        do { runLogs = try logs.map(RunLog.read) } catch { printError("error: \(error)"); throw ExitCode(2) }
        let metrics = MetricPanels.metrics(in: runLogs.flatMap(\.keys))
        let charts = try view.charts(metrics: metrics, files: logs)
        if try view.isHeadless() {
            print(RunSummary.table(runLogs))
            return
        }
        let runs = runLogs.map(RunReplay.comparedRun)
        let goals = RunReplay.goals(for: runLogs.flatMap(\.keys))
        // The channel carries the runs' metric names (for `m`) and the read-only flag; CompareView draws the runs.
        var snapshot = TrainingSnapshot()
        snapshot.isReadOnly = true
        snapshot.status = .finished("compare")
        snapshot.metricKeys = metrics
        try ReadOnlyViewer(themeSpec: view.theme, charts: charts, metrics: metrics)
            .run(snapshot: snapshot) { _, state, theme, symbols, buffer in
                CompareView(runs: runs, state: state, theme: theme, symbols: symbols, goals: goals).render(into: &buffer)
            }
    }
}

/// The view options shared by `replay` and `compare`.
struct ReplayViewOptions: ParsableArguments {
    @Flag(help: "No dashboard: print the summary table (also whenever stdout is not a terminal).") var headless = false
    @Option(help: ArgumentHelp("Metrics drawn as line charts, e.g. loss,mae (default: loss and the first other metric); the rest get sparkline rows. The m key changes it.", valueName: "m,m,..."))
    var charts: String?
    @Option(help: ArgumentHelp("Dashboard theme name (see `trainboard themes`) or a .theme file.", valueName: "name|path")) var theme: String?

    /// `--charts` checked against the logged metrics (exit 2 naming the unknown one and the metrics available).
    func charts(metrics: [String], files: [String]) throws -> [String]? {
        guard let charts else { return nil }
        do { return try RunReplay.parseCharts(charts, metrics: metrics) } catch {
            printError("error: \(error) (in \(files.joined(separator: ", ")))"); throw ExitCode(2)
        }
    }

    /// True for the summary table: `--headless`, stdout not a terminal, or a terminal that cannot draw.
    func isHeadless() throws -> Bool {
        if headless || !Terminal.isInteractive { return true }
        if let problem = Terminal.unsupportedTerminal() {
            printError("notice: \(problem); the summary table instead of the dashboard, as with --headless")
            return true
        }
        return false
    }
}

/// A finished run's dashboard: `DashboardLoop` with a read-only `FinishedRunSource` (steering keys off, `q` leaves)
/// on the ncurses screen, drawing `render` (the dashboard for a replay, `CompareView` for a comparison).
struct ReadOnlyViewer {
    let themeSpec: String?
    let charts: [String]?
    let metrics: [String]

    func run(snapshot: TrainingSnapshot, render: @escaping DashboardLoop.Renderer) throws {
        let (resolved, screen) = try openScreen(theme: themeSpec)
        var state = DashboardState()
        state.charts = charts
        var loop = DashboardLoop(screen: screen, channel: TrainingChannel(snapshot),
                                 source: FinishedRunSource(info: RunSourceInfo(name: "replay", canSteer: false)),
                                 themes: resolved.themes, state: state, render: render)
        loop.sampleProcessStats = false
        if case .signal(let sig) = loop.run() { throw ExitCode(SignalTrap.exitStatus(for: sig)) }
    }
}

/// The theme (exit 2 naming a bad one; its warnings printed), the signal handlers (before curses), then the ncurses
/// screen (exit 1 when it cannot start). Shared by every read-only and search view.
func openScreen(theme: String?) throws -> (ResolvedTheme, NCursesScreen) {
    let resolved: ResolvedTheme
    do { resolved = try ResolvedTheme.load(theme) } catch { printError("error: \(error)"); throw ExitCode(2) }
    for w in resolved.warnings { printError(w) }
    SignalTrap.install()
    do { return (resolved, try NCursesScreen()) } catch {
        printError("error: cannot start the dashboard: \(error). Use --headless.")
        throw ExitCode(1)
    }
}
