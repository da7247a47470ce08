import ArgumentParser
import Dashboard
import NCursesBackend
import TrainboardKit

/// The interactive dashboard for a training run: the in-process trainer as the run source, the ncurses terminal as the
/// screen, `DashboardLoop` between them (TrainboardKit); this only maps the loop's ending to output and exit status.
struct DashboardApp {
    let trainingRun: TrainingRun
    let theme: ResolvedTheme
    var exitWhenDone = false

    func run() throws {
        SignalTrap.install()
        let bridge = AttachBridge()
        let listen = trainingRun.plan.listen
        let trainer = listen == nil ? InProcessTrainer(run: trainingRun)
            : InProcessTrainer(run: trainingRun, beforeChannelCallback: [bridge.publisher], commandObserver: bridge.commandObserver)
        if let address = listen { try startListening(bridge, address: address, channel: trainer.channel) }
        // Attached clients get `end` and the files are removed however the dashboard ends.
        defer {
            if listen != nil {
                bridge.finish(reason: trainer.outcome?.reason ?? (trainer.isDone ? "failed: \(trainer.error ?? "unknown error")" : "the dashboard closed"))
            }
        }
        let screen: NCursesScreen
        do { screen = try NCursesScreen() } catch {
            printError("error: cannot start the dashboard: \(error). Use --headless.")
            throw ExitCode(1)
        }
        var state = DashboardState()
        state.charts = trainingRun.plan.charts
        let ending = DashboardLoop.run(screen: screen, channel: trainer.channel, source: trainer,
                                       themes: theme.themes, exitWhenDone: exitWhenDone, state: state)
        if case .signal(let sig) = ending {
            printError("stopped by signal \(sig)")
            throw ExitCode(SignalTrap.exitStatus(for: sig))
        }
        var skip = false
        if case .quit(let s) = ending { skip = s }
        let report = trainer.report(skipSummary: skip)
        if !report.summary.isEmpty { print(report.summary.joined(separator: "\n")) }
        if let error = report.error {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
