import Foundation

/// One job or array task as `squeue` or `scontrol show job -o` reports it.
///
/// Thread-safety: a value.
public struct SlurmJobStatus: Equatable, Sendable {
    /// The array's job id (`ArrayJobId`, squeue `%F`); the job's own id for a job that is not an array.
    public var arrayJobId: String
    /// The array task ids this line covers: one for a running or finished task, several for the pending rest of an
    /// array (`2-3,5,7%2`); empty for a job that is not an array.
    public var taskIds: [Int]
    /// The job's own id (`JobId`, squeue `%A`; an array task's is not the array id plus the index).
    public var jobId: String
    /// Slurm's state name: PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, FAILED, NODE_FAIL, PREEMPTED, ...
    public var state: String
    /// Slurm's reason (`Priority`, `Resources`, `JobArrayTaskLimit`, `None`, ...).
    public var reason: String
    /// `ExitCode=status:signal` (scontrol only).
    public var exitCode: String?
    /// The node(s), nil when none is assigned.
    public var nodes: String?
    /// `RunTime` (scontrol only), e.g. `00:00:07`.
    public var runTime: String?

    public init(arrayJobId: String, taskIds: [Int], jobId: String, state: String, reason: String,
                exitCode: String? = nil, nodes: String? = nil, runTime: String? = nil) {
        self.arrayJobId = arrayJobId; self.taskIds = taskIds; self.jobId = jobId; self.state = state
        self.reason = reason; self.exitCode = exitCode; self.nodes = nodes; self.runTime = runTime
    }
}

/// Reads Slurm's client output: `squeue` with `SlurmQueue.squeueFormat` and `scontrol show job -o`.
///
/// Thread-safety: stateless.
public enum SlurmQueue {
    /// The `squeue -o` format the follower asks for: array job id, task id(s), own job id, state, reason, nodes.
    public static let squeueFormat = "%F|%K|%A|%T|%r|%N"

    /// Parses `squeue -h -o SlurmQueue.squeueFormat` output (with or without `-r`). Lines that do not have the six
    /// fields are skipped (they are not job lines).
    public static func parseSqueue(_ text: String) -> [SlurmJobStatus] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6, !f[0].isEmpty, !f[3].isEmpty else { return nil }
            let tasks: [Int]
            if f[1] == "N/A" || f[1].isEmpty { tasks = [] } else {
                guard let t = SlurmBatch.parseArraySpec(f[1]) else { return nil }
                tasks = t
            }
            return SlurmJobStatus(arrayJobId: f[0], taskIds: tasks, jobId: f[2], state: f[3], reason: f[4],
                                  nodes: f[5].isEmpty ? nil : f[5])
        }
    }

    /// The `Key=value` fields of one `scontrol show job -o` line. A word without `=` belongs to the value before it
    /// (`Command=/path/script 8`).
    public static func scontrolFields(_ line: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var last: String?
        for word in line.split(separator: " ") {
            if let eq = word.firstIndex(of: "="), eq != word.startIndex,
               word[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || ":/_".contains($0) }) {
                let key = String(word[..<eq])
                out[key] = String(word[word.index(after: eq)...])
                last = key
            } else if let k = last {
                out[k, default: ""] += " " + word
            }
        }
        return out
    }

    /// Parses `scontrol show job ID -o` output: one line per job or array task (the pending rest of an array is one
    /// line with a range of task ids). Lines without `JobId` and `JobState` are skipped.
    public static func parseScontrol(_ text: String) -> [SlurmJobStatus] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let f = scontrolFields(line)
            guard let id = f["JobId"], let state = f["JobState"] else { return nil }
            var tasks: [Int] = []
            if let t = f["ArrayTaskId"] {
                guard let parsed = SlurmBatch.parseArraySpec(t) else { return nil }
                tasks = parsed
            }
            let nodes = f["NodeList"].flatMap { $0.isEmpty || $0 == "(null)" ? nil : $0 }
            return SlurmJobStatus(arrayJobId: f["ArrayJobId"] ?? id, taskIds: tasks, jobId: id, state: state,
                                  reason: f["Reason"] ?? "None", exitCode: f["ExitCode"], nodes: nodes,
                                  runTime: f["RunTime"])
        }
    }

    /// The fit state for a job Slurm reports in `status`; `hasResult`: the fit's result file exists (a fit that
    /// wrote its result counts as completed whatever happened after); `cancelledByUs`: the follower cancelled it.
    /// A job Slurm cancelled because its dependency can never be met (the refit after a failed fit) is cancelled;
    /// any other cancellation is a failure (someone ran scancel on the task).
    public static func fitState(_ status: SlurmJobStatus, hasResult: Bool, cancelledByUs: Bool) -> SlurmFitState {
        if hasResult { return .completed }
        switch status.state {
        case "PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SPECIAL_EXIT": return .pending
        case "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING":
            return .running
        case "TIMEOUT", "DEADLINE": return .timeout
        case "CANCELLED" where cancelledByUs || status.reason == "DependencyNeverSatisfied": return .cancelled
        default: return .failed  // COMPLETED without a result, FAILED, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY, BOOT_FAIL, CANCELLED by someone else
        }
    }

    /// Why a job that ended without a result ended, in words, from what scontrol reports
    /// ("CANCELLED (signal 15) on vm after 00:00:07, reason None").
    public static func endReason(_ s: SlurmJobStatus) -> String {
        var text = s.state
        if let code = s.exitCode {
            let parts = code.split(separator: ":")
            if parts.count == 2, let status = Int(parts[0]), let signal = Int(parts[1]) {
                if signal != 0 { text += " (signal \(signal))" } else if status != 0 { text += " (exit status \(status))" }
            }
        }
        switch s.state {
        case "CANCELLED" where s.reason == "DependencyNeverSatisfied":
            text += ": Slurm cancelled it because a job it waits for (--dependency=afterok) ended without success"
        case "CANCELLED": text += ": cancelled by scancel or an administrator"
        case "TIMEOUT": text += ": the time limit (--time) was reached"
        case "NODE_FAIL": text += ": the node failed"
        case "PREEMPTED": text += ": preempted by a job of higher priority"
        case "OUT_OF_MEMORY": text += ": out of memory (--mem)"
        case "COMPLETED": text += ": the task ended without writing its result file"
        default: break
        }
        if let n = s.nodes { text += " on \(n)" }
        if let t = s.runTime { text += " after \(t)" }
        if s.reason != "None" && !s.reason.isEmpty { text += ", reason \(s.reason)" }
        return text
    }
}

/// A fit's state on Slurm as `slurm/state.json` records it.
///
/// `failed`, `timeout` and `cancelled` fits have no result: `trainboard search --resume DIR` submits them again.
public enum SlurmFitState: String, Codable, Sendable, CaseIterable {
    /// Waiting in the queue (`reason` says why: Priority, Resources, JobArrayTaskLimit, Dependency).
    case pending
    /// Running (or starting, completing) on `node`.
    case running
    /// Its result file exists (failed fits with a NaN score included: the fit ran to its end).
    case completed
    /// Ended without a result: killed by Slurm (node failure, preemption, out of memory), cancelled with scancel by
    /// someone else, or the task failed (the binary or the directory not visible on the node); `reason` says which.
    case failed
    /// Killed at its time limit (`--time`).
    case timeout
    /// Cancelled by this search (`s` or Ctrl-C in the following process).
    case cancelled

    /// Whether the fit is over (nothing more will happen to it in this submission).
    public var isFinal: Bool { self != .pending && self != .running }
}

/// One fit's (or the refit's) Slurm state.
public struct SlurmFitRecord: Codable, Equatable, Sendable {
    /// The fit number (the refit's is the plan's `fitCount`).
    public var fit: Int
    public var state: SlurmFitState
    /// `ARRAYID_TASK` for an array task (`1234_7`), the job id for the refit; nil when not submitted (a fit that
    /// finished before this submission).
    public var jobId: String?
    /// Slurm's state name (PENDING, RUNNING, CANCELLED, TIMEOUT, NODE_FAIL, ...), nil when not known.
    public var slurmState: String?
    /// Why it is pending, or why it ended without a result; nil otherwise.
    public var reason: String?
    public var node: String?
    /// When this record last changed (ISO 8601).
    public var since: String

    public init(fit: Int, state: SlurmFitState, jobId: String?, slurmState: String?, reason: String?, node: String?,
                since: String) {
        self.fit = fit; self.state = state; self.jobId = jobId; self.slurmState = slurmState; self.reason = reason
        self.node = node; self.since = since
    }

    enum CodingKeys: String, CodingKey {
        case fit, state, jobId = "job_id", slurmState = "slurm_state", reason, node, since
    }
}

/// `slurm/state.json` in a search directory: what the following process last saw of the search's Slurm jobs, written
/// atomically at every change so that a dashboard (or `cat`) can show it. The result files stay the source of truth
/// for what finished; this file adds the queue's view (pending, running, killed and why).
///
/// Thread-safety: a value.
public struct SlurmSearchState: Codable, Equatable, Sendable {
    /// The format's version (1).
    public var version = 1
    /// The array's job id of the latest submission.
    public var arrayJobId: String?
    /// The refit job's id; nil when the refit runs locally (`--refit-local`) or is not submitted yet.
    public var refitJobId: String?
    /// Whether the refit runs in the following process (`--refit-local`).
    public var refitLocal: Bool
    /// The process following the queue (nil once it has stopped following).
    public var followerPid: Int32?
    /// When the array was submitted and when this file was written (ISO 8601).
    public var submitted: String
    public var updated: String
    /// Every fit of the plan, in fit order.
    public var fits: [SlurmFitRecord]
    /// The refit (nil until it is submitted or started).
    public var refit: SlurmFitRecord?

    public init(arrayJobId: String?, refitJobId: String?, refitLocal: Bool, followerPid: Int32?, submitted: String,
                updated: String, fits: [SlurmFitRecord], refit: SlurmFitRecord?) {
        self.arrayJobId = arrayJobId; self.refitJobId = refitJobId; self.refitLocal = refitLocal
        self.followerPid = followerPid; self.submitted = submitted; self.updated = updated; self.fits = fits
        self.refit = refit
    }

    enum CodingKeys: String, CodingKey {
        case version, arrayJobId = "array_job_id", refitJobId = "refit_job_id", refitLocal = "refit_local"
        case followerPid = "follower_pid", submitted, updated, fits, refit
    }
}

extension SearchDirectory {
    /// `slurm/`: the batch script and the state of a search run with `--executor slurm`.
    public var slurmPath: String { path + "/slurm" }
    /// `slurm/fit.sh`: the batch script every task runs.
    public var slurmScriptPath: String { slurmPath + "/fit.sh" }
    /// `slurm/state.json` (`SlurmSearchState`).
    public var slurmStatePath: String { slurmPath + "/state.json" }

    /// Writes `slurm/state.json` atomically.
    public func writeSlurmState(_ s: SlurmSearchState) throws { try writeJSON(s, to: slurmStatePath) }

    /// Reads `slurm/state.json`; nil when the search never ran on Slurm. Throws `SearchDirectoryError` for a bad file.
    public func slurmState() throws -> SlurmSearchState? {
        guard FileManager.default.fileExists(atPath: slurmStatePath) else { return nil }
        return try readJSON(SlurmSearchState.self, from: slurmStatePath)
    }
}
