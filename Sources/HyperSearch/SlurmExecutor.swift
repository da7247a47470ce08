#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SafeIO

/// What a Slurm client command printed.
public struct CommandOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }
}

/// Runs Slurm's client commands (`sbatch`, `squeue`, `scontrol`, `scancel`); tests replace it with recorded output.
public protocol SlurmCommands: Sendable {
    /// Runs `arguments` (the first is the command, looked up in `PATH`) and returns its status and output. Throws
    /// `SearchDirectoryError` when the command cannot be started (not installed).
    func run(_ arguments: [String]) throws -> CommandOutput
}

/// The real commands, run as child processes with their output read up to `outputLimit` bytes each (the rest is
/// read and dropped, so a child never blocks on a full pipe).
///
/// Thread-safety: `run` may be called from any thread.
public struct SystemSlurmCommands: SlurmCommands {
    /// The most output kept from one command (64 MiB: `squeue -r` of 10^5 tasks is about 5 MB).
    public static let outputLimit = 64 << 20

    public init() {}

    /// The absolute path of `command` in `PATH`, nil when it is not there.
    public static func which(_ command: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(command)") {
            return "\(dir)/\(command)"
        }
        return nil
    }

    public func run(_ arguments: [String]) throws -> CommandOutput {
        guard let name = arguments.first, let exe = Self.which(name) else {
            throw SearchDirectoryError("\(arguments.first ?? "?"): not found in PATH; --executor slurm needs Slurm's client commands (sbatch, squeue, scontrol, scancel) on this machine")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw SearchDirectoryError("cannot start \(exe): \(error)") }
        let errBox = Box()
        let reader = Thread { errBox.data = Self.readBounded(err.fileHandleForReading); errBox.done.signal() }
        reader.start()
        let stdout = Self.readBounded(out.fileHandleForReading)
        errBox.done.wait()
        p.waitUntilExit()
        return CommandOutput(status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    final class Box: @unchecked Sendable {
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// Reads `h` to its end with read(2) (retrying when a signal interrupts it: Foundation's `availableData` traps
    /// on EINTR), keeping at most `outputLimit` bytes.
    static func readBounded(_ h: FileHandle) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let fd = h.fileDescriptor
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if data.count < outputLimit { data.append(contentsOf: buffer[0..<min(n, outputLimit - data.count)]) }
        }
        return data
    }
}

/// A change the follower saw, for the caller to print.
public struct SlurmChange: Sendable, Equatable {
    public var record: SlurmFitRecord
    /// The state before (nil: first seen).
    public var previous: SlurmFitState?
}

/// Submits a search's unfinished fits to Slurm as one job array and follows the queue: each fit's state is written
/// to `slurm/state.json` at every change. The result files stay the source of truth: a fit is completed when its
/// result file exists; a task that ends without one is failed (or timeout / cancelled) with Slurm's reason, and
/// `--resume` submits it again.
///
/// Thread-safety: not thread-safe; use one instance from one thread.
public final class SlurmExecutor {
    public let directory: SearchDirectory
    public let plan: SearchPlan
    public let settings: SlurmSettings
    /// The absolute trainboard path every task runs.
    public let executable: String
    public let commands: SlurmCommands
    /// Whether the refit runs in this process (`--refit-local`) rather than as a job.
    public let refitLocal: Bool
    /// The current state (also in `slurm/state.json`).
    public private(set) var state: SlurmSearchState
    var cancelledByUs = false
    /// Polls a fit stays completed-by-Slurm without a visible result file (a shared file system's cache) before it
    /// counts as failed.
    var resultGrace: [Int: Int] = [:]
    static let graceRounds = 5

    /// - Parameter directory: its `path` must be absolute (the tasks run elsewhere).
    public init(directory: SearchDirectory, plan: SearchPlan, settings: SlurmSettings, executable: String,
                refitLocal: Bool, commands: SlurmCommands = SystemSlurmCommands()) {
        self.directory = directory; self.plan = plan; self.settings = settings; self.executable = executable
        self.refitLocal = refitLocal; self.commands = commands
        let now = Self.now()
        state = SlurmSearchState(arrayJobId: nil, refitJobId: nil, refitLocal: refitLocal, followerPid: getpid(),
                                 submitted: now, updated: now, fits: [], refit: nil)
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// The fits without a result file.
    public func unfinishedFits() throws -> [Int] {
        try (0..<plan.fitCount).filter { try directory.result(fit: $0) == nil }
    }

    /// The script text and the sbatch command lines for `fits`, as `--dry-run` prints them (the refit's dependency
    /// as `$array`, the shell variable the first line sets).
    public func dryRun(fits: [Int]) throws -> (script: String, commands: [String]) {
        try SlurmBatch.checkPath(directory.path, what: "the search directory")
        try SlurmBatch.checkPath(executable, what: "the trainboard binary")
        let script = SlurmBatch.script(executable: executable, directory: directory.path)
        var lines: [String] = []
        let quote = { (args: [String]) in args.map(SlurmBatch.shellQuote).joined(separator: " ") }
        if !fits.isEmpty {
            lines.append("array=$(" + quote(SlurmBatch.arrayCommand(fits: fits, directory: directory.path,
                                                                   script: directory.slurmScriptPath, settings: settings)) + ")")
        }
        if !refitLocal {
            let refit = SlurmBatch.refitCommand(arrayJob: fits.isEmpty ? nil : "ARRAY", refitIndex: plan.fitCount,
                                                directory: directory.path, script: directory.slurmScriptPath,
                                                settings: settings)
            lines.append(quote(refit).replacingOccurrences(of: "afterok:ARRAY", with: "afterok:$array"))
        }
        return (script, lines)
    }

    /// If `slurm/state.json` names an array that still has tasks in the queue, follows it instead of submitting
    /// again (another `--resume` while the first still runs); returns whether it did.
    public func attachIfActive() throws -> Bool {
        guard let old = try directory.slurmState(), let a = old.arrayJobId else { return false }
        let ids = [a] + (old.refitJobId.map { [$0] } ?? [])
        let q = try commands.run(["squeue", "-h", "-r", "-j", ids.joined(separator: ","), "-o", SlurmQueue.squeueFormat])
        guard q.status == 0, !SlurmQueue.parseSqueue(q.stdout).isEmpty else { return false }
        state = old
        state.followerPid = getpid()
        return true
    }

    /// Writes the batch script, submits `fits` as one array (and the refit job when `refit` and not `refitLocal`:
    /// successive halving submits it with the last iteration's array), and records them as pending (the other fits
    /// as completed: nothing to do for them in this submission). Throws `SearchDirectoryError` when sbatch refuses (its message included) or an array task id
    /// would exceed the cluster's `MaxArraySize`.
    public func submit(fits: [Int], refit: Bool = true) throws {
        try SlurmBatch.checkPath(directory.path, what: "the search directory")
        try SlurmBatch.checkPath(executable, what: "the trainboard binary")
        try SafeFile.makeDirectories(directory.fitsPath, userPath: directory.fitsPath)
        try SafeFile.makeDirectories(directory.slurmPath, userPath: directory.slurmPath)
        let script = SlurmBatch.script(executable: executable, directory: directory.path)
        try SafeFile.write(Array(script.utf8), to: directory.slurmScriptPath)
        chmod(directory.slurmScriptPath, 0o755)
        if let top = fits.max(), let cfg = try? commands.run(["scontrol", "show", "config"]), cfg.status == 0,
           let maxSize = SlurmBatch.parseMaxArraySize(cfg.stdout), top >= maxSize {
            throw SearchDirectoryError("fit \(top) cannot be an array task: this cluster's MaxArraySize is \(maxSize) (task ids 0..\(maxSize - 1)); ask the administrators to raise MaxArraySize in slurm.conf above \(plan.fitCount), or search fewer candidates x folds")
        }
        let now = Self.now()
        var arrayJob: String?
        if !fits.isEmpty {
            let cmd = SlurmBatch.arrayCommand(fits: fits, directory: directory.path, script: directory.slurmScriptPath,
                                              settings: settings)
            arrayJob = try sbatch(cmd)
        }
        state = SlurmSearchState(arrayJobId: arrayJob, refitJobId: nil, refitLocal: refitLocal, followerPid: getpid(),
                                 submitted: now, updated: now, fits: [], refit: nil)
        if refit && !refitLocal {
            let cmd = SlurmBatch.refitCommand(arrayJob: arrayJob, refitIndex: plan.fitCount, directory: directory.path,
                                              script: directory.slurmScriptPath, settings: settings)
            do { state.refitJobId = try sbatch(cmd) } catch {
                if let a = arrayJob { _ = try? commands.run(["scancel", a]) }
                throw error
            }
            state.refit = SlurmFitRecord(fit: plan.fitCount, state: .pending, jobId: state.refitJobId,
                                         slurmState: "PENDING", reason: arrayJob == nil ? nil : "Dependency",
                                         node: nil, since: now)
        }
        let submitted = Set(fits)
        state.fits = (0..<plan.fitCount).map { i in
            submitted.contains(i)
                ? SlurmFitRecord(fit: i, state: .pending, jobId: arrayJob.map { "\($0)_\(i)" }, slurmState: "PENDING",
                                 reason: nil, node: nil, since: now)
                : SlurmFitRecord(fit: i, state: .completed, jobId: nil, slurmState: nil, reason: nil, node: nil, since: now)
        }
        try save()
    }

    func sbatch(_ cmd: [String]) throws -> String {
        let r = try commands.run(cmd)
        guard r.status == 0, let id = SlurmBatch.parseParsable(r.stdout) else {
            let why = (r.stderr + r.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SearchDirectoryError("sbatch refused the job (status \(r.status)): \(why.isEmpty ? "no message" : why). "
                + "Does `sinfo` reach the cluster from here? The search directory \(directory.path) holds the plan: "
                + "`trainboard search --resume \(directory.path) --executor slurm` submits it once the cluster answers, "
                + "`trainboard search --resume \(directory.path)` runs it on this machine")
        }
        return id
    }

    /// Writes `slurm/state.json`.
    public func save() throws {
        state.updated = Self.now()
        try directory.writeSlurmState(state)
    }

    /// Whether every followed fit (and the refit job, when there is one) is over.
    public var isDone: Bool {
        state.fits.allSatisfy(\.state.isFinal) && (state.refit?.state.isFinal ?? true)
    }

    /// Asks the queue once and updates the state: `squeue` for what is queued or running, `scontrol show job -o` for
    /// tasks that left the queue without a result (why they ended). Returns the changes (also written to
    /// `slurm/state.json`; a fit counts as completed when its result file exists: results are written atomically).
    /// Throws `SearchDirectoryError` when a Slurm command cannot be started.
    public func poll() throws -> [SlurmChange] {
        var changes: [SlurmChange] = []
        let now = Self.now()
        var ids: [String] = []
        if let a = state.arrayJobId { ids.append(a) }
        if let r = state.refitJobId { ids.append(r) }
        guard !ids.isEmpty else { return [] }
        let q = try commands.run(["squeue", "-h", "-r", "-j", ids.joined(separator: ","), "-o", SlurmQueue.squeueFormat])
        // squeue exits 1 for ids it no longer knows ("Invalid job id specified"): nothing queued.
        let queued = q.status == 0 ? SlurmQueue.parseSqueue(q.stdout) : []
        guard q.status == 0 || q.stderr.contains("Invalid job id") else { return [] }  // a passing error: ask again later
        var byTask: [Int: SlurmJobStatus] = [:]
        var refitStatus: SlurmJobStatus?
        for s in queued {
            if s.arrayJobId == state.arrayJobId { for t in s.taskIds { byTask[t] = s } }
            else if s.jobId == state.refitJobId { refitStatus = s }
        }
        var ended: [Int] = []
        for (n, rec) in state.fits.enumerated() where !rec.state.isFinal {
            let hasResult = FileManager.default.fileExists(atPath: directory.resultPath(fit: rec.fit))
            if let s = byTask[rec.fit] {
                let st = SlurmQueue.fitState(s, hasResult: hasResult, cancelledByUs: cancelledByUs)
                let reason = st == .pending ? s.reason : nil
                update(n, st, slurmState: s.state, reason: reason, node: s.nodes, now: now, into: &changes)
            } else if hasResult {
                update(n, .completed, slurmState: "COMPLETED", reason: nil, node: rec.node, now: now, into: &changes)
            } else {
                ended.append(n)
            }
        }
        if !ended.isEmpty, let a = state.arrayJobId {
            let s = try commands.run(["scontrol", "show", "job", a, "-o"])
            var known: [Int: SlurmJobStatus] = [:]
            if s.status == 0 { for j in SlurmQueue.parseScontrol(s.stdout) { for t in j.taskIds { known[t] = j } } }
            for n in ended {
                let fit = state.fits[n].fit
                // Look again: the result may have been written between squeue and now.
                if FileManager.default.fileExists(atPath: directory.resultPath(fit: fit)) {
                    update(n, .completed, slurmState: "COMPLETED", reason: nil, node: state.fits[n].node, now: now, into: &changes)
                    continue
                }
                guard let j = known[fit] else {
                    if s.status == 0 || s.stderr.contains("Invalid job id") {
                        update(n, cancelledByUs ? .cancelled : .failed, slurmState: nil,
                               reason: "left the queue without a result (Slurm no longer reports the task)",
                               node: state.fits[n].node, now: now, into: &changes)
                    }
                    continue
                }
                let st = SlurmQueue.fitState(j, hasResult: false, cancelledByUs: cancelledByUs)
                if j.state == "COMPLETED", resultGrace[fit, default: 0] < Self.graceRounds {
                    resultGrace[fit, default: 0] += 1   // the file may not be visible here yet
                    continue
                }
                var reason = st.isFinal ? SlurmQueue.endReason(j) : (st == .pending ? j.reason : nil)
                if st == .cancelled { reason = Self.cancelReason(j) }
                update(n, st, slurmState: j.state, reason: reason, node: j.nodes, now: now, into: &changes)
            }
        }
        if let r = state.refit, !r.state.isFinal, let rid = state.refitJobId {
            let hasRefit = FileManager.default.fileExists(atPath: directory.refitPath)
            var status = refitStatus
            var known = true
            if status == nil {
                let s = try commands.run(["scontrol", "show", "job", rid, "-o"])
                status = s.status == 0 ? SlurmQueue.parseScontrol(s.stdout).first(where: { $0.jobId == rid }) : nil
                known = s.status == 0 || s.stderr.contains("Invalid job id")
            }
            var next = r
            if let s = status {
                var st = SlurmQueue.fitState(s, hasResult: false, cancelledByUs: cancelledByUs)
                if s.state == "COMPLETED" {
                    if hasRefit { st = .completed }
                    else if resultGrace[r.fit, default: 0] < Self.graceRounds { resultGrace[r.fit, default: 0] += 1; st = r.state }
                }
                var reason = st == .pending ? s.reason : (st.isFinal && st != .completed ? SlurmQueue.endReason(s) : nil)
                if st == .cancelled && cancelledByUs { reason = Self.cancelReason(s) }
                next = SlurmFitRecord(fit: r.fit, state: st, jobId: rid, slurmState: s.state, reason: reason,
                                      node: s.nodes ?? r.node, since: r.since)
            } else if known {
                next = SlurmFitRecord(fit: r.fit, state: hasRefit ? .completed : (cancelledByUs ? .cancelled : .failed),
                                      jobId: rid, slurmState: nil,
                                      reason: hasRefit ? nil : "left the queue without refit.json (Slurm no longer reports the job)",
                                      node: r.node, since: r.since)
            }
            if next.state != r.state || next.reason != r.reason || next.node != r.node {
                next.since = now
                state.refit = next
                changes.append(SlurmChange(record: next, previous: r.state))
            }
        }
        return finish(changes)
    }

    /// The reason recorded for a job this search cancelled itself.
    static func cancelReason(_ s: SlurmJobStatus) -> String {
        if s.reason == "DependencyNeverSatisfied" { return SlurmQueue.endReason(s) }
        return "cancelled by this search (s or Ctrl-C) " + (s.nodes.map { "while running on \($0)" } ?? "before it started")
    }

    func finish(_ changes: [SlurmChange]) -> [SlurmChange] {
        if !changes.isEmpty { try? save() }
        return changes
    }

    func update(_ n: Int, _ st: SlurmFitState, slurmState: String?, reason: String?, node: String?, now: String,
                into changes: inout [SlurmChange]) {
        let old = state.fits[n]
        guard old.state != st || old.reason != reason || (node != nil && old.node != node) else { return }
        state.fits[n] = SlurmFitRecord(fit: old.fit, state: st, jobId: old.jobId, slurmState: slurmState,
                                       reason: reason, node: node ?? old.node, since: now)
        changes.append(SlurmChange(record: state.fits[n], previous: old.state))
    }

    /// Cancels the array and the refit job (`scancel`); finished results stay. Fits that end without a result are
    /// then recorded as cancelled. Throws `SearchDirectoryError` when scancel cannot be run.
    public func cancel() throws -> CommandOutput {
        cancelledByUs = true
        var ids: [String] = []
        if let a = state.arrayJobId { ids.append(a) }
        if let r = state.refitJobId { ids.append(r) }
        guard !ids.isEmpty else { return CommandOutput(status: 0, stdout: "", stderr: "") }
        return try commands.run(["scancel"] + ids)
    }

    /// Cancels the refit job (when the array ended with fits that have no result, the refit can never run).
    public func cancelRefit() {
        if let r = state.refitJobId, let rec = state.refit, !rec.state.isFinal {
            _ = try? commands.run(["scancel", r])
            state.refit = SlurmFitRecord(fit: rec.fit, state: .cancelled, jobId: r, slurmState: "CANCELLED",
                                         reason: "not every fit has a result; `--resume` submits the rest and the refit",
                                         node: nil, since: Self.now())
            try? save()
        }
    }

    /// Marks the refit as run by this process (`--refit-local`) in the state file.
    public func recordLocalRefit(_ st: SlurmFitState, reason: String? = nil) {
        state.refit = SlurmFitRecord(fit: plan.fitCount, state: st, jobId: nil, slurmState: nil, reason: reason,
                                     node: ProcessInfo.processInfo.hostName, since: Self.now())
        try? save()
    }

    /// Records that no process follows the queue any more.
    public func detach() {
        state.followerPid = nil
        try? save()
    }
}
