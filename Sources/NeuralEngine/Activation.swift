/// Element-wise (or row-wise, for softmax) activations with Keras's names.
///
/// | name | f(z) | f'(z) used in backward |
/// |---|---|---|
/// | `linear` | z | 1 |
/// | `relu` | max(0, z); NaN stays NaN | 1 if z > 0 else 0 (0 at z = 0 and at NaN, as TensorFlow) |
/// | `sigmoid` | 1 / (1 + e^-z) | f(z)(1 - f(z)) |
/// | `tanh` | tanh z | 1 - f(z)² |
/// | `softmax` | e^(z_i - max z) / Σ_j e^(z_j - max z) per row | Jacobian-vector product: y ⊙ (g - Σ g⊙y) |
///
/// NaN propagates as in Keras: relu(NaN) = NaN (TensorFlow's and JAX's `maximum` propagate NaN; a `z > 0 ? z : 0`
/// select, like Swift's `max`, would depend on the operand order and turn NaN into 0), sigmoid, tanh and linear map
/// NaN to NaN, and a NaN anywhere in a softmax row makes the whole row NaN. A NaN input therefore reaches the loss,
/// where `TerminateOnNaN` sees it.
///
/// With `categorical_crossentropy` after a softmax (or `binary_crossentropy` after a sigmoid) the loss is computed
/// from the logits in one stable step instead (see `Loss`).
public enum Activation: String, CaseIterable, Sendable, Codable {
    case linear, relu, sigmoid, tanh, softmax

    /// Parses a Keras name (`None` is not accepted; use `linear`).
    public init?(name: String) { self.init(rawValue: name.lowercased()) }

    /// `a = f(z)` for a `[rows, cols]` row-major block, `z` plus a per-column `bias` added first when given.
    /// `z` is updated in place to hold `z + bias`.
    func forward(z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, a: UnsafeMutablePointer<Float>,
                 rows: Int, cols: Int) {
        if self == .relu {
            reluForward(z: z, bias: bias, a: a, rows: rows, cols: cols)
            return
        }
        for r in 0..<rows {
            let zr = z + r * cols, ar = a + r * cols
            if let b = bias { for j in 0..<cols { zr[j] += b[j] } }
            switch self {
            case .linear: ar.update(from: zr, count: cols)
            // `<= 0` is false for NaN, so NaN passes through (see the type's notes).
            case .relu: for j in 0..<cols { ar[j] = zr[j] <= 0 ? 0 : zr[j] }
            case .sigmoid: for j in 0..<cols { ar[j] = Activation.sigmoid(zr[j]) }
            case .tanh: for j in 0..<cols { ar[j] = ftanh(zr[j]) }
            case .softmax:
                var m = -Float.infinity
                for j in 0..<cols where zr[j] > m { m = zr[j] }
                if !m.isFinite { m = 0 }
                var s: Float = 0
                for j in 0..<cols { let e = fexp(zr[j] - m); ar[j] = e; s += e }
                let inv = 1 / s
                for j in 0..<cols { ar[j] *= inv }
            }
        }
    }

    /// `z += bias; a = z <= 0 ? 0 : z` in one pass, eight lanes at a time (the same operations as the scalar loop,
    /// which finishes each row; results are identical). `<= 0` is false for NaN, so NaN passes through as in Keras.
    private func reluForward(z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, a: UnsafeMutablePointer<Float>,
                             rows: Int, cols: Int) {
        for r in 0..<rows {
            let zr = z + r * cols, ar = a + r * cols
            var j = 0
            while j + 8 <= cols {
                var zv = UnsafeRawPointer(zr + j).loadUnaligned(as: SIMD8<Float>.self)
                if let b = bias { zv += UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self) }
                UnsafeMutableRawPointer(zr + j).storeBytes(of: zv, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(ar + j).storeBytes(of: zv.replacing(with: 0, where: zv .<= 0), as: SIMD8<Float>.self)
                j += 8
            }
            while j < cols {
                if let b = bias { zr[j] += b[j] }
                ar[j] = zr[j] <= 0 ? 0 : zr[j]
                j += 1
            }
        }
    }

    /// Converts `g = dL/da` into `dL/dz` in place, given `z` and `a = f(z)`.
    func backward(grad g: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, a: UnsafePointer<Float>,
                  rows: Int, cols: Int) {
        let n = rows * cols
        switch self {
        case .linear: return
        case .relu:
            // Branch-free (SIMD select): with random signs a branch here mispredicts half the time and made this
            // loop ~10x slower than the GEMMs around it expect.
            var i = 0
            while i + 8 <= n {
                let zv = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
                var gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                gv.replace(with: 0, where: .!(zv .> 0))
                UnsafeMutableRawPointer(g + i).storeBytes(of: gv, as: SIMD8<Float>.self)
                i += 8
            }
            while i < n { if !(z[i] > 0) { g[i] = 0 }; i += 1 }
        case .sigmoid: for i in 0..<n { g[i] *= a[i] * (1 - a[i]) }
        case .tanh: for i in 0..<n { g[i] *= 1 - a[i] * a[i] }
        case .softmax:
            for r in 0..<rows {
                let gr = g + r * cols, ar = a + r * cols
                var dot: Float = 0
                for j in 0..<cols { dot += gr[j] * ar[j] }
                for j in 0..<cols { gr[j] = ar[j] * (gr[j] - dot) }
            }
        }
    }

    /// Logistic sigmoid, evaluated without overflow for large |z|.
    @inline(__always) static func sigmoid(_ z: Float) -> Float {
        if z >= 0 { return 1 / (1 + fexp(-z)) }
        let e = fexp(z)
        return e / (1 + e)
    }
}
