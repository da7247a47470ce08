/// Weight initializers with Keras's names and definitions (keras.initializers; `VarianceScaling` for the fan-based
/// ones). For a `Dense` kernel of shape `[inputs, units]`, `fanIn = inputs` and `fanOut = units`.
///
/// | name | distribution |
/// |---|---|
/// | `uniform` | U(-0.05, 0.05) (Keras 2 `RandomUniform` defaults) |
/// | `normal` | N(0, 0.05²) (Keras 2 `RandomNormal` defaults) |
/// | `zero` | 0 |
/// | `lecun_uniform` | U(-l, l), l = √(3 / fanIn) (LeCun et al. 1998) |
/// | `lecun_normal` | truncated N, σ = √(1 / fanIn) / 0.87962566103423978 |
/// | `glorot_uniform` | U(-l, l), l = √(6 / (fanIn + fanOut)) (Glorot & Bengio 2010) |
/// | `glorot_normal` | truncated N, σ = √(2 / (fanIn + fanOut)) / 0.87962566103423978 |
/// | `he_uniform` | U(-l, l), l = √(6 / fanIn) (He et al. 2015) |
/// | `he_normal` | truncated N, σ = √(2 / fanIn) / 0.87962566103423978 |
///
/// "Truncated" draws are redrawn beyond two standard deviations, as Keras's `TruncatedNormal`; the constant
/// 0.8796… is the standard deviation of a unit normal truncated at ±2, which Keras divides by so that the truncated
/// draw has the intended variance.
public enum Initializer: String, CaseIterable, Sendable, Codable {
    case uniform, normal, zero
    case lecunUniform = "lecun_uniform"
    case lecunNormal = "lecun_normal"
    case glorotUniform = "glorot_uniform"
    case glorotNormal = "glorot_normal"
    case heUniform = "he_uniform"
    case heNormal = "he_normal"

    /// Parses a Keras name; accepts the aliases `zeros`, `random_uniform`, `random_normal`.
    public init?(name: String) {
        switch name.lowercased() {
        case "zeros": self = .zero
        case "random_uniform": self = .uniform
        case "random_normal": self = .normal
        default:
            guard let v = Initializer(rawValue: name.lowercased()) else { return nil }
            self = v
        }
    }

    /// Standard deviation of a unit normal truncated to [-2, 2] (used by Keras's `VarianceScaling`).
    public static let truncatedNormalStddev = 0.87962566103423978

    /// Fills `count` values for a tensor with the given fans.
    public func values(count: Int, fanIn: Int, fanOut: Int, rng: inout SeededGenerator) -> [Float] {
        let fi = Double(max(1, fanIn)), fo = Double(max(1, fanOut))
        func uniform(_ limit: Double) -> [Float] {
            (0..<count).map { _ in Float((rng.nextUnitDouble() * 2 - 1) * limit) }
        }
        func truncated(_ sigma: Double) -> [Float] {
            (0..<count).map { _ in Float(rng.nextTruncatedNormal(stddev: sigma)) }
        }
        switch self {
        case .zero: return [Float](repeating: 0, count: count)
        case .uniform: return uniform(0.05)
        case .normal: return (0..<count).map { _ in Float(rng.nextNormal() * 0.05) }
        case .lecunUniform: return uniform((3 / fi).squareRoot())
        case .lecunNormal: return truncated((1 / fi).squareRoot() / Self.truncatedNormalStddev)
        case .glorotUniform: return uniform((6 / (fi + fo)).squareRoot())
        case .glorotNormal: return truncated((2 / (fi + fo)).squareRoot() / Self.truncatedNormalStddev)
        case .heUniform: return uniform((6 / fi).squareRoot())
        case .heNormal: return truncated((2 / fi).squareRoot() / Self.truncatedNormalStddev)
        }
    }
}
