import NeuralEngine

/// Keras's `Rescaling(scale)` applied to a data set's features once, before training: every feature becomes
/// `raw * factor`, where `raw` is the value stored in the file (a pixel byte 0...255 for IDX, `.npz` `uint8` and
/// image-like CSV files, whose default scale 1/255 the factor replaces; the number itself otherwise).
///
/// Thread-safety: stateless; safe from any thread.
public enum Rescaling {
    /// `data` with features `raw * factor` (`.bytes` keep their bytes and take `factor` as their scale, so the data
    /// stay compact; `.floats` are multiplied). Targets, image shape and class names are kept.
    /// Throws `DataError.invalidData` only if `data` itself is inconsistent (it cannot be when built by `Dataset`).
    public static func apply(_ data: Dataset, factor: Float) throws -> Dataset {
        let features: Dataset.Features
        switch data.features {
        case .bytes(let b, _): features = .bytes(b, scale: factor)
        case .floats(let f): features = .floats(f.map { $0 * factor })
        }
        return try rebuild(data, features)
    }
}

/// Per-feature standardisation (Keras's `Normalization` layer after `adapt`): `(x - mean) / std`, with the mean and
/// the population variance (ddof 0, as `np.var`, which Keras's `adapt` uses) of each feature over the samples it was
/// fitted on: the training split only, then applied with those statistics to validation and test samples.
///
/// Zero variance: Keras divides by `max(sqrt(var), 1e-7)`, so a feature that is constant in the training split maps
/// to 0 there but any other value `v` of it (in validation or test data) to `(v - mean) * 1e7`. Here a feature whose
/// standard deviation is below that same epsilon (1e-7) is only centred (divided by 1, as scikit-learn's
/// `StandardScaler` does): training values still become 0, other values stay on their own scale, and nothing is ever
/// NaN or infinite. Every other feature gets exactly Keras's formula. Statistics are accumulated in `Double`, two
/// passes (mean, then squared deviations), so a constant column has a variance of exactly 0.
///
/// Thread-safety: a value; safe to share between threads.
public struct Normalization: Sendable, Equatable {
    /// Keras's `backend.epsilon()`: standard deviations below it count as zero.
    public static let epsilon = 1e-7
    /// Per-feature means, `[featureCount]`.
    public let mean: [Float]
    /// Per-feature divisors, `[featureCount]`: the standard deviation, or 1 for a (near-)constant feature.
    public let scale: [Float]
    /// How many features were (near-)constant and are only centred.
    public let constantFeatures: Int

    /// Fits on `data`'s first `count` samples (the training split when the tail is held out for validation).
    /// `count` is clamped to `0...data.count`; the feature values are those a batch would see (bytes times scale).
    /// With no samples every mean is 0 and every divisor 1 (the identity).
    public init(fittingFirst count: Int, of data: Dataset) {
        let n = max(0, min(count, data.count))
        let f = data.featureCount
        guard n > 0 else {
            mean = [Float](repeating: 0, count: f)
            scale = [Float](repeating: 1, count: f)
            constantFeatures = 0
            return
        }
        var sum = [Double](repeating: 0, count: f)
        Normalization.forEachRow(data, rows: n) { row in for j in 0..<f { sum[j] += Double(row[j]) } }
        let mean = sum.map { $0 / Double(n) }
        var squares = [Double](repeating: 0, count: f)
        Normalization.forEachRow(data, rows: n) { row in
            for j in 0..<f { let d = Double(row[j]) - mean[j]; squares[j] += d * d }
        }
        var constant = 0
        let scale = squares.map { s -> Float in
            let std = (s / Double(n)).squareRoot()
            if std < Normalization.epsilon { constant += 1; return 1 }
            return Float(std)
        }
        self.mean = mean.map { Float($0) }
        self.scale = scale
        self.constantFeatures = constant
    }

    /// `data` with every feature standardised (`.floats`; bytes are expanded). Throws `DataError.invalidData` when
    /// the feature count differs from the fitted one.
    public func apply(_ data: Dataset) throws -> Dataset {
        let f = data.featureCount
        guard f == mean.count else {
            throw DataError.invalidData(path: "normalization", error: .shapeMismatch("fitted on \(mean.count) features, applied to \(f)"))
        }
        var out = [Float]()
        out.reserveCapacity(data.count * f)
        Normalization.forEachRow(data, rows: data.count) { row in
            for j in 0..<f { out.append((row[j] - mean[j]) / scale[j]) }
        }
        return try rebuild(data, .floats(out))
    }

    /// Calls `body` with each of the first `rows` samples' features as a batch would see them (bytes times scale).
    static func forEachRow(_ data: Dataset, rows: Int, _ body: (UnsafeBufferPointer<Float>) -> Void) {
        let f = data.featureCount
        switch data.features {
        case .floats(let v):
            v.withUnsafeBufferPointer { p in
                for r in 0..<rows { body(UnsafeBufferPointer(rebasing: p[r * f ..< (r + 1) * f])) }
            }
        case .bytes(let b, let s):
            var row = [Float](repeating: 0, count: f)
            for r in 0..<rows {
                for j in 0..<f { row[j] = Float(b[r * f + j]) * s }
                row.withUnsafeBufferPointer(body)
            }
        }
    }
}

extension Dataset {
    /// The largest |feature| as a batch would see it (bytes times scale); 0 for no samples; NaN is ignored.
    public var largestFeatureMagnitude: Float {
        switch features {
        case .bytes(let b, let s): return Float(b.max() ?? 0) * abs(s)
        case .floats(let v): return v.reduce(0) { $1.isNaN ? $0 : Swift.max($0, abs($1)) }
        }
    }
}

/// `data` with `features` in place of its own (same count and feature count).
private func rebuild(_ data: Dataset, _ features: Dataset.Features) throws -> Dataset {
    do {
        return try Dataset(features: features, featureCount: data.featureCount, targets: data.targets,
                           imageShape: data.imageShape, classNames: data.classNames)
    } catch let e as DatasetError {
        throw DataError.invalidData(path: "features", error: e)
    }
}
