/// Losses with Keras's names and reductions: per-sample values are averaged over the last axis where Keras does
/// (MSE, binary cross-entropy) and the batch loss is their mean over samples ("sum_over_batch_size").
///
/// | name | per-sample loss |
/// |---|---|
/// | `mean_squared_error` | (1/C) Σ_j (a_j - y_j)² |
/// | `categorical_crossentropy` | -Σ_j y_j log softmax(z)_j = Σ_j y_j (logsumexp(z) - z_j) when the last layer is a softmax (fused, from logits, never NaN); otherwise Keras's form on probabilities: p normalised to sum 1, clipped to [ε, 1-ε], ε = 1e-7 |
/// | `binary_crossentropy` | (1/C) Σ_j max(z_j, 0) - z_j y_j + log(1 + e^-\|z_j\|) from logits when the last layer is a sigmoid; otherwise -(1/C) Σ_j [y log p + (1-y) log(1-p)] with p clipped to [ε, 1-ε] |
///
/// The fused forms are the standard stable rewrites (as TensorFlow's `softmax_cross_entropy_with_logits` and
/// `sigmoid_cross_entropy_with_logits`); their gradient with respect to the logits is `(softmax(z)·Σy - y) / batch`
/// and `(sigmoid(z) - y) / (C · batch)`.
public enum Loss: String, CaseIterable, Sendable, Codable {
    case meanSquaredError = "mean_squared_error"
    case categoricalCrossentropy = "categorical_crossentropy"
    case binaryCrossentropy = "binary_crossentropy"

    /// Keras's fuzz factor for clipping probabilities.
    public static let epsilon: Double = 1e-7

    /// Parses a Keras name or alias (`mse`, `categorical_crossentropy`, `binary_crossentropy`, `bce`, `cce`).
    public init?(name: String) {
        switch name.lowercased() {
        case "mse", "mean_squared_error": self = .meanSquaredError
        case "categorical_crossentropy", "cce": self = .categoricalCrossentropy
        case "binary_crossentropy", "bce": self = .binaryCrossentropy
        default: return nil
        }
    }

    /// True when, after `activation`, the loss is computed from the logits in fused form.
    public func isFused(with activation: Activation) -> Bool {
        (self == .categoricalCrossentropy && activation == .softmax) ||
            (self == .binaryCrossentropy && activation == .sigmoid)
    }

    /// Computes the batch's summed per-sample losses (for `rows` samples of `cols` outputs) and, when `grad` is given,
    /// writes the gradient of the batch mean into it: with respect to `z` when fused (returned `true`), else with
    /// respect to `a`.
    ///
    /// - Parameters: `z` logits and `a = activation(z)`, `y` targets, all `[rows, cols]` row-major; `batchRows` the
    ///   whole batch's size when these rows are part of it (a data-parallel half): the gradient is of the mean over
    ///   the whole batch (Keras), so each half's gradients add up to the batch's. Default `rows`.
    /// - Returns: (sum over samples of the per-sample loss, whether `grad` is dL/dz).
    func compute(z: UnsafePointer<Float>, a: UnsafePointer<Float>, y: UnsafePointer<Float>, rows: Int, cols: Int,
                 activation: Activation, grad: UnsafeMutablePointer<Float>?,
                 batchRows: Int? = nil) -> (sum: Double, preActivation: Bool) {
        let invBatch = 1 / Float(batchRows ?? rows)
        var total = 0.0
        let fused = isFused(with: activation)
        let eps = Loss.epsilon
        for r in 0..<rows {
            let zr = z + r * cols, ar = a + r * cols, yr = y + r * cols
            let gr = grad.map { $0 + r * cols }
            switch (self, fused) {
            case (.meanSquaredError, _):
                var s = 0.0
                let k = 2 * invBatch / Float(cols)
                for j in 0..<cols {
                    let d = ar[j] - yr[j]
                    s += Double(d) * Double(d)
                    gr?[j] = k * d
                }
                total += s / Double(cols)
            case (.categoricalCrossentropy, true):
                total += Loss.softmaxCrossEntropy(logits: zr, labels: yr, count: cols)
                if let gr {
                    var ysum: Float = 0
                    for j in 0..<cols { ysum += yr[j] }
                    for j in 0..<cols { gr[j] = (ar[j] * ysum - yr[j]) * invBatch }
                }
            case (.categoricalCrossentropy, false):
                var psum = 0.0, ysum = 0.0
                for j in 0..<cols { psum += Double(ar[j]); ysum += Double(yr[j]) }
                // A NaN output makes the sum NaN and so every normalised p (Keras: output / sum(output)); the clip
                // keeps NaN (explicitly: Swift's min/max would pass or drop it depending on the operand order).
                if !(psum > 0) && !psum.isNaN { psum = eps }
                var s = 0.0
                for j in 0..<cols where yr[j] != 0 {
                    let r = Double(ar[j]) / psum
                    let q = r.isNaN ? r : min(max(r, eps), 1 - eps)
                    s -= Double(yr[j]) * dlog(q)
                }
                total += s
                if let gr {
                    for j in 0..<cols {
                        let p = max(Double(ar[j]), eps * psum)
                        gr[j] = Float((-Double(yr[j]) / p + ysum / psum)) * invBatch
                    }
                }
            case (.binaryCrossentropy, true):
                var s = 0.0
                let k = invBatch / Float(cols)
                for j in 0..<cols {
                    s += Loss.sigmoidCrossEntropy(logit: Double(zr[j]), label: Double(yr[j]))
                    gr?[j] = (ar[j] - yr[j]) * k
                }
                total += s / Double(cols)
            case (.binaryCrossentropy, false):
                var s = 0.0
                let k = Double(invBatch) / Double(cols)
                for j in 0..<cols {
                    let yv = Double(yr[j])
                    s += Loss.binaryCrossentropy(probability: Double(ar[j]), label: yv)
                    if let gr {
                        let raw = Double(ar[j])
                        if raw <= eps || raw >= 1 - eps { gr[j] = 0 } else {
                            gr[j] = Float((raw - yv) / (raw * (1 - raw)) * k)
                        }
                    }
                }
                total += s / Double(cols)
            }
        }
        return (total, fused)
    }

    /// -Σ_j y_j log softmax(z)_j for one sample, computed as Σ_j y_j (m - z_j) + (Σ y) log1p(Σ_{j≠argmax} e^(z_j - m))
    /// with m = max z, in `Double`: finite for any finite logits, and strictly positive (never a rounded 0 or NaN)
    /// unless the target puts all its mass on a class whose logit exceeds every other by more than ~745.
    public static func softmaxCrossEntropy(logits z: UnsafePointer<Float>, labels y: UnsafePointer<Float>,
                                           count: Int) -> Double {
        var m = -Double.infinity, arg = 0
        for j in 0..<count where Double(z[j]) > m { m = Double(z[j]); arg = j }
        var rest = 0.0, ysum = 0.0, lin = 0.0
        for j in 0..<count {
            if j != arg { rest += dexp(Double(z[j]) - m) }
            ysum += Double(y[j])
            lin += Double(y[j]) * (m - Double(z[j]))
        }
        return lin + ysum * dlog1p(rest)
    }

    /// Binary cross-entropy of one logit: max(z, 0) - z·y + log(1 + e^-|z|).
    public static func sigmoidCrossEntropy(logit z: Double, label y: Double) -> Double {
        max(z, 0) - z * y + dlog1p(dexp(-abs(z)))
    }

    /// Keras's binary cross-entropy on a probability: p clipped to [1e-7, 1 - 1e-7], then -(y log p + (1-y) log(1-p)).
    /// Finite for every p in [0, 1] (p = 0, y = 1 gives -log(1e-7) ≈ 16.118); NaN for a NaN p, as Keras's `clip`
    /// propagates NaN (so `TerminateOnNaN` sees it).
    public static func binaryCrossentropy(probability p: Double, label y: Double) -> Double {
        let q = p.isNaN ? p : min(max(p, epsilon), 1 - epsilon)
        return -(y * dlog(q) + (1 - y) * dlog(1 - q))
    }

    /// Per-sample losses for a whole batch given the last layer's logits `z` `[batch, classes]` (public for tests and
    /// tools). `activation` is the last layer's activation (`softmax` for the fused categorical form).
    public func perSample(logits z: Matrix, targets y: Matrix, activation: Activation) -> [Double] {
        precondition(z.rows == y.rows && z.cols == y.cols, "logits and targets must have the same shape")
        var zz = z.storage
        var a = [Float](repeating: 0, count: z.count)
        return zz.withUnsafeMutableBufferPointer { zp in
            a.withUnsafeMutableBufferPointer { ap in
                activation.forward(z: zp.baseAddress!, bias: nil, a: ap.baseAddress!, rows: z.rows, cols: z.cols)
                return y.storage.withUnsafeBufferPointer { yp in
                    (0..<z.rows).map { r in
                        compute(z: zp.baseAddress! + r * z.cols, a: ap.baseAddress! + r * z.cols,
                                y: yp.baseAddress! + r * z.cols, rows: 1, cols: z.cols, activation: activation,
                                grad: nil).sum
                    }
                }
            }
        }
    }
}

/// Metrics with Keras's names. `accuracy` resolves as Keras does from the loss and output width: categorical
/// (argmax of output equals argmax of target) for more than one output, binary (output > 0.5 equals target > 0.5,
/// averaged over outputs) for a single output. `mae` is the mean absolute error over outputs.
public enum Metric: String, CaseIterable, Sendable, Codable {
    case accuracy
    case mae

    /// Parses a Keras name or alias (`acc`, `accuracy`, `mae`, `mean_absolute_error`).
    public init?(name: String) {
        switch name.lowercased() {
        case "accuracy", "acc": self = .accuracy
        case "mae", "mean_absolute_error": self = .mae
        default: return nil
        }
    }

    /// Sum over the `rows` samples of the per-sample metric value.
    func sum(a: UnsafePointer<Float>, y: UnsafePointer<Float>, rows: Int, cols: Int) -> Double {
        var total = 0.0
        switch self {
        case .accuracy:
            if cols == 1 {
                for r in 0..<rows where (a[r] > 0.5) == (y[r] > 0.5) { total += 1 }
            } else {
                for r in 0..<rows {
                    let ar = a + r * cols, yr = y + r * cols
                    var ia = 0, iy = 0
                    for j in 1..<cols {
                        if ar[j] > ar[ia] { ia = j }
                        if yr[j] > yr[iy] { iy = j }
                    }
                    if ia == iy { total += 1 }
                }
            }
        case .mae:
            for r in 0..<rows {
                var s = 0.0
                for j in 0..<cols { s += Double(abs(a[r * cols + j] - y[r * cols + j])) }
                total += s / Double(cols)
            }
        }
        return total
    }
}
