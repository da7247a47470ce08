import Foundation

/// Exponential decay per epoch:
///
///     lr(epoch) = lr0 · exp(-k · epoch)
///
/// Counts epochs. Source: the tutorials' `exp_decay` (J. Brownlee, "Using Learning Rate Schedules for Deep
/// Learning Models in Python with Keras"); Keras 3 `ExponentialDecay(lr0, decay_steps=1, decay_rate=exp(-k))`
/// counted in epochs. CLI: `exp:k=0.1`.
public struct ExponentialDecay: LearningRateSchedule, Equatable {
    /// Decay constant per epoch, >= 0.
    public let k: Double

    /// - Throws: `ScheduleError.badValue` when `k` is negative or not finite.
    public init(k: Double) throws {
        guard k.isFinite, k >= 0 else { throw ScheduleError.badValue(kind: "exp", key: "k", value: "\(k)", expected: "a finite number >= 0") }
        self.k = k
    }

    public func learningRate(epoch: Int, initial lr0: Double) -> Double {
        lr0 * exp(-k * Double(max(0, epoch)))
    }
}
