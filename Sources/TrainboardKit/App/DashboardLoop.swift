import Dashboard
import Foundation
import TerminalUI

/// The interactive dashboard's loop, whatever the screen and the run source: reads input from a `Screen`, turns keys
/// into `DashboardState` changes and control commands (`DashboardReducer`), sends the commands into the channel,
/// and draws `DashboardView` frames of the channel's snapshot. The source is started after the screen.
///
/// Pacing: the screen is polled with `pollTimeoutMs` (100 ms); input and resizes redraw at up to 30 frames/s, progress
/// alone at up to 5, on the screen's clock (every wake-up and frame takes CPU time from training; bench:
/// `dashboard_overhead_pct`: data-parallel training keeps both cores in step, so a frame that takes one core from it
/// stalls both; measured on 2 cores, 8 epochs of 64-64, training steps took 5-6 % longer than headless at 10 frames/s
/// and 1-3.6 % at 5). CPU and RSS of this process are sampled once a second into the snapshot.
///
/// Leaving: `q` (the source stops first when it can be steered; a second `q`, or `q` after the run ended, leaves;
/// a source with `detachOnQuit`, an attached run, is left at the first `q` and goes on),
/// a source that fails (at once, so the caller can print why), the run's end with `exitWhenDone`, or a signal (the
/// source is stopped, up to 10 s). The screen is stopped before `run` returns.
///
/// Thread-safety: runs on the calling thread (the main thread in the executable); the source feeds the channel from
/// its own thread.
public struct DashboardLoop {
    /// Draws one frame: the snapshot with the UI state, theme and symbols, into a buffer of the screen's size.
    public typealias Renderer = (TrainingSnapshot, DashboardState, Theme, Symbols, inout CellBuffer) -> Void

    /// The live dashboard (`DashboardView`), the default renderer.
    public static func dashboardView(_ snapshot: TrainingSnapshot, _ state: DashboardState, _ theme: Theme,
                                     _ symbols: Symbols, _ buffer: inout CellBuffer) {
        DashboardView(snapshot: snapshot, state: state, theme: theme, symbols: symbols).render(into: &buffer)
    }

    /// Why the loop ended.
    public enum Ending: Sendable, Equatable {
        /// The user left (`q`); `skipSummary` when with `q q` (no summary wanted).
        case quit(skipSummary: Bool)
        /// The run ended and `exitWhenDone` was set.
        case finished
        /// The source failed (`RunSource.failure` says why).
        case failed
        /// A termination signal arrived; exit with 128 + the signal.
        case signal(Int32)
    }

    public var screen: Screen
    public var channel: TrainingChannel
    public var source: RunSource
    /// The themes `t` cycles through, the first shown first (`Theme.dark` when empty).
    public var themes: [Theme]
    /// Leave as soon as the run has ended (`--exit-when-done`).
    public var exitWhenDone: Bool
    /// How long one poll of the screen waits, milliseconds.
    public var pollTimeoutMs = 100
    /// Whether to sample this process's CPU and RSS into the snapshot (off for replays is fine; on by default).
    public var sampleProcessStats = true
    /// What a frame shows (`DashboardLoop.dashboardView` by default; e.g. a comparison view of several runs).
    public var render: Renderer
    /// The UI state (theme, view, help...): give the initial one (e.g. the charts chosen by a flag) to `init`; read it
    /// after `run` in tests.
    public private(set) var state: DashboardState

    /// - Parameters:
    ///   - state: the initial UI state; `themeName`, `canSteer` and `detachOnQuit` are set from `themes` and the source.
    ///   - render: draws a frame (the live dashboard by default).
    public init(screen: Screen, channel: TrainingChannel, source: RunSource, themes: [Theme],
                exitWhenDone: Bool = false, state: DashboardState = DashboardState(),
                render: @escaping Renderer = DashboardLoop.dashboardView) {
        self.screen = screen
        self.channel = channel
        self.source = source
        self.themes = themes.isEmpty ? [Theme.dark] : themes
        self.exitWhenDone = exitWhenDone
        self.state = state
        self.render = render
    }

    /// Runs a dashboard on `screen` for `source` until it ends; see `DashboardLoop` and `init`.
    public static func run(screen: Screen, channel: TrainingChannel, source: RunSource, themes: [Theme],
                           exitWhenDone: Bool = false, state: DashboardState = DashboardState(),
                           render: @escaping Renderer = DashboardLoop.dashboardView) -> Ending {
        var loop = DashboardLoop(screen: screen, channel: channel, source: source, themes: themes,
                                 exitWhenDone: exitWhenDone, state: state, render: render)
        return loop.run()
    }

    /// Runs until the dashboard ends; returns why. The screen is stopped on return.
    public mutating func run() -> Ending {
        state.themeName = themes.first?.name
        state.canSteer = source.info.canSteer
        state.detachOnQuit = source.info.detachOnQuit
        // An attached run is another process: this process's CPU and RSS would be the dashboard's, not the run's.
        if source.info.detachOnQuit { sampleProcessStats = false }
        source.start()
        var lastVersion: UInt64 = .max
        var lastStats = sampleProcessStats ? ProcessStats.sample() : nil
        var lastStatsTime = screen.now
        var needsRender = true
        var exitRequested = false
        var lastFrame = -Double.infinity
        var ending = Ending.quit(skipSummary: false)

        loop: while true {
            switch screen.poll(timeoutMs: pollTimeoutMs) {
            case .signal(let sig):
                source.stop(waitingUpTo: 10)
                screen.stop()
                return .signal(sig)
            case .repaint:
                screen.invalidate()
                needsRender = true
            case .key(let input):
                // An attached dashboard detaches with `q` (the run goes on), unless a prompt or the help is open.
                if source.info.detachOnQuit, input == .char("q") || input == .char("Q"), state.lrInput == nil,
                   !state.showHelp {
                    source.stop(waitingUpTo: 5)
                    ending = .quit(skipSummary: true)
                    break loop
                }
                let status = channel.snapshot().status
                let snap = channel.snapshot()
                let effects = DashboardReducer.reduce(&state, key: input, status: status, themeCount: themes.count,
                                                      readOnly: !source.info.canSteer || snap.isReadOnly,
                                                      metrics: snap.metricNames)
                if input == .char("t") {
                    let name = themes[state.themeIndex % themes.count].name
                    state.themeName = name
                    state.message = "theme: \(name)"
                }
                needsRender = true
                for e in effects {
                    switch e {
                    case .command(let c): if source.info.canSteer { channel.send(c) }
                    case .exit: exitRequested = true
                    case .redraw: screen.invalidate()
                    }
                }
            case .resize:
                needsRender = true
            case .timeout:
                break
            }
            let done = source.isDone
            // A failed run (an error thrown by the trainer, or a callback that could not write its file) leaves the
            // dashboard at once: the screen is restored and the caller prints the error after it.
            if done, source.failure != nil { ending = .failed; break loop }
            if done && (state.quitRequested || exitWhenDone) {
                ending = state.quitRequested ? .quit(skipSummary: state.skipSummary) : .finished
                break loop
            }
            if exitRequested {
                if !done { source.stop(waitingUpTo: 30) }
                ending = .quit(skipSummary: state.skipSummary)
                break loop
            }
            if sampleProcessStats, screen.now - lastStatsTime >= 1, let now = ProcessStats.sample() {
                var cpu: Double?
                if let prev = lastStats { cpu = (now.cpuSeconds - prev.cpuSeconds) / (screen.now - lastStatsTime) * 100 }
                lastStats = now
                lastStatsTime = screen.now
                let rss = now.rssMiB
                channel.update { s in s.rssMiB = rss; s.cpuPercent = cpu }
            }
            let version = channel.version
            let interval = needsRender ? 1.0 / 30 : 1.0 / 5
            if (version != lastVersion || needsRender) && screen.now - lastFrame >= interval {
                lastVersion = version
                needsRender = false
                lastFrame = screen.now
                let size = screen.size
                var buffer = CellBuffer(width: size.columns, height: size.rows)
                render(channel.snapshot(), state, themes[state.themeIndex % themes.count], screen.symbols, &buffer)
                screen.present(buffer)
            }
        }
        screen.stop()
        source.wait(upTo: 30)
        return ending
    }
}
