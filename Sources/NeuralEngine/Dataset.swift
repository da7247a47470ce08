import CBLAS
/// An in-memory supervised data set: `count` samples of `featureCount` features and their targets.
///
/// Images stay compact: `Features.bytes` keeps `UInt8` pixels and a scale (1/255 for the tutorial), applied per batch
/// when the batch is gathered, so 60,000 Fashion-MNIST images take 47 MB rather than 188 MB.
/// Targets are either class indices (one-hot encoded per batch, as `to_categorical` would) or real values.
///
/// Thread-safety: a value; safe to share between threads.
public struct Dataset: Sendable {
    /// Feature storage, row-major `[count, featureCount]`.
    public enum Features: Sendable {
        /// Bytes, each multiplied by `scale` when a batch is gathered (e.g. 1/255 to map pixels to [0, 1]).
        case bytes([UInt8], scale: Float)
        /// Floats used as they are.
        case floats([Float])
    }

    /// Target storage.
    public enum Targets: Sendable {
        /// One class index per sample in `0..<classCount`; encoded one-hot to width `classCount` per batch (or, for a
        /// model with a single output unit and `classCount == 2`, to the index itself as 0/1).
        case classes([Int32], classCount: Int)
        /// Real-valued targets, row-major `[count, width]`.
        case values([Float], width: Int)
    }

    public let features: Features
    public let targets: Targets
    /// Number of samples.
    public let count: Int
    /// Features per sample (784 for 28x28 images).
    public let featureCount: Int
    /// Image shape `(rows, cols)` when the features are images, for previews; `nil` otherwise.
    public let imageShape: (rows: Int, cols: Int)?
    /// Class names for display, when known (e.g. Fashion-MNIST's "T-shirt/top", ...).
    public let classNames: [String]?

    /// Creates a data set. Throws `DatasetError.shapeMismatch` when the storage sizes disagree with `count`,
    /// `featureCount` or the target width, and `DatasetError.labelOutOfRange` for a class index outside
    /// `0..<classCount`.
    public init(features: Features, featureCount: Int, targets: Targets, imageShape: (rows: Int, cols: Int)? = nil,
                classNames: [String]? = nil) throws {
        let featureElements: Int
        switch features {
        case .bytes(let b, _): featureElements = b.count
        case .floats(let f): featureElements = f.count
        }
        guard featureCount > 0, featureElements % featureCount == 0 else {
            throw DatasetError.shapeMismatch("feature storage has \(featureElements) elements, not a multiple of \(featureCount) features")
        }
        let n = featureElements / featureCount
        switch targets {
        case .classes(let labels, let k):
            guard labels.count == n else {
                throw DatasetError.shapeMismatch("\(n) samples but \(labels.count) labels")
            }
            guard k >= 1 else { throw DatasetError.shapeMismatch("classCount must be >= 1, got \(k)") }
            guard k <= Dataset.maximumClassCount else { throw DatasetError.tooManyClasses(classCount: k, samples: n) }
            if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= k }) {
                throw DatasetError.labelOutOfRange(index: bad, label: Int(labels[bad]), classCount: k)
            }
        case .values(let v, let w):
            guard w > 0, v.count == n * w else {
                throw DatasetError.shapeMismatch("\(n) samples but \(v.count) target values of width \(w)")
            }
        }
        self.features = features
        self.targets = targets
        self.count = n
        self.featureCount = featureCount
        self.imageShape = imageShape
        self.classNames = classNames
    }

    /// A data set of floats `x` `[n, features]` and targets `y` `[n, width]` (both row-major matrices).
    public init(x: Matrix, y: Matrix) throws {
        guard x.rows == y.rows else { throw DatasetError.shapeMismatch("x has \(x.rows) rows, y has \(y.rows)") }
        try self.init(features: .floats(x.storage), featureCount: x.cols, targets: .values(y.storage, width: y.cols))
    }

    /// The most classes a data set may have (65,536). Class labels are indices, and the output layer gets one unit
    /// per index up to the largest label: a stray label of 10^6 would otherwise build a million-unit layer.
    public static let maximumClassCount = 65_536

    /// Why `classCount` classes (one more than the largest label) are implausible for `samples` labelled samples, or
    /// nil when they are fine: more than `maximumClassCount`, or more than 1,024 classes and over four times the number
    /// of samples (most output units could never be trained: the labels are probably not class indices).
    public static func classCountProblem(classCount: Int, samples: Int) -> String? {
        if classCount > maximumClassCount {
            return "labels up to \(classCount - 1) would need \(classCount) classes (at most \(maximumClassCount) are supported); "
                + "class labels must be indices 0..<classes"
        }
        if classCount > 1_024 && classCount > 4 * samples {
            return "labels up to \(classCount - 1) would need \(classCount) classes for only \(samples) samples; "
                + "class labels must be indices 0..<classes"
        }
        return nil
    }

    /// Number of classes for class targets, `nil` for real-valued targets.
    public var classCount: Int? {
        if case .classes(_, let k) = targets { return k }
        return nil
    }

    /// Width of one encoded target row for a model with `outputUnits` outputs.
    public func targetWidth(outputUnits: Int) -> Int {
        switch targets {
        case .classes(_, let k): return (outputUnits == 1 && k == 2) ? 1 : k
        case .values(_, let w): return w
        }
    }

    /// The class index of sample `i` (class targets only; `nil` otherwise).
    public func label(_ i: Int) -> Int? {
        if case .classes(let l, _) = targets { return Int(l[i]) }
        return nil
    }

    /// Writes the features of samples `indices` into `x` (`[indices.count, featureCount]`, row-major) and their encoded
    /// targets into `y` (`[indices.count, targetWidth]`).
    public func gather(_ indices: UnsafeBufferPointer<Int>, x: UnsafeMutablePointer<Float>,
                       y: UnsafeMutablePointer<Float>, targetWidth: Int) {
        let f = featureCount
        switch features {
        case .bytes(let bytes, let scale):
            bytes.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress, let rows = indices.baseAddress else { return }
                tb_gather_bytes(base, f, rows, indices.count, scale, x)
            }
        case .floats(let floats):
            floats.withUnsafeBufferPointer { src in
                for (r, i) in indices.enumerated() {
                    (x + r * f).update(from: src.baseAddress! + i * f, count: f)
                }
            }
        }
        switch targets {
        case .classes(let labels, _):
            (y).update(repeating: 0, count: indices.count * targetWidth)
            for (r, i) in indices.enumerated() {
                if targetWidth == 1 { y[r] = Float(labels[i]) } else { y[r * targetWidth + Int(labels[i])] = 1 }
            }
        case .values(let values, let w):
            values.withUnsafeBufferPointer { src in
                for (r, i) in indices.enumerated() { (y + r * w).update(from: src.baseAddress! + i * w, count: w) }
            }
        }
    }

    /// The samples at `indices`, in that order, as a new data set (used for validation splits and k-fold).
    public func subset(_ indices: [Int]) -> Dataset {
        let f = featureCount
        let newFeatures: Features
        switch features {
        case .bytes(let b, let s):
            var out = [UInt8](); out.reserveCapacity(indices.count * f)
            for i in indices { out.append(contentsOf: b[i * f ..< (i + 1) * f]) }
            newFeatures = .bytes(out, scale: s)
        case .floats(let v):
            var out = [Float](); out.reserveCapacity(indices.count * f)
            for i in indices { out.append(contentsOf: v[i * f ..< (i + 1) * f]) }
            newFeatures = .floats(out)
        }
        let newTargets: Targets
        switch targets {
        case .classes(let l, let k): newTargets = .classes(indices.map { l[$0] }, classCount: k)
        case .values(let v, let w):
            var out = [Float](); out.reserveCapacity(indices.count * w)
            for i in indices { out.append(contentsOf: v[i * w ..< (i + 1) * w]) }
            newTargets = .values(out, width: w)
        }
        // Sizes are consistent by construction.
        return Dataset(unchecked: newFeatures, featureCount: f, targets: newTargets, count: indices.count,
                       imageShape: imageShape, classNames: classNames)
    }

    /// The first `n` samples (or all when `n >= count`).
    public func prefix(_ n: Int) -> Dataset { n >= count ? self : subset(Array(0..<max(0, n))) }

    private init(unchecked features: Features, featureCount: Int, targets: Targets, count: Int,
                 imageShape: (rows: Int, cols: Int)?, classNames: [String]?) {
        self.features = features
        self.featureCount = featureCount
        self.targets = targets
        self.count = count
        self.imageShape = imageShape
        self.classNames = classNames
    }
}

/// Errors about the shape or content of in-memory data.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// Sizes disagree; the message says which.
    case shapeMismatch(String)
    /// Sample `index` has class `label`, outside `0..<classCount`.
    case labelOutOfRange(index: Int, label: Int, classCount: Int)
    /// More classes than `Dataset.maximumClassCount`.
    case tooManyClasses(classCount: Int, samples: Int)

    public var description: String {
        switch self {
        case .tooManyClasses(let k, let n):
            return Dataset.classCountProblem(classCount: k, samples: n) ?? "\(k) classes is too many"
        case .shapeMismatch(let m): return "data shape mismatch: \(m)"
        case .labelOutOfRange(let i, let l, let k): return "label \(l) of sample \(i) is outside 0..<\(k)"
        }
    }
}
