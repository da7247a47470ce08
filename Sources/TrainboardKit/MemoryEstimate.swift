import NeuralEngine
import SafeIO

/// The memory a training run will allocate for its model and one batch, estimated from the plan before anything is
/// built, so that `--hidden 100000,100000` is refused with the estimate (exit 2) instead of aborting in `malloc`.
///
/// Counted (float32, 4 bytes each): the weights and biases `P = sum(in * out + out)`, their gradients (`P`), the
/// optimizer's slots (SGD with momentum: `P`; Adam: `2P`; RMSprop: `P`, plus `P` with momentum; Adagrad: `P`), and per
/// batch the activations of every layer kept for the backward pass with their gradients and dropout masks
/// (`4 * batch * sum(units)`, input included) and the one-hot targets. The loaded data are not counted: they are
/// already in memory and bounded when read.
///
/// Thread-safety: a value.
public struct MemoryEstimate: Sendable, Equatable {
    /// Trainable parameters (weights and biases).
    public var parameters: Int
    /// Bytes for parameters, gradients and optimizer slots.
    public var modelBytes: Int
    /// Bytes for one batch's activations, gradients, masks and targets.
    public var batchBytes: Int
    /// `modelBytes + batchBytes`.
    public var totalBytes: Int { modelBytes.addingReportingOverflow(batchBytes).overflow ? Int.max : modelBytes + batchBytes }

    /// The estimate for `plan` on data with `inputUnits` features and a model with `outputUnits` outputs.
    /// Saturates at `Int.max` instead of overflowing.
    public init(plan: TrainingPlan, inputUnits: Int, outputUnits: Int) {
        let widths = [inputUnits] + plan.hidden + [outputUnits]
        var p = 0
        for (a, b) in zip(widths, widths.dropFirst()) {
            p = Self.add(p, Self.add(Self.mul(a, b), b))
        }
        parameters = p
        let slots: Int
        switch plan.optimizerName.lowercased() {
        case "adam", "adamw", "adamax", "nadam": slots = 2
        case "rmsprop": slots = plan.momentum > 0 ? 2 : 1
        case "adagrad": slots = 1
        default: slots = plan.momentum > 0 ? 1 : 0
        }
        modelBytes = Self.mul(Self.mul(p, 2 + slots), 4)
        let units = widths.reduce(0) { Self.add($0, $1) }
        batchBytes = Self.add(Self.mul(Self.mul(Self.mul(plan.batchSize, units), 4), 4),
                              Self.mul(Self.mul(plan.batchSize, outputUnits), 4))
    }

    /// Throws `ConfigurationError` for `hidden` (or `batch-size` when the batch dominates) when the estimate exceeds
    /// `MemoryLimit.bytes`, with the estimate and the limit in the message.
    public func check() throws {
        let limit = MemoryLimit.bytes
        guard totalBytes > limit else { return }
        let key = batchBytes > modelBytes ? "batch-size" : "hidden"
        let what = "the model (\(parameters == Int.max ? "too many" : String(parameters)) parameters) and one batch"
        throw ConfigurationError(key: key, MemoryLimit.refusal(what, needs: totalBytes))
    }

    private static func mul(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? Int.max : r
    }
    private static func add(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? Int.max : r
    }
}
