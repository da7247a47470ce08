/// Inverted dropout (Srivastava et al. 2014; Keras `Dropout`): during training each input is zeroed with probability
/// `rate` and the survivors are scaled by 1 / (1 - rate), so inference is the identity.
///
/// Shapes: `[batch, features]` in and out. Random draws come from the model's dropout stream (see `SeededGenerator`).
/// Thread-safety: not thread-safe; training thread only.
public final class Dropout: Layer {
    /// Fraction of inputs to drop, in [0, 1).
    public let rate: Double
    private var mask = FloatBuffer(capacity: 1)
    private var out = FloatBuffer(capacity: 1)
    private var capacity = 0
    private var lastWasTraining = false

    /// - Parameter rate: fraction dropped during training, `0 <= rate < 1` (trap otherwise: a programming error;
    ///   the CLI validates user input before).
    public init(_ rate: Double, name: String = "") {
        precondition(rate >= 0 && rate < 1, "Dropout rate must be in [0, 1)")
        self.rate = rate
        super.init(name: name)
    }

    public override var className: String { "Dropout" }

    override func prepare(batchCapacity rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        mask = FloatBuffer(capacity: rows * inputUnits)
        out = FloatBuffer(capacity: rows * inputUnits)
    }

    /// The mask of the last training forward pass (this layer's own buffer, or the preset one).
    private var activeMask: UnsafeMutablePointer<Float>?
    /// When set, the next training forward passes use this mask (`[rows, inputUnits]`, already drawn by
    /// `drawMask`) instead of drawing: the two halves of a data-parallel step share one mask drawn for the whole
    /// batch, so the dropout stream is consumed exactly as in a one-thread step.
    var presetMask: UnsafeMutablePointer<Float>?

    override func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool, rng: inout SeededGenerator)
        -> UnsafeMutablePointer<Float> {
        let n = rows * inputUnits
        lastWasTraining = training && rate > 0
        guard lastWasTraining else {
            out.pointer.update(from: x, count: n)
            return out.pointer
        }
        let m = presetMask ?? drawMask(rows: rows, rng: &rng)
        activeMask = m
        let o = out.pointer
        var i = 0
        while i + 8 <= n {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let s = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: xv * s, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { o[i] = x[i] * m[i]; i += 1 }
        return o
    }

    /// Draws the training mask for `rows` samples into this layer's mask buffer and returns it: `1 / (1 - rate)` for
    /// a kept input, 0 for a dropped one, `[rows, inputUnits]`.
    func drawMask(rows: Int, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let n = rows * inputUnits
        // Each 64-bit draw decides four inputs with 16 random bits each: keep when the 16-bit value is below
        // round(65536 * (1 - rate)), i.e. the rate is honoured to 1/65536.
        let threshold = UInt64(((1 - rate) * 65536).rounded())
        let scale = Float(1 / (1 - rate))
        let m = mask.pointer
        // Eight inputs from two draws at a time, as SIMD lanes (the same keep rule as the scalar loop below, which
        // finishes the last < 8 inputs; results are identical).
        let limit = SIMD8<UInt32>(repeating: UInt32(threshold))
        var i = 0
        while i + 8 <= n {
            let b0 = rng.next(), b1 = rng.next()
            let draws = SIMD8<UInt32>(UInt32(truncatingIfNeeded: b0 & 0xFFFF), UInt32(truncatingIfNeeded: (b0 >> 16) & 0xFFFF),
                                      UInt32(truncatingIfNeeded: (b0 >> 32) & 0xFFFF), UInt32(truncatingIfNeeded: b0 >> 48),
                                      UInt32(truncatingIfNeeded: b1 & 0xFFFF), UInt32(truncatingIfNeeded: (b1 >> 16) & 0xFFFF),
                                      UInt32(truncatingIfNeeded: (b1 >> 32) & 0xFFFF), UInt32(truncatingIfNeeded: b1 >> 48))
            let s = SIMD8<Float>(repeating: 0).replacing(with: scale, where: draws .< limit)
            UnsafeMutableRawPointer(m + i).storeBytes(of: s, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            var bits = rng.next()
            let end = min(n, i + 4)
            while i < end {
                // keep = 1 when the 16-bit draw is below the threshold (the wrapped difference has its top bit set),
                // computed without a branch: a data-dependent branch would mispredict at the dropout rate.
                let keep = Float(((bits & 0xFFFF) &- threshold) >> 63)
                m[i] = keep * scale
                bits >>= 16
                i += 1
            }
        }
        return m
    }

    override func backward(_ g: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool)
        -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        if lastWasTraining, let m = activeMask {
            let n = rows * inputUnits
            for i in 0..<n { g[i] *= m[i] }
        }
        return g
    }

    override func replica(rowOffset: Int) -> Layer? {
        guard isBuilt, capacity > rowOffset else { return nil }
        let r = Dropout(rate, name: name)
        copyShape(to: r)
        r.capacity = capacity - rowOffset
        r.mask = mask.rows(from: rowOffset, count: r.capacity, width: inputUnits)
        r.out = out.rows(from: rowOffset, count: r.capacity, width: inputUnits)
        return r
    }

    override var config: LayerConfig {
        LayerConfig(className: "Dropout", name: name, units: nil, activation: nil, kernelInitializer: nil,
                    biasInitializer: nil, useBias: nil, rate: rate, inputDim: nil)
    }
}
