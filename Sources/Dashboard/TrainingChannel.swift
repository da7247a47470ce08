import Synchronization

/// A request from the UI to the trainer, applied at the next batch boundary.
public enum ControlCommand: Sendable, Equatable {
    case pause
    case resume
    /// Pause when running, resume when paused.
    case togglePause
    /// Finish the current batch, run the end-of-training callbacks, write a final checkpoint.
    case stop
    /// Save a checkpoint now.
    case checkpoint
    /// Multiply the learning rate by the factor from the next update.
    case scaleLearningRate(Double)
    /// Set the learning rate from the next update.
    case setLearningRate(Double)
}

/// The one object shared by the trainer thread and the UI thread: a mutex-protected snapshot the trainer publishes
/// into, an `Atomic` version counter bumped on every publish (so the UI redraws only on change), and a
/// mutex-protected inbox of control commands the trainer drains at batch boundaries. The mutexes are `Locked`
/// (pthread) rather than `Synchronization.Mutex`, which ThreadSanitizer cannot see on Linux.
///
/// Thread-safety: every method is safe from any thread. Closures passed to `update` run under the lock: keep them
/// short and do not call back into the channel from them.
public final class TrainingChannel: Sendable {
    private let state: Locked<TrainingSnapshot>
    private let inbox = Locked<[ControlCommand]>([])
    private let counter = Atomic<UInt64>(0)

    public init(_ initial: TrainingSnapshot = TrainingSnapshot()) { state = Locked(initial) }

    /// Increases on every `update`; compare with the last value you rendered.
    public var version: UInt64 { counter.load(ordering: .acquiring) }

    /// A copy of the current snapshot (cheap: series are chunked copy-on-write values).
    public func snapshot() -> TrainingSnapshot { state.withLock { $0 } }

    /// Mutates the snapshot under the lock and bumps `version`.
    public func update(_ body: (inout TrainingSnapshot) -> Void) {
        state.withLock { body(&$0) }
        counter.add(1, ordering: .releasing)
    }

    /// Queues a command for the trainer.
    public func send(_ command: ControlCommand) {
        inbox.withLock { $0.append(command) }
        counter.add(1, ordering: .releasing)
    }

    /// Removes and returns the queued commands, oldest first.
    public func drainCommands() -> [ControlCommand] {
        inbox.withLock { q in
            let out = q
            q.removeAll(keepingCapacity: true)
            return out
        }
    }

    /// True when commands are waiting (cheap check for the trainer's hot path).
    public var hasCommands: Bool { inbox.withLock { !$0.isEmpty } }
}
