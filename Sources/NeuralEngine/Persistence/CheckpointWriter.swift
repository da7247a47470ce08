import Foundation

/// Writes model snapshots to files on a background thread, one at a time, in the order they were queued (DESIGN.md,
/// "Threads": slow work the trainer asks for happens off the trainer thread, from a snapshot taken at the batch
/// boundary).
///
/// Usage on the training thread: `writer.write(model.snapshot(metadata: m), to: path) { result in ... }` costs one
/// copy of the weights; encoding, the atomic write (`SafeFile.write`) and the fsync happen on the writer's serial queue.
/// `waitUntilIdle()` blocks until everything queued so far is on disk (and every completion has run), e.g. before a
/// final checkpoint is reported or the process exits.
///
/// Order: writes run, and their completions are called, strictly in `write` order, so two requests for the same path
/// leave the later snapshot in the file. Errors are never dropped: every write ends in exactly one completion, with the
/// error when it failed.
///
/// Back-pressure: at most `maxPending` snapshots are queued (each holds a copy of the weights); `write` blocks the
/// caller while that many are waiting, so a held-down key cannot pile up memory.
///
/// Thread-safety: all members are safe from any thread (`@unchecked Sendable`: its mutable state is guarded by one
/// `NSCondition`). Completions run on the writer's queue: forward their results
/// through something thread-safe (the dashboard's `TrainingChannel`).
public final class CheckpointWriter: @unchecked Sendable {
    /// How one write ended.
    public struct Result: Sendable {
        /// The file written (or that could not be written).
        public var path: String
        /// The metadata of the snapshot.
        public var metadata: ModelMetadata
        /// `nil` on success, else why it failed (`ModelIOError.unwritable` naming the path).
        public var error: Error?
        /// Seconds spent encoding and writing, on the writer's thread.
        public var seconds: Double
    }

    private struct Job {
        var snapshot: ModelSnapshot
        var path: String
        var completion: @Sendable (Result) -> Void
    }

    /// Guards every `var` below. A pthread-based lock and a plain `Thread` (not Dispatch) so that ThreadSanitizer
    /// sees the hand-over (the channel tests run under `--sanitize=thread`).
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var submitted = 0
    private var finished = 0
    private var workerRunning = false
    /// Snapshots that may wait at once before `write` blocks.
    public let maxPending: Int

    /// - Parameter maxPending: queued snapshots before `write` blocks (at least 1).
    public init(maxPending: Int = 4) {
        self.maxPending = max(1, maxPending)
    }

    /// Queues `snapshot` to be written to `path`; `completion` runs on the writer's thread when it is done (or
    /// failed). Returns at once unless `maxPending` writes are already waiting.
    public func write(_ snapshot: ModelSnapshot, to path: String,
                      completion: @escaping @Sendable (Result) -> Void = { _ in }) {
        condition.lock()
        while submitted - finished >= maxPending { condition.wait() }
        jobs.append(Job(snapshot: snapshot, path: path, completion: completion))
        submitted += 1
        let start = !workerRunning
        workerRunning = true
        condition.unlock()
        if start {
            let t = Thread { [self] in drain() }
            t.name = "trainboard-checkpoint-writer"
            t.start()
        }
    }

    /// Blocks until every write queued before this call has finished and its completion has run.
    public func waitUntilIdle() {
        condition.lock()
        let target = submitted
        while finished < target { condition.wait() }
        condition.unlock()
    }

    /// Snapshots queued or being written.
    public var pendingCount: Int {
        condition.lock(); defer { condition.unlock() }
        return submitted - finished
    }

    /// The worker: writes queued jobs in order, then ends when none is left (the next `write` starts a new one).
    private func drain() {
        while true {
            condition.lock()
            guard !jobs.isEmpty else {
                workerRunning = false
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            let start = DispatchTime.now().uptimeNanoseconds
            var error: Error?
            do { try job.snapshot.write(to: job.path) } catch let e { error = e }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            job.completion(Result(path: job.path, metadata: job.snapshot.metadata, error: error, seconds: seconds))
            condition.lock()
            finished += 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
