/// A learning-rate schedule over epochs: the base learning rate for epoch `epoch` (0-based) given the initial
/// rate `lr0`. Used with `LearningRateScheduler`, which applies it at the start of every epoch; the optimizer's
/// legacy per-update `decay` (if any) still applies on top.
///
/// Implementations are pure value types: same inputs, same rate. Thread-safety: `Sendable`; safe anywhere (the
/// dashboard calls `plannedRates` on the UI thread).
public protocol LearningRateSchedule: Sendable {
    /// The base learning rate for epoch `epoch` (0-based; negative epochs are treated as 0), starting from `lr0`.
    func learningRate(epoch: Int, initial lr0: Double) -> Double
}

extension LearningRateSchedule {
    /// The planned rates for epochs `epoch ..< epochs` (empty when `epochs <= epoch`), for drawing the curve.
    public func plannedRates(from epoch: Int, to epochs: Int, initial lr0: Double) -> [Double] {
        guard epochs > epoch else { return [] }
        return (epoch..<epochs).map { learningRate(epoch: $0, initial: lr0) }
    }
}
