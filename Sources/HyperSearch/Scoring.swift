import Foundation

/// scikit-learn's scorers that a search can use, computed from a model's outputs.
///
/// Thread-safety: values and pure functions.
public enum Scoring: String, Codable, Sendable, CaseIterable {
    /// `accuracy_score` of the predicted class (arg max of the outputs; a single sigmoid output: > 0.5). Classifiers.
    case accuracy
    /// `-mean_squared_error`, averaged over every output of every sample (`multioutput="uniform_average"`).
    case negMeanSquaredError = "neg_mean_squared_error"
    /// `-log_loss` of the predicted probabilities, clipped to [eps, 1 - eps] with float32's eps and each row
    /// renormalised (scikit-learn's `log_loss`). Classifiers.
    case negLogLoss = "neg_log_loss"

    /// scikit-learn's default for the estimator kind (`score`): accuracy for classifiers, R^2 for regressors; the
    /// issue asks for neg_mean_squared_error for regressors, as the tutorial does.
    public static func defaultFor(isClassifier: Bool) -> Scoring { isClassifier ? .accuracy : .negMeanSquaredError }

    /// Whether the scorer needs class labels.
    public var needsClasses: Bool { self != .negMeanSquaredError }
}

/// Running sums of a score over batches of outputs, so that a fold is scored without holding all its outputs.
///
/// Thread-safety: a value; not for concurrent mutation.
public struct ScoreAccumulator: Sendable {
    public let scoring: Scoring
    private var sum = 0.0
    private var count = 0

    public init(_ scoring: Scoring) { self.scoring = scoring }

    /// Adds `rows` samples: `outputs` `[rows, width]` row-major model outputs; `labels` their classes (classifiers)
    /// or `targets` `[rows, width]` (regressors).
    public mutating func add(outputs: UnsafeBufferPointer<Float>, rows: Int, width: Int, labels: [Int]? = nil,
                             targets: UnsafeBufferPointer<Float>? = nil) {
        switch scoring {
        case .accuracy:
            guard let labels else { return }
            for r in 0..<rows {
                if Self.predictedClass(outputs, row: r, width: width) == labels[r] { sum += 1 }
            }
        case .negLogLoss:
            guard let labels else { return }
            for r in 0..<rows { sum -= Self.logLoss(outputs, row: r, width: width, label: labels[r]) }
        case .negMeanSquaredError:
            guard let targets else { return }
            var s = 0.0
            for i in 0..<rows * width { let d = Double(outputs[i]) - Double(targets[i]); s += d * d }
            sum -= s / Double(max(1, width))
        }
        count += rows
    }

    /// The score: the mean over the samples added (NaN when none were).
    public var value: Double { count == 0 ? .nan : sum / Double(count) }

    /// The class with the largest output (the first on ties, as `np.argmax`); a single output: 1 when > 0.5.
    /// A NaN output is the largest (NumPy's `argmax` returns the first NaN).
    public static func predictedClass(_ o: UnsafeBufferPointer<Float>, row: Int, width: Int) -> Int {
        if width == 1 { return o[row] > 0.5 ? 1 : 0 }
        var best = 0
        for j in 0..<width {
            let v = o[row * width + j]
            if v.isNaN { return j }
            if v > o[row * width + best] { best = j }
        }
        return best
    }

    /// -log p(label) with p clipped to [eps, 1 - eps] (eps of float32) and the row renormalised to sum 1; a single
    /// output p stands for [1 - p, p].
    public static func logLoss(_ o: UnsafeBufferPointer<Float>, row: Int, width: Int, label: Int) -> Double {
        let eps = Double(Float.ulpOfOne)
        func clip(_ v: Double) -> Double { min(max(v, eps), 1 - eps) }
        if width == 1 {
            let p1 = clip(Double(o[row])), p0 = clip(1 - Double(o[row]))
            return -Foundation.log((label == 1 ? p1 : p0) / (p0 + p1))
        }
        var total = 0.0
        for j in 0..<width { total += clip(Double(o[row * width + j])) }
        return -Foundation.log(clip(Double(o[row * width + label])) / total)
    }
}
