import Foundation

/// Step decay: the rate is multiplied by `drop` every `epochsDrop` epochs,
///
///     lr(epoch) = lr0 · drop ^ floor(epoch / epochsDrop)        (epoch 0-based)
///
/// Counts epochs. With `drop=0.5, every=10` and lr0 0.1, epochs 0-9 train at 0.1, epochs 10-19 at 0.05, 20-29 at
/// 0.025: the first drop comes after `epochsDrop` full epochs. This is PyTorch's `StepLR(step_size=epochsDrop,
/// gamma=drop)` stepped once per epoch, and Keras 3's `ExponentialDecay(lr0, decay_steps=epochsDrop,
/// decay_rate=drop, staircase=True)` counted in epochs. (The tutorial formula `floor((1 + epoch) / epochsDrop)`
/// drops one epoch early with 0-based epochs; Trainboard does not follow it.) CLI: `step:drop=0.5,every=10`.
public struct StepDecay: LearningRateSchedule, Equatable {
    /// Factor applied at each step, in (0, 1].
    public let drop: Double
    /// Epochs per step, >= 1.
    public let epochsDrop: Int

    /// - Throws: `ScheduleError.badValue` for `drop` outside (0, 1] or `epochsDrop` < 1.
    public init(drop: Double, epochsDrop: Int) throws {
        guard drop.isFinite, drop > 0, drop <= 1 else {
            throw ScheduleError.badValue(kind: "step", key: "drop", value: "\(drop)", expected: "a number in (0, 1]")
        }
        guard epochsDrop >= 1 else {
            throw ScheduleError.badValue(kind: "step", key: "every", value: "\(epochsDrop)", expected: "an integer >= 1")
        }
        self.drop = drop
        self.epochsDrop = epochsDrop
    }

    public func learningRate(epoch: Int, initial lr0: Double) -> Double {
        let steps = max(0, epoch) / epochsDrop      // floor for non-negative integers
        return lr0 * pow(drop, Double(steps))
    }
}
