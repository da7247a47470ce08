#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import HyperSearch
import NCursesBackend
import SafeIO

/// `search`'s executor options: where the fits run. `--executor slurm` submits them as one Slurm job array; the other
/// options map to sbatch's own.
struct ExecutorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the fits run: local (processes on this machine, --jobs at once) or slurm (one Slurm job array; the search directory and the trainboard binary must be on a file system every node shares).", valueName: "local|slurm"))
    var executor: String = "local"
    @Option(help: ArgumentHelp("Slurm: the partition (sbatch --partition).", valueName: "name"))
    var partition: String?
    @Option(help: ArgumentHelp("Slurm: each fit's time limit (sbatch --time: minutes, HH:MM:SS, D-HH:MM, ...). A fit killed at its limit is recorded as timeout and --resume submits it again.", valueName: "limit"))
    var time: String?
    @Option(name: .customLong("cpus-per-fit"), parsing: .unconditional, help: "Slurm: CPUs per fit (sbatch --cpus-per-task, default 1); each fit uses that many BLAS threads.")
    var cpusPerFit: Int?
    @Option(help: ArgumentHelp("Slurm: memory per fit (sbatch --mem: 4000 = MB, 500M, 2G).", valueName: "size"))
    var mem: String?
    @Option(name: .customLong("max-parallel"), parsing: .unconditional, help: "Slurm: fits running at once at most (the %M of sbatch --array=...%M; default: as many as Slurm allows).")
    var maxParallel: Int?
    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Slurm: one more sbatch option, passed as given (repeatable): --sbatch-arg=--qos=long --sbatch-arg=--account=proj.", valueName: "option"))
    var sbatchArgs: [String] = []
    @Flag(name: .customLong("refit-local"), help: "Slurm: refit the best candidate in this process once every fit has finished, instead of as a job that depends on the array (--dependency=afterok).")
    var refitLocal = false

    var isSlurm: Bool { executor == "slurm" }

    /// Checks the executor options before anything is loaded or written. Throws `SearchDirectoryError` (exit 2).
    func validate(jobs: Int?) throws {
        guard ["local", "slurm"].contains(executor) else {
            throw SearchDirectoryError("--executor: expected local or slurm, got '\(executor)'")
        }
        if isSlurm {
            if jobs != nil { throw SearchDirectoryError("--jobs is for --executor local; with slurm, --max-parallel limits the fits running at once") }
            try settings.validate()
        } else {
            let given: [(String, Bool)] = [("--partition", partition != nil), ("--time", time != nil),
                                           ("--cpus-per-fit", cpusPerFit != nil), ("--mem", mem != nil),
                                           ("--max-parallel", maxParallel != nil), ("--sbatch-arg", !sbatchArgs.isEmpty),
                                           ("--refit-local", refitLocal)]
            if let (flag, _) = given.first(where: \.1) {
                throw SearchDirectoryError("\(flag) needs --executor slurm")
            }
        }
    }

    var settings: SlurmSettings {
        SlurmSettings(partition: partition, time: time, cpusPerFit: cpusPerFit ?? 1, mem: mem, maxParallel: maxParallel,
                      extraArgs: sbatchArgs)
    }

    /// `path` made absolute against the current directory (the tasks run elsewhere).
    static func absolute(_ path: String) -> String {
        let p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: p).standardizedFileURL.path
    }

    /// `--dry-run`: prints the batch script and the sbatch commands for `fits` without submitting.
    func printDryRun(directory: String, plan: SearchPlan, fits: [Int]) throws {
        let exec = SlurmExecutor(directory: SearchDirectory(Self.absolute(directory)), plan: plan, settings: settings,
                                 executable: SearchRunner.executablePath(), refitLocal: refitLocal)
        let (script, commands) = try exec.dryRun(fits: fits)
        print("# \(exec.directory.slurmScriptPath) (written when submitted):")
        print(script, terminator: "")
        print("# the sbatch commands (dry run: nothing submitted)\(refitLocal ? "; the refit runs locally when every fit has finished" : ""):")
        for c in commands { print(c) }
    }
}

/// Runs a planned search on Slurm: submits the fits without a result as one job array (or follows an array that an
/// earlier run submitted and that is still queued), follows the queue with squeue/scontrol, printing state changes
/// and writing `slurm/state.json`, then refits (as a job or locally) and prints the table as the local runner does.
/// Ctrl-C, SIGTERM or `s` (when stdin is a terminal) cancel the array with scancel; finished results stay. A hangup
/// only stops following (the jobs run on; `--resume` follows them again).
struct SlurmSearchRunner {
    let directory: SearchDirectory
    let plan: SearchPlan
    let options: ExecutorOptions
    /// Where the lines go: stdout and stderr headless, the search view's session otherwise.
    var say: @Sendable (String) -> Void = { print($0); fflush(nil) }
    var warn: @Sendable (String) -> Void = { printError($0) }
    /// In the search view: true once the user pressed `s` (the view owns the terminal and the signals, so the
    /// follower then reads no keys and installs no signal handlers of its own). Nil headless.
    var cancelRequested: (@Sendable () -> Bool)? = nil

    func run() throws {
        let dir = SearchDirectory(ExecutorOptions.absolute(directory.path))
        let exec = SlurmExecutor(directory: dir, plan: plan, settings: options.settings,
                                 executable: SearchRunner.executablePath(), refitLocal: options.refitLocal)
        say(plan.summary)
        if let h = plan.halving {
            // Successive halving: one array per iteration, each decided (and recorded) from the previous one's
            // results; the refit job goes with the last iteration's array.
            let resumed = try submitOrFollow(exec, dir: dir, fits: nil, refit: false, followActive: true)
            if resumed { try followAndCheck(exec, dir: dir) }
            for i in 0..<h.nIterations {
                let it: HalvingIteration
                do {
                    guard let decided = try directory.iteration(i, plan: plan) else {
                        throw SearchDirectoryError("\(directory.path): iteration \(i) cannot be decided: iteration \(i - 1) has unfinished fits")
                    }
                    it = decided
                } catch let e as SearchDirectoryError { warn("error: \(e)"); throw ExitCode(2) }
                let start = h.fitOffset(iteration: i, nSplits: plan.nSplits)
                let range = start ..< start + h.nCandidates[i] * plan.nSplits
                let pending = try range.filter { try directory.result(fit: $0) == nil }
                let last = i == h.nIterations - 1
                say("iter \(i): \(it.candidates.count) candidate\(it.candidates.count == 1 ? "" : "s") at \(it.nResources) epoch\(it.nResources == 1 ? "" : "s") x \(plan.nSplits) folds, \(pending.count) fit\(pending.count == 1 ? "" : "s") to run")
                if pending.isEmpty && !(last && !exec.refitLocal) { continue }
                _ = try submitOrFollow(exec, dir: dir, fits: pending, refit: last, followActive: false)
                try followAndCheck(exec, dir: dir)
            }
        } else {
            _ = try submitOrFollow(exec, dir: dir, fits: nil, refit: true, followActive: true)
            try followAndCheck(exec, dir: dir)
        }
        try finishRefit(exec, dir: dir)
    }

    /// Follows an array an earlier run submitted that is still queued (`followActive`; returns true), or submits
    /// `fits` (nil: every fit without a result) as one array, with the refit job when `refit` (and not
    /// `--refit-local`). Bad input (sbatch refused, paths) exits 2.
    func submitOrFollow(_ exec: SlurmExecutor, dir: SearchDirectory, fits: [Int]?, refit: Bool,
                        followActive: Bool) throws -> Bool {
        do {
            if followActive, try exec.attachIfActive() {
                say("following job array \(exec.state.arrayJobId ?? "?") that an earlier run submitted (still in the queue); nothing submitted")
                return true
            }
            if !followActive || fits != nil || plan.halving == nil {
                let pending = try fits ?? exec.unfinishedFits()
                if fits == nil, pending.count < plan.fitCount {
                    say("resuming: \(plan.fitCount - pending.count) of \(plan.fitCount) fits already finished, \(pending.count) to run")
                }
                try exec.submit(fits: pending, refit: refit)
                let array = exec.state.arrayJobId.map { "job array \($0) (--array=\(SlurmBatch.arraySpec(pending))\(options.maxParallel.map { "%\($0)" } ?? ""))" }
                let refitText = exec.state.refitJobId.map { "the refit as job \($0) (after the array)" }
                    ?? (refit ? "the refit runs here afterwards" : "the next iteration is submitted when this one has finished")
                say("submitted \(array.map { "\(pending.count) fit\(pending.count == 1 ? "" : "s") as \($0), " } ?? "")\(refitText); state in \(dir.slurmStatePath)")
            }
        } catch let e as SearchDirectoryError {
            warn("error: \(e)"); throw ExitCode(2)
        }
        return false
    }

    /// Follows the queue until the submitted fits (and refit job) are over; a hangup, a cancel or fits that ended
    /// without a result end the run (with how to resume).
    func followAndCheck(_ exec: SlurmExecutor, dir: SearchDirectory) throws {
        fflush(nil)
        let cancelled = try follow(exec)
        exec.detach()
        if cancelled == SIGHUP {
            warn("hangup: stopped following; the jobs keep running. `trainboard search --resume \(directory.path) --executor slurm` follows them again")
            throw ExitCode(SignalTrap.exitStatus(for: SIGHUP))
        }
        let lost = exec.state.fits.filter { $0.state != .completed }
        if cancelled != nil || !lost.isEmpty {
            exec.cancelRefit()
            _ = try directory.writeDerived(plan)
            let done = try (0..<plan.fitCount).filter { try directory.result(fit: $0) != nil }.count
            let resume = "trainboard search --resume \(directory.path) --executor slurm"
            if let sig = cancelled {
                warn("cancelled: \(done) of \(plan.fitCount) fits have results (kept); `\(resume)` submits the rest")
                throw ExitCode(sig == 0 ? 130 : SignalTrap.exitStatus(for: sig))
            }
            warn("error: \(lost.count) fit\(lost.count == 1 ? "" : "s") did not finish on Slurm (see \(dir.slurmStatePath)); `\(resume)` submits \(lost.count == 1 ? "it" : "them") again")
            throw ExitCode(1)
        }
    }

    /// The refit (its job's outcome, or here with `--refit-local`), then the results table and the best line.
    func finishRefit(_ exec: SlurmExecutor, dir: SearchDirectory) throws {
        var refitOK = exec.state.refit?.state == .completed
        if exec.state.refitLocal {
            say("refit of the best candidate on all training data (here) ...")
            fflush(nil)
            exec.recordLocalRefit(.running)
            let local = LocalExecutor(executable: SearchRunner.executablePath(), directory: dir, jobs: 1,
                                      blasThreads: LocalExecutor.cores, refitIndex: plan.fitCount)
            var ending: LocalExecutor.Ending = .exited(0)
            try local.run([plan.fitCount]) { _, e in ending = e }
            refitOK = ending == .exited(0)
            exec.recordLocalRefit(refitOK ? .completed : .failed, reason: refitOK ? nil : "the refit process ended with \(ending)")
        }
        let refit = try? directory.refit()
        let runner = SearchRunner(directory: directory, plan: plan, jobs: 1)
        let cv = try directory.writeDerived(plan, refit: refit)
        runner.printTable(cv, rows: try directory.rows(plan))
        guard refitOK, let r = refit else {
            let why = exec.state.refit?.reason.map { ": \($0)" } ?? ""
            warn("error: the refit did not finish\(why) (see \(directory.refitOutputPath))"); throw ExitCode(1)
        }
        if let e = r.error { warn("error: the refit failed: \(e)"); throw ExitCode(1) }
        let test = r.testScore.map { "; test \(plan.scoring.rawValue) \(SearchRunner.format($0)) on \(r.nTestSamples) samples" } ?? "; no test split"
        say("best: candidate \(r.bestIndex) \(JSONText.object(r.params)), mean_test_score \(SearchRunner.format(cv.meanTestScore[r.bestIndex]))\(test)")
        say("saved \(directory.modelPath); results in \(directory.path)/cv_results.csv")
    }

    /// Polls until every fit (and the refit job) is over; returns the signal (0 for `s`) when the user cancelled.
    /// A hangup (SIGHUP: the terminal or the ssh session closed) stops following without cancelling anything and
    /// returns SIGHUP: the jobs run on, and `--resume` follows them again.
    func follow(_ exec: SlurmExecutor) throws -> Int32? {
        let inView = cancelRequested != nil
        if !inView { SignalTrap.install(forceExitOnRepeat: true) }
        defer { if !inView { SignalTrap.uninstall() } }
        let keys = QueueKeys(enabled: !inView)
        defer { keys.restore() }
        if keys.active { say("following the queue: s or Ctrl-C cancels the array (finished results are kept)") }
        var finished = exec.state.fits.filter { $0.state == .completed }.count
        var interval = 1.0
        var lastChange = Date()
        var cancelledBy: Int32?
        var cancelStarted: Date?
        while !exec.isDone {
            if cancelledBy == nil {
                let sig = inView ? nil : SignalTrap.pendingSignal()
                if sig == SIGHUP { return SIGHUP }
                if sig != nil || keys.pressed("s") || cancelRequested?() == true {
                    cancelledBy = sig ?? 0
                    if !inView { SignalTrap.clear() }
                    say("cancelling: scancel \(exec.state.arrayJobId ?? "")\(exec.state.refitJobId.map { " \($0)" } ?? "")")
                    let r = try exec.cancel()
                    if r.status != 0 { warn("warning: scancel: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
                    cancelStarted = Date()
                }
            } else if let t = cancelStarted, Date().timeIntervalSince(t) > 60 {
                warn("warning: the cancelled tasks are still in the queue after 60 s; stopped following (see squeue)")
                break
            }
            let changes = try exec.poll()
            for c in changes where c.record.state != c.previous {
                report(c, finished: &finished)
            }
            fflush(nil)
            // Every second while something changed in the last 30 s, then every 5 s (long fits: less load on slurmctld).
            if !changes.isEmpty { lastChange = Date() }
            interval = Date().timeIntervalSince(lastChange) < 30 ? 1 : 5
            if cancelledBy != nil { interval = 0.5 }
            if exec.isDone { break }
            keys.wait(seconds: interval)
        }
        return cancelledBy
    }

    func report(_ c: SlurmChange, finished: inout Int) {
        let r = c.record
        let job = r.jobId.map { "job \($0)" } ?? "job ?"
        if r.fit == plan.fitCount {
            switch r.state {
            case .pending: say("refit (\(job)): pending\(r.reason.map { " (\($0))" } ?? "")")
            case .running: say("refit (\(job)): running on \(r.node ?? "?")")
            case .completed: say("refit (\(job)): finished")
            case .cancelled: say("refit (\(job)): cancelled\(r.reason.map { ": \($0)" } ?? "")")
            default: warn("warning: refit (\(job)): \(r.state.rawValue): \(r.reason ?? "")")
            }
            return
        }
        let position = try? directory.fit(r.fit, plan: plan)
        let cand = position?.row.candidate ?? -1, k = position?.split ?? -1
        let head = "\(position?.row.iter.map { "iter \($0) " } ?? "")candidate \(cand) split \(k)"
        switch r.state {
        case .pending: say("fit \(r.fit) (\(head)): pending (\(job)\(r.reason.map { ", \($0)" } ?? ""))")
        case .running: say("fit \(r.fit) (\(head)): running on \(r.node ?? "?") (\(job))")
        case .completed:
            finished += 1
            let line = "[\(finished)/\(plan.fitCount)] \(head)"
            guard let res = try? directory.result(fit: r.fit) else { say("\(line): finished (\(job))"); return }
            var runner = SearchRunner(directory: directory, plan: plan, jobs: 1)
            runner.say = say; runner.warn = warn
            runner.report(res, head: line, params: position.map { JSONText.object($0.row.params) } ?? "", job: job)
        case .cancelled:
            say("fit \(r.fit) (\(head), \(job)): cancelled\(r.reason.map { ": \($0)" } ?? "")")
        case .failed, .timeout:
            warn("warning: fit \(r.fit) (\(head), \(job)): \(r.state.rawValue): \(r.reason ?? "no reason given") (output in \(directory.outputPath(fit: r.fit))); no result, --resume submits it again")
        }
    }
}

/// Single keys from the terminal while following the queue: stdin in non-canonical mode without echo, restored by
/// `restore()`. Inactive (never reads) when stdin is not a terminal.
final class QueueKeys {
    private var saved = termios()
    let active: Bool
    private var buffered: [UInt8] = []
    /// Stdin reached its end (or failed): no more keys, wait by sleeping.
    private var closed = false

    /// `enabled` false (the search view owns the terminal): never reads, only sleeps.
    init(enabled: Bool = true) {
        guard enabled, isatty(0) == 1, tcgetattr(0, &saved) == 0 else { active = false; return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        active = tcsetattr(0, TCSANOW, &raw) == 0
    }

    func restore() { if active { var s = saved; tcsetattr(0, TCSANOW, &s) } }

    /// Waits up to `seconds` for a key (returns early on a key or a signal).
    func wait(seconds: Double) {
        let ms = Int32(seconds * 1000)
        if active && !closed {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, ms) > 0 {
                var b = [UInt8](repeating: 0, count: 16)
                let n = read(0, &b, b.count)
                if n > 0 { buffered += b[0..<n] }
                else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    closed = true   // end of input or a dead terminal: poll would return at once from now on
                    wait(seconds: seconds)
                }
            }
        } else {
            var ts = timespec(tv_sec: Int(ms / 1000), tv_nsec: Int(ms % 1000) * 1_000_000)
            nanosleep(&ts, nil)   // a signal ends it early (EINTR)
        }
    }

    /// Whether `key` was pressed since the last call (the other keys are dropped).
    func pressed(_ key: Character) -> Bool {
        defer { buffered.removeAll() }
        return buffered.contains { Character(UnicodeScalar($0)) == key }
    }
}
