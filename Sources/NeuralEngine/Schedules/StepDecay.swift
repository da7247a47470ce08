import Foundation

/// Step decay: the rate is multiplied by `drop` every `epochsDrop` epochs, in the classic tutorial form
///
///     lr(epoch) = lr0 · drop ^ floor((1 + epoch) / epochsDrop)
///
/// Counts epochs. Note the `1 +`: with 0-based epochs the first drop happens at epoch `epochsDrop - 1` (the
/// epochs-th epoch counting from 1), exactly as the tutorial code does. Source: J. Brownlee, "Using Learning Rate
/// Schedules for Deep Learning Models in Python with Keras" (`step_decay`, drop 0.5 every 10 epochs).
/// CLI: `step:drop=0.5,every=10`.
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
        let steps = (1 + max(0, epoch)) / epochsDrop      // floor for non-negative integers
        return lr0 * pow(drop, Double(steps))
    }
}
