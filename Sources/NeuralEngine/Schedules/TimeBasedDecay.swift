/// Time-based decay per epoch:
///
///     lr(epoch) = lr0 / (1 + k · epoch)
///
/// Counts epochs (Keras's legacy optimizer `decay` is the same formula per update; see `Optimizer.decay`).
/// Source: the classic "time-based learning rate schedule" of Keras tutorials
/// (J. Brownlee, "Using Learning Rate Schedules for Deep Learning Models in Python with Keras"); Keras 3
/// `InverseTimeDecay(lr0, decay_steps=1, decay_rate=k)` counted in epochs. CLI: `time:k=0.01`.
public struct TimeBasedDecay: LearningRateSchedule, Equatable {
    /// Decay rate per epoch, >= 0.
    public let k: Double

    /// - Throws: `ScheduleError.badValue` when `k` is negative or not finite.
    public init(k: Double) throws {
        guard k.isFinite, k >= 0 else { throw ScheduleError.badValue(kind: "time", key: "k", value: "\(k)", expected: "a finite number >= 0") }
        self.k = k
    }

    public func learningRate(epoch: Int, initial lr0: Double) -> Double {
        lr0 / (1 + k * Double(max(0, epoch)))
    }
}
