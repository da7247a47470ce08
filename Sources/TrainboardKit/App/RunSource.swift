import Dashboard

/// What the dashboard may do with a run source.
///
/// Thread-safety: a value; safe to send between threads.
public struct RunSourceInfo: Sendable, Equatable {
    /// A short name for the source ("training", "replay of run.csv").
    public var name: String
    /// True when the source obeys control commands (pause, checkpoint, stop, learning-rate changes). A read-only
    /// source (a finished run's files) gets none: the keys `p c s + - l` are disabled and the key hints say so.
    public var canSteer: Bool
    /// True when `q` leaves at once without stopping the run (an attached dashboard detaches; the run goes on).
    public var detachOnQuit: Bool

    public init(name: String, canSteer: Bool, detachOnQuit: Bool = false) {
        self.name = name
        self.canSteer = canSteer
        self.detachOnQuit = detachOnQuit
    }
}

/// Something that feeds a `TrainingChannel` for the dashboard: the in-process trainer (`InProcessTrainer`), or a
/// finished run read from its files (`FinishedRunSource` once the channel is filled). The dashboard reads only the
/// channel; from the source it needs only these few facts.
///
/// Thread-safety: the members are called from the loop's thread; implementations that feed from another thread make
/// `isDone` and `failure` safe to read from it.
public protocol RunSource: AnyObject {
    /// The name and capabilities.
    var info: RunSourceInfo { get }
    /// Starts feeding the channel (the trainer's thread starts here). Called once, after the screen started.
    func start()
    /// True once nothing more will be published.
    var isDone: Bool { get }
    /// Why the run failed, once done: the dashboard then leaves at once so that the caller can print it. Nil when it
    /// did not fail.
    var failure: String? { get }
    /// Asks the source to stop (the trainer: a `.stop` command) and waits up to `seconds` (real time) for it to end.
    func stop(waitingUpTo seconds: Double)
    /// Waits up to `seconds` (real time) for the source to end by itself.
    func wait(upTo seconds: Double)
}

/// A source whose channel already holds everything (a replay of log files): done from the start, never steered.
///
/// Thread-safety: immutable; safe from any thread.
public final class FinishedRunSource: RunSource, Sendable {
    public let info: RunSourceInfo

    /// - Parameter info: the name; `canSteer` should be false (nothing obeys commands).
    public init(info: RunSourceInfo) { self.info = info }

    public func start() {}
    public var isDone: Bool { true }
    public var failure: String? { nil }
    public func stop(waitingUpTo seconds: Double) {}
    public func wait(upTo seconds: Double) {}
}
