import AttachProtocol
import Dashboard
import Foundation
import HyperSearch
import SafeIO
import TerminalUI

/// What the search view may ask of a running search (the local runner). The view reads progress only from the
/// search directory; this is the small channel the other way, plus the runner's status.
///
/// Thread-safety: implementations are called from the UI thread while the search runs on its own; every member must
/// be safe from any thread.
public protocol SearchSession: AnyObject, Sendable {
    /// Starts the search (after the user confirmed the estimate, when asked). Called once.
    func start()
    /// Skips candidate `c`: its running fits are killed, the others never run, all are recorded as skipped. Returns a
    /// message for the hint line.
    func skip(candidate c: Int) -> String
    /// Stops the search: running fits are killed, finished results kept, no refit unless every fit finished.
    func stop() -> String
    /// True once the runner has ended (finished, stopped or failed).
    var isDone: Bool { get }
    /// One short status ("running", "stopping", "refit", "finished", "stopped").
    var status: String { get }
    /// How the search ended (best candidate, files, how to resume); empty while running.
    var summary: [String] { get }
}

/// The search view's loop: reads input from a `Screen`, re-reads `SearchProgress` from the directory about once a
/// second, draws `SearchView`, and on `Enter` shows the selected fit's charts (the ordinary dashboard, fed from the
/// fit's CSV log and re-read while the fit runs) until `Esc` or `q`. `k` and `s` go to the session (none for a
/// replay). With `confirm`, the question is asked first and the session started only on `y`.
///
/// Thread-safety: runs on the calling thread; the session runs the search on its own thread.
public struct SearchViewLoop {
    /// Why the loop ended.
    public enum Ending: Sendable, Equatable {
        /// The user left (`q`), the search having ended or been stopped.
        case quit
        /// The user answered no to the confirmation: nothing was started.
        case declined
        /// A termination signal arrived (the session was stopped first).
        case signal(Int32)
    }

    public var screen: Screen
    public var directory: SearchDirectory
    public var plan: SearchPlan
    /// The running search; nil for a replay (read-only).
    public var session: SearchSession?
    public var themes: [Theme]
    /// A question asked before the session starts (the time estimate), nil to start at once.
    public var confirm: String?
    /// How long one poll of the screen waits, milliseconds.
    public var pollTimeoutMs = 100
    /// Seconds between readings of the directory (screen clock).
    public var refreshSeconds = 1.0
    /// A fit without a result whose log changed within this many seconds counts as running.
    public var freshness = 600.0
    /// Leave once the session is done (tests).
    public var exitWhenDone = false
    /// The view state (read it after `run` in tests).
    public private(set) var state = SearchViewState()
    /// The fit whose charts are shown, nil in the table.
    public private(set) var openFit: Int?
    /// The last progress read (tests).
    public private(set) var progress: SearchProgress?

    public init(screen: Screen, directory: SearchDirectory, plan: SearchPlan, session: SearchSession?,
                themes: [Theme], confirm: String? = nil) {
        self.screen = screen; self.directory = directory; self.plan = plan; self.session = session
        self.themes = themes.isEmpty ? [Theme.dark] : themes; self.confirm = confirm
    }

    /// Runs until the user leaves; the screen is stopped on return.
    public mutating func run() -> Ending {
        state.canSteer = session != nil
        state.confirm = session != nil ? confirm : nil
        var started = false
        if state.confirm == nil { session?.start(); started = true }
        let sessionStart = Date().timeIntervalSince1970
        var fitState = DashboardState()
        fitState.canSteer = false
        var fitSnapshot: TrainingSnapshot?
        var lastRead = -Double.infinity
        var needsRender = true
        var lastFrame = -Double.infinity
        let themeCount = themes.count
        func refresh(_ loop: inout SearchViewLoop) {
            // Once the local session has ended none of its fits runs, however fresh their logs.
            let ended = loop.session.map { started && $0.isDone } ?? false
            if let p = try? SearchProgress.read(loop.directory, plan: loop.plan, freshness: ended ? -1 : loop.freshness,
                                                previous: loop.progress) {
                loop.progress = p
            }
            if let s = loop.session, started {
                loop.state.status = s.status
                if s.isDone, loop.state.summary.isEmpty { loop.state.summary = s.summary }
            }
            if let i = loop.openFit { fitSnapshot = loop.snapshot(ofFit: i) }
        }
        refresh(&self)
        while true {
            let input = screen.poll(timeoutMs: pollTimeoutMs)
            switch input {
            case .signal(let sig):
                if started, let s = session, !s.isDone { _ = s.stop() }
                screen.stop()
                return .signal(sig)
            case .repaint:
                screen.invalidate(); needsRender = true
            case .resize:
                needsRender = true
            case .timeout:
                break
            case .key(let key):
                needsRender = true
                if openFit != nil {
                    // The fit's charts: the dashboard's view keys; Esc (with nothing open) or q returns.
                    if (key == .escape || key == .char("q")) && !fitState.showHelp {
                        openFit = nil; fitSnapshot = nil; screen.invalidate()
                    } else {
                        let effects = DashboardReducer.reduce(&fitState, key: key, status: fitSnapshot?.status ?? .running,
                                                              themeCount: themeCount, readOnly: true,
                                                              metrics: fitSnapshot?.metricNames ?? [])
                        if key == .char("t") { state.themeIndex = fitState.themeIndex }
                        if effects.contains(.redraw) { screen.invalidate() }
                    }
                    break
                }
                let n = progress?.candidates.count ?? plan.candidates.count
                let effects = SearchViewReducer.reduce(&state, key: key, candidates: n, splits: plan.nSplits,
                                                       finished: session?.isDone ?? true, themeCount: themeCount)
                for e in effects {
                    switch e {
                    case .openFit(let i):
                        // A running fit of a local search listens: its live dashboard, with the keys, until `q`.
                        if let ending = openLive(fit: i) {
                            if case .signal(let sig) = ending {
                                if started, let s = session, !s.isDone { _ = s.stop() }
                                screen.stop()
                                return .signal(sig)
                            }
                            state.message = "back from fit \(i)'s dashboard (it goes on)"
                            screen.invalidate(); needsRender = true; lastRead = -.infinity
                            continue
                        }
                        let f = progress?.position(ofFit: i).map { progress?.candidates[$0.row].fits[$0.split] } ?? nil
                        if f?.hasLog == true || FileManager.default.fileExists(atPath: directory.logPath(fit: i)) {
                            openFit = i
                            fitState.themeIndex = state.themeIndex
                            fitSnapshot = snapshot(ofFit: i)
                            screen.invalidate()
                        } else {
                            state.message = "fit \(i) has no log yet (\(f?.state.label ?? "pending"))"
                        }
                    case .skip(let c):
                        if let s = session { state.message = s.skip(candidate: c); lastRead = -.infinity }
                    case .stop:
                        if let s = session { state.message = s.stop(); lastRead = -.infinity }
                    case .confirmed(let yes):
                        guard yes else { screen.stop(); return .declined }
                        session?.start(); started = true
                    case .exit:
                        if let s = session, started, !s.isDone { _ = s.stop() }
                        screen.stop()
                        return .quit
                    case .redraw:
                        screen.invalidate()
                    }
                }
            }
            if screen.now - lastRead >= refreshSeconds {
                lastRead = screen.now
                refresh(&self)
                needsRender = true
            }
            if exitWhenDone, started, session?.isDone ?? true, openFit == nil {
                screen.stop()
                return .quit
            }
            if needsRender && screen.now - lastFrame >= 1.0 / 30 {
                needsRender = false
                lastFrame = screen.now
                let size = screen.size
                var buffer = CellBuffer(width: size.columns, height: size.rows)
                let theme = themes[state.themeIndex % themes.count]
                if openFit != nil, let snap = fitSnapshot {
                    DashboardView(snapshot: snap, state: fitState, theme: theme, symbols: screen.symbols).render(into: &buffer)
                } else if let p = progress {
                    // A replay's finish times may span several sessions: its rate is shown only while fits remain.
                    let rate = session == nil && p.isComplete ? nil : p.fitsPerMinute(since: session == nil ? nil : sessionStart)
                    var view = SearchView(progress: p, state: state, theme: theme, symbols: screen.symbols,
                                          rate: rate, eta: p.eta(rate: rate))
                    view.state.scroll = SearchView.firstRow(selected: state.candidate, scroll: state.scroll,
                                                            visible: SearchView.tableRows(screenRows: size.rows) - 1,
                                                            count: p.candidates.count)
                    state.scroll = view.state.scroll
                    view.render(into: &buffer)
                }
                screen.present(buffer)
            }
        }
    }

    /// Fit `i`'s live dashboard when it is running and listening (`fits/fit-NNNNN.attach` names its socket, written by
    /// a fit of a search shown in this view): the ordinary training view with its keys (`p`, `s`, `c`, `l`, `+`, `-`
    /// steer that fit), `q` returns here and the fit goes on. Nil when the fit does not listen or cannot be reached
    /// within 2 s (the view then shows its charts from its log, read-only).
    func openLive(fit i: Int) -> DashboardLoop.Ending? {
        let file = directory.fitsPath + String(format: "/fit-%05d.attach", i)
        guard let bytes = try? SafeFile.read(file, limit: 4096),
              let path = String(bytes: bytes, encoding: .utf8), !path.isEmpty,
              let connection = try? AttachConnection(.unix(path), token: nil) else { return nil }
        var first: RunMessage?
        let deadline = Date().addingTimeInterval(2)
        while first == nil && Date() < deadline {
            switch connection.next(timeout: 0.2) {
            case .message(.hello(let h)): first = .hello(h)
            case .timeout: continue
            default: connection.close(); return nil
            }
        }
        guard let first else { connection.close(); return nil }
        let source = AttachSource(connection: connection, first: first)
        return DashboardLoop.run(screen: BorrowedScreen(screen), channel: source.channel, source: source, themes: themes)
    }

    /// The dashboard snapshot of fit `i` from its CSV log: the replay snapshot, titled with the fit, its planned
    /// epochs and whether it is still running. A log that cannot be read yet gives a snapshot that says so.
    func snapshot(ofFit i: Int) -> TrainingSnapshot {
        let (r, k) = progress?.position(ofFit: i) ?? plan.position(ofFit: i)
        let row = progress?.candidates.indices.contains(r) == true ? progress?.candidates[r] : nil
        let c = row?.candidate ?? r
        let params = row?.params ?? (plan.candidates.indices.contains(c) ? plan.candidates[c] : [:])
        let path = directory.logPath(fit: i)
        let fit = row.map { $0.fits.indices.contains(k) ? $0.fits[k] : nil } ?? nil
        var s: TrainingSnapshot
        if let log = try? RunLog.read(path) {
            s = RunReplay.snapshot(log)
        } else {
            s = TrainingSnapshot()
            s.isReadOnly = true
            s.dataDescription = "\(path): nothing logged yet"
        }
        s.title = "Trainboard search fit \(i): candidate \(c), split \(k)  (Esc: back to the search)"
        s.modelDescription = SearchView.paramText(params)
        let planned = params["epochs"] ?? plan.options["epochs"]
        if case .int(let e)? = planned, e >= s.epochs { s.epochs = e }
        switch fit?.state {
        case .done?: s.status = .finished("fit done: \(plan.scoring.rawValue) \(SearchView.score(fit?.result?.testScore ?? .nan))")
        case .failed(let e)?: s.status = .failed(e)
        case .skipped?: s.status = .finished("skipped")
        case .running?: s.status = .running
        default: s.status = .starting
        }
        return s
    }
}

/// `screen` lent to a nested loop (a fit's live dashboard inside the search view): everything is forwarded but
/// `stop`, so that the nested loop's end leaves the terminal to the search view.
///
/// Thread-safety: as the screen it wraps (the loop's thread only).
final class BorrowedScreen: Screen {
    let inner: Screen
    init(_ inner: Screen) { self.inner = inner }
    var size: (columns: Int, rows: Int) { inner.size }
    var symbols: Symbols { inner.symbols }
    var now: Double { inner.now }
    func poll(timeoutMs: Int) -> ScreenInput { inner.poll(timeoutMs: timeoutMs) }
    func present(_ buffer: CellBuffer) { inner.present(buffer) }
    func invalidate() { inner.invalidate() }
    func stop() {}
}
