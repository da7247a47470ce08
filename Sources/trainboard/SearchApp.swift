import ArgumentParser
import Dashboard
import Foundation
import HyperSearch
import NCursesBackend
import SafeIO
import TerminalUI
import TrainboardKit

/// A session the search view drives and `SearchApp` ends: it can be waited for and its lines printed afterwards.
protocol ViewedSearchSession: SearchSession {
    /// Waits for the runner's thread (after a stop) up to `seconds`.
    func wait(upTo seconds: Double)
    /// Prints the runner's lines (stdout, warnings to stderr) and rethrows its error.
    func finish() throws
}

/// The runner's lines and how it ended, kept while the view owns the terminal.
///
/// Thread-safety: every member is safe from any thread (one lock).
final class SessionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(text: String, error: Bool)] = []
    private var done = false
    private var state = "starting"
    private var failure: Error?

    func add(_ text: String, error: Bool) {
        lock.withLock {
            lines.append((text, error))
            if text.hasPrefix("refit of the best") { state = "refit" }
        }
    }
    func set(state s: String) { lock.withLock { if !done { state = s } } }
    func end(_ error: Error?, state s: String) { lock.withLock { failure = error; done = true; state = s } }
    var isDone: Bool { lock.withLock { done } }
    var status: String { lock.withLock { state } }
    var summary: [String] {
        lock.withLock {
            guard done else { return [] }
            var out = lines.filter { l in
                l.text.hasPrefix("best:") || l.text.hasPrefix("saved ") || l.text.hasPrefix("stopped")
                    || l.text.hasPrefix("cancelled") || l.text.hasPrefix("error:")
            }.map(\.text)
            if let e = failure, !(e is ExitCode) { out.append("error: \(e)") }
            if out.isEmpty { out = [state] }
            return out
        }
    }
    func wait(upTo seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !isDone && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }
    func finish() throws {
        let (all, error) = lock.withLock { (lines, failure) }
        for l in all { if l.error { printError(l.text) } else { print(l.text) } }
        if let error { throw error }
    }
}

/// A search run by `--executor slurm` as the view's session: `SlurmSearchRunner` follows the queue on its own thread
/// (its lines kept for after the view), `s` (or `q`) cancels the array with scancel keeping finished results;
/// skipping one candidate is not offered (one array for the whole search).
///
/// Thread-safety: every member is safe from any thread.
final class SlurmSearchSession: ViewedSearchSession, @unchecked Sendable {
    private let log = SessionLog()
    private let cancel = Locked(false)
    let runner: SlurmSearchRunner

    init(runner: SlurmSearchRunner) { self.runner = runner }

    func start() {
        var r = runner
        let log = self.log, cancel = self.cancel
        r.say = { log.add($0, error: false) }
        r.warn = { log.add($0, error: true) }
        r.cancelRequested = { cancel.withLock { $0 } }
        log.set(state: "following Slurm")
        let runner = r
        let t = Thread {
            var error: Error?
            do { try runner.run() } catch let e { error = e }
            log.end(error, state: cancel.withLock { $0 } ? "cancelled" : error == nil ? "finished" : "failed")
        }
        t.stackSize = 8 << 20
        t.start()
    }

    func skip(candidate c: Int) -> String {
        "skipping one candidate is not available with --executor slurm (one job array); s cancels the whole array"
    }

    func stop() -> String {
        cancel.withLock { $0 = true }
        log.set(state: "cancelling")
        return "cancelling the job array (scancel); finished results are kept"
    }

    var isDone: Bool { log.isDone }
    var status: String { log.status }
    var summary: [String] { log.summary }
    func wait(upTo seconds: Double) { log.wait(upTo: seconds) }
    func finish() throws { try log.finish() }
}

/// The local search as the view's session: `SearchRunner` on its own thread with a `FitControl`; its lines are kept
/// (printed after the view closes) and its status is read by the view.
///
/// Thread-safety: every member is safe from any thread (one lock; the runner's thread writes, the UI reads).
final class LocalSearchSession: ViewedSearchSession, @unchecked Sendable {
    private let log = SessionLog()
    /// The runner, steered by `control`.
    let runner: SearchRunner
    let control: FitControl

    init(runner: SearchRunner) {
        let c = FitControl()
        control = c
        var r = runner
        r.control = c
        self.runner = r
    }

    func start() {
        var r = runner
        let log = self.log, control = self.control
        r.say = { log.add($0, error: false) }
        r.warn = { log.add($0, error: true) }
        log.set(state: "running")
        let runner = r
        let t = Thread {
            var error: Error?
            do { try runner.run() } catch let e { error = e }
            log.end(error, state: control.isStopped ? "stopped" : error == nil ? "finished" : "failed")
        }
        t.stackSize = 8 << 20
        t.start()
    }

    func skip(candidate c: Int) -> String {
        let k = runner.plan.nSplits
        let fits = (0..<k).map { c * k + $0 }
        let killed = control.cancel(Set(fits))
        let running = Set(control.runningFits)
        // Fits not running now never start: record them at once; the killed ones are recorded by the runner.
        runner.recordSkipped(fits.filter { !running.contains($0) && !killed.contains($0) })
        return "candidate \(c) skipped" + (killed.isEmpty ? "" : " (killed \(killed.count) running fit\(killed.count == 1 ? "" : "s"))")
    }

    func stop() -> String {
        let killed = control.stop()
        log.set(state: "stopping")
        return "stopping the search: " + (killed.isEmpty ? "no fit was running" : "killed \(killed.count) running fit\(killed.count == 1 ? "" : "s")")
            + "; finished results are kept"
    }

    var isDone: Bool { log.isDone }
    var status: String { log.status }
    var summary: [String] { log.summary }
    func wait(upTo seconds: Double) { log.wait(upTo: seconds) }
    func finish() throws { try log.finish() }
}

/// `trainboard search` with the search view: the runner on its own thread, the view on the main thread; when it
/// closes, the runner's lines are printed and its exit status kept.
struct SearchApp {
    let session: any ViewedSearchSession
    let directory: SearchDirectory
    let plan: SearchPlan
    let theme: String?
    /// Asked before starting (the estimate exceeds an hour), nil to start at once.
    let confirm: String?

    func run() throws {
        let (resolved, screen) = try openScreen(theme: theme)
        var loop = SearchViewLoop(screen: screen, directory: directory, plan: plan, session: session,
                                  themes: resolved.themes, confirm: confirm)
        let ending = loop.run()
        switch ending {
        case .declined:
            print("not started; start it later with `trainboard search --resume \(directory.path)`")
            return
        case .signal(let sig):
            session.wait(upTo: 30)
            try? session.finish()
            printError("stopped by signal \(sig)")
            throw ExitCode(SignalTrap.exitStatus(for: sig))
        case .quit:
            session.wait(upTo: 60)
            try session.finish()
        }
    }
}

/// `trainboard search --replay DIR`: a finished or partial search in the view (read-only), or headless its table
/// sorted by rank.
struct SearchReplay {
    let path: String
    let headless: Bool
    let theme: String?

    func run() throws {
        let directory = SearchDirectory(path)
        let plan: SearchPlan
        let results: [[FitResult?]]
        do {
            plan = try directory.readPlan(kinds: SearchOptions.kind(of:))
            results = try directory.results(plan)
        } catch where Search.isBadInput(error) {
            printError("error: \(error)"); throw ExitCode(2)
        }
        var interactive = !headless && Terminal.isInteractive
        if interactive, let problem = Terminal.unsupportedTerminal() {
            printError("notice: \(problem); the table instead of the search view, as with --headless")
            interactive = false
        }
        if !interactive {
            let done = results.joined().filter { $0 != nil }.count
            print(plan.summary + (done < plan.fitCount ? ": \(done) finished (partial search)" : ": all finished"))
            let cv: CVResults, rows: [SearchRow]
            do { (cv, rows) = try directory.cvResults(plan) } catch { printError("error: \(error)"); throw ExitCode(2) }
            let runner = SearchRunner(directory: directory, plan: plan, jobs: 1)
            runner.printTable(cv, rows: rows)
            if let r = try? directory.refit(), r.error == nil {
                let test = r.testScore.map { "test \(plan.scoring.rawValue) \(SearchRunner.format($0)) on \(r.nTestSamples) samples" } ?? "no test split"
                print("refit: \(plan.halving == nil ? "candidate" : "cv_results row") \(r.bestIndex) \(JSONText.object(r.params)), \(test)")
            }
            return
        }
        let resolved: ResolvedTheme
        do { resolved = try ResolvedTheme.load(theme) } catch { printError("error: \(error)"); throw ExitCode(2) }
        for w in resolved.warnings { printError(w) }
        SignalTrap.install()
        let screen: NCursesScreen
        do { screen = try NCursesScreen() } catch {
            printError("error: cannot start the dashboard: \(error). Use --headless.")
            throw ExitCode(1)
        }
        var loop = SearchViewLoop(screen: screen, directory: directory, plan: plan, session: nil,
                                  themes: resolved.themes)
        if case .signal(let sig) = loop.run() { throw ExitCode(SignalTrap.exitStatus(for: sig)) }
    }
}
