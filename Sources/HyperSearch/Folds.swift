/// Cross-validation splits with scikit-learn's semantics, expressed as a test-fold number per sample
/// (`PredefinedSplit`'s `test_fold`): split k tests on the samples whose number is k and trains on all others, both in
/// ascending index order, as scikit-learn's `split` yields them.
///
/// Thread-safety: values.
public enum CrossValidator: String, Codable, Sendable {
    /// `KFold`: consecutive blocks; the first `n % k` folds have one sample more.
    case kFold = "KFold"
    /// `StratifiedKFold`: each class spread over the folds in proportion (scikit-learn >= 0.22's allocation).
    case stratifiedKFold = "StratifiedKFold"

    /// scikit-learn's `check_cv` choice: `StratifiedKFold` for a classifier (binary or multiclass labels), else `KFold`.
    public static func forEstimator(isClassifier: Bool) -> CrossValidator { isClassifier ? .stratifiedKFold : .kFold }
}

/// A bad cross-validation setting (too many folds for the samples or for a class). The CLI exits with status 2.
public struct FoldError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

public enum Folds {
    /// `KFold(nSplits, shuffle, random_state)` over `n` samples: the test fold of every sample. Shuffling permutes the
    /// sample order with Trainboard's generator (`SplitRandom(seed:)`) before cutting the blocks, so shuffled folds are
    /// seeded and reproducible but not NumPy's permutation. Throws `FoldError` when `nSplits < 2` or `nSplits > n`.
    public static func kFold(n: Int, nSplits: Int, shuffle: Bool = false, seed: UInt64 = 0) throws -> [Int] {
        try check(nSplits: nSplits, n: n)
        var order = Array(0..<n)
        if shuffle { var rng = SplitRandom(seed: seed, stream: foldStream); rng.shuffle(&order) }
        var fold = [Int](repeating: 0, count: n)
        var start = 0
        for k in 0..<nSplits {
            let size = n / nSplits + (k < n % nSplits ? 1 : 0)
            for i in order[start ..< start + size] { fold[i] = k }
            start += size
        }
        return fold
    }

    /// `StratifiedKFold(nSplits, shuffle, random_state)` for class `labels`: classes are numbered by first appearance,
    /// the per-fold allocation of each class is the round-robin count over the sorted encoded labels, and each class's
    /// samples get their fold numbers in blocks (`np.arange(n_splits).repeat(allocation[:, k])`), shuffled per class
    /// when `shuffle` (Trainboard's generator, not NumPy's). Returns the test fold of every sample and a warning when
    /// the least populated class has fewer members than `nSplits` (as scikit-learn warns).
    /// Throws `FoldError` when `nSplits < 2`, `nSplits > labels.count`, or every class has fewer than `nSplits` members.
    public static func stratifiedKFold(labels: [Int], nSplits: Int, shuffle: Bool = false,
                                       seed: UInt64 = 0) throws -> (testFold: [Int], warning: String?) {
        try check(nSplits: nSplits, n: labels.count)
        // Encode classes by order of first appearance.
        var code: [Int: Int] = [:]
        var encoded = [Int](repeating: 0, count: labels.count)
        // scikit-learn first encodes by sorted value, then renumbers by first appearance; the result is the
        // first-appearance numbering.
        for (i, l) in labels.enumerated() {
            if let c = code[l] { encoded[i] = c } else { code[l] = code.count; encoded[i] = code.count - 1 }
        }
        let nClasses = code.count
        var counts = [Int](repeating: 0, count: nClasses)
        for c in encoded { counts[c] += 1 }
        guard let smallest = counts.min() else { throw FoldError(message: "--cv: no samples") }
        if counts.allSatisfy({ nSplits > $0 }) {
            throw FoldError(message: "--cv: n_splits=\(nSplits) cannot be greater than the number of members in each class (the largest class has \(counts.max() ?? 0))")
        }
        let warning = nSplits > smallest
            ? "The least populated class in y has only \(smallest) members, which is less than n_splits=\(nSplits)." : nil
        // allocation[k][c]: samples of class c in test fold k = bincount(y_order[k::n_splits]).
        let sorted = encoded.sorted()
        var allocation = [[Int]](repeating: [Int](repeating: 0, count: nClasses), count: nSplits)
        for (i, c) in sorted.enumerated() { allocation[i % nSplits][c] += 1 }
        var rng = SplitRandom(seed: seed, stream: foldStream)
        var members = [[Int]](repeating: [], count: nClasses)
        for (i, c) in encoded.enumerated() { members[c].append(i) }
        var fold = [Int](repeating: 0, count: labels.count)
        for c in 0..<nClasses {
            var folds: [Int] = []
            for k in 0..<nSplits { folds += [Int](repeating: k, count: allocation[k][c]) }
            if shuffle { rng.shuffle(&folds) }
            for (j, i) in members[c].enumerated() { fold[i] = folds[j] }
        }
        return (fold, warning)
    }

    /// The indices (ascending) that train and test split `k` of `testFold`.
    public static func split(_ testFold: [Int], k: Int) -> (train: [Int], test: [Int]) {
        var train: [Int] = [], test: [Int] = []
        for (i, f) in testFold.enumerated() { if f == k { test.append(i) } else { train.append(i) } }
        return (train, test)
    }

    /// The generator stream for fold shuffling.
    static let foldStream: UInt64 = 0xF01D5

    static func check(nSplits: Int, n: Int) throws {
        guard nSplits >= 2 else {
            throw FoldError(message: "--cv: k-fold cross-validation requires at least two folds, got \(nSplits)")
        }
        guard nSplits <= n else {
            throw FoldError(message: "--cv: cannot have number of splits n_splits=\(nSplits) greater than the number of samples: n_samples=\(n)")
        }
    }
}
