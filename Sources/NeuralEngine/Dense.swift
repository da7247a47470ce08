import CBLAS

/// A fully connected layer, `a = activation(x · kernel + bias)` (Keras `Dense`).
///
/// Shapes: input `[batch, inputs]`, kernel `[inputs, units]`, bias `[units]`, output `[batch, units]`, all row-major.
/// GEMMs go through BLAS (`cblas_sgemm`). Backward: `dW = xᵀ · dz`, `db = Σ_rows dz`, `dx = dz · Wᵀ`.
/// Thread-safety: not thread-safe; training thread only.
public final class Dense: Layer {
    /// Output features.
    public let units: Int
    public let activation: Activation
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let useBias: Bool
    /// Input features when given up front (Keras's `input_dim`); otherwise taken from the data or previous layer.
    public let inputDim: Int?

    var kernel: Parameter?
    var bias: Parameter?
    private var z = FloatBuffer(capacity: 1)
    private var a = FloatBuffer(capacity: 1)
    private var dx = FloatBuffer(capacity: 1)
    private var capacity = 0
    private var input: UnsafePointer<Float>?

    /// - Parameters:
    ///   - units: output features (> 0).
    ///   - activation: applied after the affine map (Keras default `linear`).
    ///   - kernelInitializer: Keras default `glorot_uniform`.
    ///   - biasInitializer: Keras default `zero`.
    ///   - inputDim: input features, when this is the first layer and you want to build before seeing data.
    public init(_ units: Int, activation: Activation = .linear, kernelInitializer: Initializer = .glorotUniform,
                biasInitializer: Initializer = .zero, useBias: Bool = true, inputDim: Int? = nil, name: String = "") {
        precondition(units > 0, "Dense units must be positive")
        self.units = units
        self.activation = activation
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.useBias = useBias
        self.inputDim = inputDim
        super.init(name: name)
    }

    public override var className: String { "Dense" }

    public override var parameters: [Parameter] { [kernel, bias].compactMap { $0 } }

    override func build(inputUnits: Int, rng: inout SeededGenerator) {
        self.inputUnits = inputUnits
        self.outputUnits = units
        kernel = Parameter(name: "\(name)/kernel", rows: inputUnits, cols: units,
                           values: kernelInitializer.values(count: inputUnits * units, fanIn: inputUnits,
                                                            fanOut: units, rng: &rng))
        if useBias {
            bias = Parameter(name: "\(name)/bias", rows: 1, cols: units,
                             values: biasInitializer.values(count: units, fanIn: inputUnits, fanOut: units, rng: &rng))
        }
        isBuilt = true
    }

    override func prepare(batchCapacity rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        z = FloatBuffer(capacity: rows * units)
        a = activation == .linear ? z : FloatBuffer(capacity: rows * units)
        dx = FloatBuffer(capacity: rows * inputUnits)
    }

    /// Pre-activation values `z = x·W + b` of the last forward pass, `[rows, units]`.
    var preActivation: UnsafeMutablePointer<Float> { z.pointer }

    override func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool, rng: inout SeededGenerator)
        -> UnsafeMutablePointer<Float> {
        guard let kernel else { fatalError("Dense.forward before build") }
        input = x
        tb_sgemm(Int32(TB_NO_TRANS), Int32(TB_NO_TRANS), Int32(rows), Int32(units), Int32(inputUnits), 1,
                 x, Int32(inputUnits), kernel.value.pointer, Int32(units), 0, z.pointer, Int32(units))
        activation.forward(z: z.pointer, bias: bias.map { UnsafePointer($0.value.pointer) }, a: a.pointer,
                           rows: rows, cols: units)
        return a.pointer
    }

    override func backward(_ g: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool)
        -> UnsafeMutablePointer<Float>? {
        backward(g, rows: rows, needInputGradient: needInputGradient, gradientIsPreActivation: false)
    }

    /// Backward pass; when `gradientIsPreActivation`, `g` is already dL/dz (fused softmax/sigmoid + cross-entropy).
    /// With `weightGradients` false the kernel and bias gradients are left for `kernelGradient`/`biasGradient` (a
    /// data-parallel step computes them once for the whole batch); `g` then holds dL/dz until the next step.
    func backward(_ g: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool,
                  gradientIsPreActivation: Bool, weightGradients: Bool = true) -> UnsafeMutablePointer<Float>? {
        guard let kernel, input != nil else { fatalError("Dense.backward before forward") }
        if !gradientIsPreActivation {
            activation.backward(grad: g, z: z.pointer, a: a.pointer, rows: rows, cols: units)
        }
        dz = g
        if weightGradients {
            kernelGradient(rows: rows, inputs: 0..<inputUnits)
            biasGradient(rows: rows)
        }
        guard needInputGradient else { return nil }
        // dx[rows, in] = dz[rows, units] · Wᵀ[units, in]
        tb_sgemm(Int32(TB_NO_TRANS), Int32(TB_TRANS), Int32(rows), Int32(inputUnits), Int32(units), 1,
                 g, Int32(units), kernel.value.pointer, Int32(units), 0, dx.pointer, Int32(inputUnits))
        return dx.pointer
    }

    /// dL/dz of the last backward pass, `[rows, units]`.
    private var dz: UnsafeMutablePointer<Float>?

    /// Kernel gradient rows `inputs` from the last forward and backward passes over `rows` samples:
    /// dW[inputs, units] = x[:, inputs]ᵀ · dz. Kernel rows are independent: disjoint ranges may be computed on
    /// different threads, with the same values as in one call.
    func kernelGradient(rows: Int, inputs: Range<Int>) {
        guard let kernel, let x = input, let dz, !inputs.isEmpty else { return }
        tb_sgemm(Int32(TB_TRANS), Int32(TB_NO_TRANS), Int32(inputs.count), Int32(units), Int32(rows), 1,
                 x + inputs.lowerBound, Int32(inputUnits), dz, Int32(units), 0,
                 kernel.grad.pointer + inputs.lowerBound * units, Int32(units))
    }

    /// Bias gradient db = Σ_rows dz from the last backward pass over `rows` samples.
    func biasGradient(rows: Int) {
        guard let bias, let g = dz else { return }
        let db = bias.grad.pointer
        db.update(repeating: 0, count: units)
        for r in 0..<rows {
            let gr = g + r * units
            for j in 0..<units { db[j] += gr[j] }
        }
    }

    override func replica(rowOffset: Int) -> Layer? {
        guard isBuilt, capacity > rowOffset else { return nil }
        let r = Dense(units, activation: activation, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                      useBias: useBias, inputDim: inputDim, name: name)
        copyShape(to: r)
        r.kernel = kernel
        r.bias = bias
        r.capacity = capacity - rowOffset
        r.z = z.rows(from: rowOffset, count: r.capacity, width: units)
        r.a = activation == .linear ? r.z : a.rows(from: rowOffset, count: r.capacity, width: units)
        r.dx = dx.rows(from: rowOffset, count: r.capacity, width: inputUnits)
        return r
    }

    override var config: LayerConfig {
        LayerConfig(className: "Dense", name: name, units: units, activation: activation,
                    kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, useBias: useBias,
                    rate: nil, inputDim: inputDim)
    }
}
