/// Sets the optimizer's base learning rate at the start of every epoch from a schedule (Keras
/// `keras.callbacks.LearningRateScheduler`, `keras/src/callbacks/learning_rate_scheduler.py`). Counts epochs.
///
///     onEpochBegin(e):  optimizer.learningRate = schedule(e, optimizer.learningRate)
///
/// The optimizer's legacy per-update `decay` still applies on top of the scheduled base rate. The rate used is
/// already logged as `learning_rate` by `fit` (the rate of the epoch's last update), so this callback does not
/// write it into the logs (Keras does, with the same value when there is no decay).
///
/// A non-finite or negative value from the schedule is rejected: the old rate is kept and a `.warning` message
/// names the epoch and value (Keras raises `ValueError` for a non-float).
///
/// Thread-safety: not thread-safe; training thread only. The schedule closure runs on the training thread.
/// Resumable: the schedule depends on the epoch only; a checkpoint keeps the initial rate a schedule counts from.
public final class LearningRateScheduler: ReportingCallback, ResumableCallback {
    /// The schedule: (epoch index, current base rate) -> new base rate.
    public let schedule: (_ epoch: Int, _ lr: Double) -> Double
    /// Every change made: epoch and the base rate set (for the dashboard).
    public private(set) var applied: [(epoch: Int, rate: Double)] = []

    /// - Parameter schedule: (epoch index, current base rate) -> new base rate (Keras's two-argument form).
    public init(schedule: @escaping (_ epoch: Int, _ lr: Double) -> Double) {
        self.schedule = schedule
        super.init()
    }

    /// A scheduler that follows `schedule` from `initialLearningRate` (the base rate at `onTrainBegin` when `nil`):
    /// epoch `e` gets `schedule.learningRate(epoch: e, initial: lr0)`.
    public convenience init(_ schedule: some LearningRateSchedule, initialLearningRate: Double? = nil) {
        let box = InitialRate(initialLearningRate)
        self.init { epoch, lr in
            if box.value == nil { box.value = lr }
            return schedule.learningRate(epoch: epoch, initial: box.value ?? lr)
        }
        initialRate = box
    }

    private final class InitialRate {
        var value: Double?
        let fixed: Bool
        init(_ v: Double?) { value = v; fixed = v != nil }
    }
    private var initialRate: InitialRate?

    public func captureState() -> CallbackState {
        CallbackState(values: initialRate?.value.map { ["initialLearningRate": $0] } ?? [:])
    }

    public func restoreState(_ state: CallbackState) throws {
        if let box = initialRate, !box.fixed, let v = state.values["initialLearningRate"] { box.value = v }
    }

    public override func onTrainBegin(logs: Logs) {
        if let box = initialRate, !box.fixed { box.value = model?.optimizer?.learningRate }
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) {
        guard let optimizer = model?.optimizer else {
            report(.warning, epoch: epoch, "LearningRateScheduler: the model has no optimizer")
            return
        }
        let old = optimizer.learningRate
        let new = schedule(epoch, old)
        guard new.isFinite, new >= 0 else {
            report(.warning, epoch: epoch,
                   "Epoch \(epoch + 1): LearningRateScheduler returned an invalid learning rate \(new); keeping \(old)")
            return
        }
        optimizer.learningRate = new
        applied.append((epoch, new))
    }
}
