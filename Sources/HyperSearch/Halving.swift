import Foundation

/// scikit-learn's `min_resources` for successive halving with a resource other than `n_samples` (here: epochs).
///
/// Thread-safety: a value.
public enum MinResources: Equatable, Sendable, CustomStringConvertible {
    /// `'exhaust'`: start with the largest amount that lets the last required iteration use as much of
    /// `max_resources` as possible (`max(1, max_resources // factor**(n_required_iterations - 1))`).
    case exhaust
    /// `'smallest'`: 1 (for a resource other than `n_samples`).
    case smallest
    /// A fixed amount, >= 1.
    case fixed(Int)

    /// Parses `exhaust`, `smallest` or a whole number >= 1; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "exhaust": self = .exhaust
        case "smallest": self = .smallest
        default:
            guard let n = Int(text), n >= 1 else { return nil }
            self = .fixed(n)
        }
    }

    public var description: String {
        switch self {
        case .exhaust: return "exhaust"
        case .smallest: return "smallest"
        case .fixed(let n): return String(n)
        }
    }
}

/// The iterations of a successive-halving search, computed exactly as scikit-learn's
/// `BaseSuccessiveHalving._check_input_parameters` and `_run_search` do (scikit-learn 1.9,
/// `sklearn/model_selection/_search_successive_halving.py`) for a resource that is not `n_samples`:
///
/// - `min_resources_` = 1 for `smallest` and `exhaust` (then, for `exhaust`,
///   `max(1, max_resources_ // factor**(n_required_iterations - 1))`), else the given number;
/// - `n_required_iterations` = `1 + floor(log(n_candidates, factor))`;
/// - `n_possible_iterations` = `1 + floor(log(max_resources_ // min_resources_, factor))`;
/// - `n_iterations` = `n_required_iterations` with `aggressive_elimination`, else the smaller of the two;
/// - iteration `i` runs `n_candidates_[i]` candidates (`n_candidates_[0]` = all, then `ceil(n / factor)`) with
///   `n_resources_[i]` = `min(int(factor**p * min_resources_), max_resources_)`, `p = i` (aggressive:
///   `max(0, i - n_required_iterations + n_possible_iterations)`).
///
/// Python's float arithmetic is reproduced: `log(x, b)` is `log(x) / log(b)` in `Double` (the same libm), `//` is
/// Python's floor division, `int()` truncates. Values are whole numbers below 2^53, so an integral `factor` (Python
/// `int`) gives the same results as Python's exact integer arithmetic.
///
/// Thread-safety: a value.
public struct HalvingSchedule: Codable, Equatable, Sendable {
    /// The factor each iteration divides the candidates by and multiplies the resources by (> 1).
    public var factor: Double
    /// `min_resources` as asked: `exhaust`, `smallest` or a number.
    public var minResourcesAsked: String
    public var aggressiveElimination: Bool
    /// `min_resources_`, `max_resources_` (epochs).
    public var minResources: Int
    public var maxResources: Int
    public var nRequiredIterations: Int
    public var nPossibleIterations: Int
    public var nIterations: Int
    /// Per iteration: epochs each fit trains (`n_resources_`) and candidates evaluated (`n_candidates_`).
    public var nResources: [Int]
    public var nCandidates: [Int]
    /// Candidates left after the last iteration (`n_remaining_candidates_`).
    public var nRemainingCandidates: Int

    enum CodingKeys: String, CodingKey {
        case factor, minResourcesAsked = "min_resources", aggressiveElimination = "aggressive_elimination"
        case minResources = "min_resources_", maxResources = "max_resources_"
        case nRequiredIterations = "n_required_iterations_", nPossibleIterations = "n_possible_iterations_"
        case nIterations = "n_iterations_", nResources = "n_resources_", nCandidates = "n_candidates_"
        case nRemainingCandidates = "n_remaining_candidates_"
    }

    /// The most iterations a schedule may have (a factor barely above 1 would otherwise ask for millions).
    public static let iterationLimit = 10_000
    /// The largest `max_resources` accepted (epochs), so that every product stays exact in `Double`.
    public static let resourceLimit = 1 << 40

    /// The schedule for `candidates` candidates. Throws `SearchSpaceError` naming the option for a factor <= 1 or not
    /// finite (scikit-learn accepts any factor > 0 but fails or never shrinks for factor <= 1) or so close to 1 that
    /// more than `iterationLimit` iterations would be needed, no candidates,
    /// `max_resources` < 1 or beyond `resourceLimit`, or `min_resources_ > max_resources_` (scikit-learn's
    /// message).
    public init(candidates: Int, factor: Double, minResources: MinResources, maxResources: Int,
                aggressiveElimination: Bool) throws {
        guard factor.isFinite, factor > 1 else {
            throw SearchSpaceError("--factor: must be a number > 1 (each iteration keeps 1/factor of the candidates), got \(CVNumber.format(factor))")
        }
        guard candidates >= 1 else { throw SearchSpaceError("successive halving needs at least one candidate") }
        guard maxResources >= 1, maxResources <= Self.resourceLimit else {
            throw SearchSpaceError("--max-resources: must be in 1...\(Self.resourceLimit) epochs, got \(maxResources)")
        }
        var minR: Double
        switch minResources {
        case .exhaust, .smallest: minR = 1
        case .fixed(let n): minR = Double(n)
        }
        let maxR = Double(maxResources)
        guard minR <= maxR else {
            throw SearchSpaceError("--min-resources: min_resources_=\(Int(minR)) is greater than max_resources_=\(maxResources) (--max-resources, default --epochs)")
        }
        let requiredReal = 1 + Self.pyLog(Double(candidates), factor).rounded(.down)
        guard requiredReal <= Double(Self.iterationLimit) else {
            throw SearchSpaceError("--factor: \(CVNumber.format(factor)) is too close to 1: \(candidates) candidates would need \(CVNumber.format(requiredReal)) iterations (at most \(Self.iterationLimit))")
        }
        let required = Int(requiredReal)
        if minResources == .exhaust {
            minR = max(minR, Self.floorDiv(maxR, Foundation.pow(factor, Double(required - 1))))
        }
        // Clamped before converting (a factor near 1 gives a huge count; only min(possible, required) is used).
        let possible = 1 + Int(min(Self.pyLog(Self.floorDiv(maxR, minR), factor).rounded(.down), Double(Self.iterationLimit)))
        let iterations = aggressiveElimination ? required : min(possible, required)
        var resources: [Int] = [], counts: [Int] = []
        var n = candidates
        for itr in 0..<iterations {
            let power = aggressiveElimination ? max(0, itr - required + possible) : itr
            // int(factor**power * min_resources_), then the guard min(n_resources, max_resources_); clamped before
            // converting so that a huge product cannot overflow Int (the guard would clamp it anyway).
            let product = Foundation.pow(factor, Double(power)) * minR
            resources.append(Int(min(product, maxR).rounded(.towardZero)))
            counts.append(n)
            n = Self.keep(n, factor: factor)
        }
        self.factor = factor
        self.minResourcesAsked = minResources.description
        self.aggressiveElimination = aggressiveElimination
        self.minResources = Int(minR)
        self.maxResources = maxResources
        self.nRequiredIterations = required
        self.nPossibleIterations = possible
        self.nIterations = iterations
        self.nResources = resources
        self.nCandidates = counts
        self.nRemainingCandidates = n
    }

    /// Candidates kept after an iteration of `n`: `ceil(n / factor)`.
    public static func keep(_ n: Int, factor: Double) -> Int { Int((Double(n) / factor).rounded(.up)) }

    /// `n_candidates='exhaust'` of `HalvingRandomSearchCV`: `max_resources_ // min_resources_` candidates are drawn
    /// (`min_resources` `exhaust` is refused with it, as scikit-learn does: each needs the other).
    public static func exhaustCandidates(minResources: MinResources, maxResources: Int) throws -> Int {
        switch minResources {
        case .exhaust:
            throw SearchSpaceError("--n-candidates exhaust and --min-resources exhaust cannot be used together (each is computed from the other); give a number for one of them")
        case .smallest: return maxResources
        case .fixed(let m):
            guard m <= maxResources else {
                throw SearchSpaceError("--min-resources: min_resources_=\(m) is greater than max_resources_=\(maxResources) (--max-resources, default --epochs)")
            }
            return maxResources / m
        }
    }

    /// Python's `math.log(x, base)`: `log(x) / log(base)`.
    static func pyLog(_ x: Double, _ base: Double) -> Double { Foundation.log(x) / Foundation.log(base) }

    /// Python's float floor division `a // b` (`float_floor_div` in CPython's floatobject.c), for b != 0.
    static func floorDiv(_ a: Double, _ b: Double) -> Double {
        var mod = fmod(a, b)
        var div = (a - mod) / b
        if mod != 0 {
            if (b < 0) != (mod < 0) { mod += b; div -= 1 }
        }
        guard div != 0 else { return (a / b).sign == .minus ? -0.0 : 0.0 }
        var floordiv = div.rounded(.down)
        if div - floordiv > 0.5 { floordiv += 1 }
        return floordiv
    }

    /// Fits per iteration for `nSplits` folds, and in all.
    public func fits(nSplits: Int) -> (perIteration: [Int], total: Int) {
        let per = nCandidates.map { $0 * nSplits }
        return (per, per.reduce(0, +))
    }

    /// The fits of iteration `i` are `offset(i) ..< offset(i) + nCandidates[i] * nSplits` (iteration-major, then
    /// candidate in the iteration's order, then split).
    public func fitOffset(iteration i: Int, nSplits: Int) -> Int { nCandidates.prefix(i).reduce(0, +) * nSplits }

    /// Iteration, position in the iteration and split of fit `index` (nil beyond the last iteration).
    public func position(ofFit index: Int, nSplits: Int) -> (iteration: Int, row: Int, split: Int)? {
        var start = 0
        for (i, n) in nCandidates.enumerated() {
            if index >= start && index < start + n * nSplits {
                let local = index - start
                return (i, local / nSplits, local % nSplits)
            }
            start += n * nSplits
        }
        return nil
    }

    /// The lines of a dry run: one per iteration, then the totals.
    public func describe(nSplits: Int) -> [String] {
        var lines = ["successive halving: factor \(CVNumber.format(factor)), min_resources_=\(minResources) (\(minResourcesAsked)), max_resources_=\(maxResources), aggressive_elimination=\(aggressiveElimination ? "True" : "False")",
                     "n_iterations_=\(nIterations), n_required_iterations_=\(nRequiredIterations), n_possible_iterations_=\(nPossibleIterations)"]
        for i in 0..<nIterations {
            lines.append("iter \(i): \(nCandidates[i]) candidate\(nCandidates[i] == 1 ? "" : "s") x \(nSplits) folds at \(nResources[i]) epoch\(nResources[i] == 1 ? "" : "s") = \(nCandidates[i] * nSplits) fits")
        }
        return lines
    }
}

/// Survivor selection and the best candidate of successive halving, as scikit-learn computes them.
///
/// Thread-safety: stateless.
public enum Halving {
    /// The positions (into `scores`, one iteration's mean_test_score per candidate) of the `k` candidates kept, in
    /// scikit-learn's order (`_top_k`): `np.argsort(scores)` ascending with NaN last, rolled so that the NaNs come
    /// first, then the last `k`; the survivors are thus in ascending score order, the best last.
    ///
    /// Ties: NumPy's default argsort is not stable and, since NumPy 2, sorts with SIMD networks whose order of equal
    /// values depends on the CPU (AVX2, AVX-512 or none), so scikit-learn's choice among candidates tied at the cut
    /// is machine-dependent. Here the order is stable (tied candidates keep the iteration's order, so of candidates
    /// tied at the cut the later ones are kept), which is what NumPy's portable quicksort does for up to 16
    /// candidates (insertion sort). Distinct scores give exactly scikit-learn's survivors and order.
    public static func topK(_ scores: [Double], k: Int) -> [Int] {
        let order = scores.indices.sorted { a, b in
            let x = scores[a], y = scores[b]
            if x.isNaN != y.isNaN { return !x.isNaN }   // numbers before NaN
            if !x.isNaN && x != y { return x < y }
            return a < b
        }
        let nans = scores.filter(\.isNaN).count
        let rolled = Array(order.suffix(nans)) + Array(order.prefix(order.count - nans))
        return Array(rolled.suffix(max(0, min(k, rolled.count))))
    }

    /// The best row (`_select_best_index`): among the rows of the last iteration, the first highest mean score
    /// (`np.nanargmax`), or the last iteration's first row when all its scores are NaN. nil when there are no rows.
    public static func bestIndex(iterations: [Int], means: [Double]) -> Int? {
        guard let last = iterations.max() else { return nil }
        let rows = iterations.indices.filter { iterations[$0] == last }
        var best: Int?
        for r in rows where !means[r].isNaN {
            if best == nil || means[r] > means[best!] { best = r }
        }
        return best ?? rows.first
    }
}
