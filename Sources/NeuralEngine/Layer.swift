/// A trainable tensor and its gradient, row-major `[rows, cols]` (a `Dense` kernel is `[inputs, units]`, its bias
/// `[1, units]`).
///
/// Thread-safety: not thread-safe; owned by its layer on the training thread.
public final class Parameter {
    /// Keras-style name, e.g. `dense_1/kernel`.
    public let name: String
    public let rows: Int
    public let cols: Int
    let value: FloatBuffer
    let grad: FloatBuffer

    init(name: String, rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols)
        self.name = name
        self.rows = rows
        self.cols = cols
        self.value = FloatBuffer(values)
        self.grad = FloatBuffer(capacity: rows * cols)
    }

    /// Number of scalars, `rows * cols`.
    public var count: Int { rows * cols }

    /// The current values as a matrix.
    public var matrix: Matrix { Matrix(rows: rows, cols: cols, storage: value.array(count: count)) }

    /// The gradient from the last backward pass, as a matrix.
    public var gradient: Matrix { Matrix(rows: rows, cols: cols, storage: grad.array(count: count)) }

    /// Replaces the values. Throws `ModelError.weightShape` when the shape differs.
    public func assign(_ m: Matrix) throws {
        guard m.rows == rows, m.cols == cols else {
            throw ModelError.weightShape(name: name, expected: [rows, cols], got: [m.rows, m.cols])
        }
        m.storage.withUnsafeBufferPointer { value.pointer.update(from: $0.baseAddress!, count: count) }
    }
}

/// Base class of layers. Layers work on row-major batches `[rows, features]` in preallocated buffers; the public
/// entry points are on `Sequential`.
///
/// Subclasses (in this module): `Dense`, `Dropout`.
/// Thread-safety: not thread-safe; a layer lives on the training thread.
public class Layer {
    /// Keras-style unique name (`dense`, `dense_1`, `dropout`, ...), assigned by `Sequential` when empty.
    public internal(set) var name: String
    /// Features per sample coming in; known once built.
    public internal(set) var inputUnits = 0
    /// Features per sample going out; known once built.
    public internal(set) var outputUnits = 0
    /// True once `build` ran.
    public internal(set) var isBuilt = false

    init(name: String) { self.name = name }

    /// The Keras class name (`Dense`, `Dropout`).
    public var className: String { "Layer" }

    /// Trainable parameters, in Keras's weight order (kernel, then bias).
    public var parameters: [Parameter] { [] }

    /// Creates parameters for `inputUnits` inputs, drawing initial values from `rng`.
    func build(inputUnits: Int, rng: inout SeededGenerator) {
        self.inputUnits = inputUnits
        self.outputUnits = inputUnits
        isBuilt = true
    }

    /// Makes sure the workspaces hold `rows` samples.
    func prepare(batchCapacity rows: Int) {}

    /// Forward pass on `x` `[rows, inputUnits]`; returns this layer's output `[rows, outputUnits]`, valid until the
    /// next forward call. `x` must stay valid until `backward`.
    func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool, rng: inout SeededGenerator)
        -> UnsafeMutablePointer<Float> { fatalError("abstract") }

    /// Backward pass: `g` is dL/d(output) `[rows, outputUnits]` (may be overwritten). Accumulates nothing: sets the
    /// parameters' gradients for this batch. Returns dL/d(input) `[rows, inputUnits]` when `needInputGradient`.
    func backward(_ g: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool)
        -> UnsafeMutablePointer<Float>? { fatalError("abstract") }

    /// The configuration for saving (`LayerConfig`).
    var config: LayerConfig { fatalError("abstract") }

    /// A copy of this built layer for the second half of a data-parallel training step (see `Sequential`): the same
    /// parameters, and workspaces that are views of this layer's own from row `rowOffset` on, so that the two halves'
    /// activations and gradients lie one after the other as a whole batch's would. Valid until this layer's
    /// workspaces are reallocated (`prepare` with more rows). nil when the layer cannot be replicated.
    func replica(rowOffset: Int) -> Layer? { nil }

    /// The part of `replica` every layer shares: `r` gets this layer's shape and is marked built.
    func copyShape(to r: Layer) {
        r.inputUnits = inputUnits
        r.outputUnits = outputUnits
        r.isBuilt = true
    }
}

/// Errors from building, compiling, training or restoring a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// `setWeights` or a checkpoint gave a tensor of the wrong shape.
    case weightShape(name: String, expected: [Int], got: [Int])
    /// `setWeights` got the wrong number of tensors.
    case weightCount(expected: Int, got: Int)
    /// `fit`/`evaluate` before `compile`.
    case notCompiled
    /// The data's feature count differs from the model's input.
    case inputMismatch(expected: Int, got: Int)
    /// The data's target width differs from the model's output.
    case targetMismatch(expected: Int, got: Int)
    /// An argument is out of range; the message names it.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .weightShape(let n, let e, let g): return "weight \(n) has shape \(g), expected \(e)"
        case .weightCount(let e, let g): return "got \(g) weight tensors, the model has \(e)"
        case .notCompiled: return "the model must be compiled (optimizer and loss) before training or evaluation"
        case .inputMismatch(let e, let g): return "the data has \(g) features per sample, the model expects \(e)"
        case .targetMismatch(let e, let g): return "the targets have width \(g), the model outputs \(e) values"
        case .invalidArgument(let m): return m
        }
    }
}
