import Foundation

/// One finished fit's outcome as its result file holds it (`fits/fit-NNNNN.json`).
///
/// Scores are nil when the fit failed (scikit-learn's `error_score=np.nan`); `error` then says why.
/// Thread-safety: a value.
public struct FitResult: Codable, Equatable, Sendable {
    /// The fit's index: candidate * folds + split (scikit-learn's order of `product(candidates, splits)`).
    public var index: Int
    public var candidate: Int
    public var split: Int
    public var params: [String: ParamValue]
    /// The score on the held-out fold; nil = NaN (failed fit).
    public var testScore: Double?
    /// The score on the fold's training part (`--return-train-score`); nil when not asked for or failed.
    public var trainScore: Double?
    /// Seconds spent fitting / scoring.
    public var fitTime: Double
    public var scoreTime: Double
    public var nTrainSamples: Int
    public var nTestSamples: Int
    /// Epochs run and how training ended ("completed 2 epochs").
    public var epochs: Int
    public var reason: String
    /// Optimizer updates the fit made (ceil(train rows / batch size) per epoch); nil in results of older versions.
    public var updates: Int?
    /// Why the fit failed; nil when it did not.
    public var error: String?
    /// Successive halving: the iteration and the epochs it trains (`n_resources`); nil otherwise.
    public var iter: Int?
    public var nResources: Int?
    /// What steering from the fit's dashboard changed, as it took effect ("update 1776: learning rate 0.022 ->
    /// 0.0123", "update 2040: stopping after update 2040"); nil when nothing did (pauses and checkpoints change no
    /// value and are not listed). Such a fit's score is not the candidate's alone: cv_results count these fits in
    /// `n_steered_splits`.
    public var steering: [String]?

    public init(index: Int, candidate: Int, split: Int, params: [String: ParamValue], testScore: Double?,
                trainScore: Double?, fitTime: Double, scoreTime: Double, nTrainSamples: Int, nTestSamples: Int,
                epochs: Int, reason: String, error: String?) {
        self.index = index; self.candidate = candidate; self.split = split; self.params = params
        self.testScore = testScore; self.trainScore = trainScore; self.fitTime = fitTime; self.scoreTime = scoreTime
        self.nTrainSamples = nTrainSamples; self.nTestSamples = nTestSamples; self.epochs = epochs
        self.reason = reason; self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case index, candidate, split, params, testScore = "test_score", trainScore = "train_score"
        case fitTime = "fit_time", scoreTime = "score_time", nTrainSamples = "n_train_samples"
        case nTestSamples = "n_test_samples", epochs, reason, error, updates, iter, nResources = "n_resources"
        case steering
    }
}

/// scikit-learn's `cv_results_` computed from fit results, with its column names and order:
/// `[iter, n_resources,] mean_fit_time, std_fit_time, mean_score_time, std_score_time, param_<name>... (sorted),
/// params, split<k>_test_score..., mean_test_score, std_test_score, rank_test_score` and, with train scores,
/// `split<k>_train_score..., mean_train_score, std_train_score` (`iter` and `n_resources` for successive halving,
/// first, as `BaseSuccessiveHalving` passes them as `more_results`).
///
/// One row per candidate (successive halving: per candidate per iteration, iteration-major, as scikit-learn).
/// Means are plain averages over the splits and standard deviations the population form (`np.std`, ddof 0); a NaN
/// score makes its row's mean and std NaN. Ranks use `rankdata(-means, method="min")` with NaN means tied as the
/// worst (all 1 when every mean is NaN), as `BaseSearchCV._format_results` does, over all rows (all iterations).
///
/// Partial results (a search still running, or stopped): a fit without a result (nil) is unfinished, not failed.
/// Its split cells are empty (CSV) / `null` (JSON), and so are its row's means and standard deviations; the row
/// ranks with the NaN rows (after every finished score), and the table gains a last column `n_unfinished_splits`
/// (the row's folds without a result; present only while some row has unfinished folds, so a finished search has
/// exactly scikit-learn's columns). Likewise a last column `n_steered_splits` (the row's folds whose fit was steered
/// from its dashboard: a learning rate changed or an early stop, `FitResult.steering`) appears only when some fit was.
/// Thread-safety: a value.
public struct CVResults: Sendable {
    /// Column names in order.
    public let columns: [String]
    /// Per column, one cell per row.
    public let cells: [String: [Cell]]
    /// Rows (candidates; successive halving: candidate-iterations).
    public let candidates: Int
    /// Per row; NaN for a failed or unfinished row.
    public let meanTestScore: [Double]
    public let rankTestScore: [Int]
    /// Per row: splits without a result yet (0 = finished).
    public let unfinishedSplits: [Int]
    /// Per row: the successive-halving iteration (nil for grid and randomized searches).
    public let iterations: [Int]?

    /// One cell: a number (NaN allowed), a whole number, a parameter value (nil: the candidate lacks it), a
    /// parameter set, or nothing yet (an unfinished fit: an empty CSV cell, JSON `null`).
    public enum Cell: Sendable {
        case number(Double)
        case integer(Int)
        case param(ParamValue?)
        case params([String: ParamValue])
        case unfinished
    }

    /// The results of `candidates` (the rows' parameter sets) over `nSplits` splits. `results[c][k]` is the fit of
    /// row c on split k; nil = not finished yet. `iterations` and `nResources` (one per row) make the `iter` and
    /// `n_resources` columns of successive halving.
    public init(candidates params: [[String: ParamValue]], nSplits: Int, results: [[FitResult?]],
                returnTrainScore: Bool, iterations: [Int]? = nil, nResources: [Int]? = nil) {
        let n = params.count
        var cols: [String] = []
        var cells: [String: [Cell]] = [:]
        func add(_ name: String, _ values: [Cell]) { cols.append(name); cells[name] = values }
        let unfinished = (0..<n).map { c in (0..<nSplits).filter { results[c][$0] == nil }.count }
        func stat(_ values: (FitResult) -> Double?) -> (mean: [Double], std: [Double], meanCells: [Cell],
                                                           stdCells: [Cell], splits: [[Cell]]) {
            var means: [Double] = [], stds: [Double] = [], mc: [Cell] = [], sc: [Cell] = []
            var splits = [[Cell]](repeating: [], count: nSplits)
            for c in 0..<n {
                let xs = (0..<nSplits).map { k in results[c][k].map { values($0) ?? .nan } }
                for k in 0..<nSplits { splits[k].append(xs[k].map(Cell.number) ?? .unfinished) }
                if unfinished[c] > 0 {
                    means.append(.nan); stds.append(.nan); mc.append(.unfinished); sc.append(.unfinished)
                } else {
                    let (m, s) = Self.meanStd(xs.map { $0 ?? .nan })
                    means.append(m); stds.append(s); mc.append(.number(m)); sc.append(.number(s))
                }
            }
            return (means, stds, mc, sc, splits)
        }
        if let iterations, let nResources {
            add("iter", iterations.map(Cell.integer)); add("n_resources", nResources.map(Cell.integer))
        }
        let fit = stat { $0.fitTime }, score = stat { $0.scoreTime }
        add("mean_fit_time", fit.meanCells); add("std_fit_time", fit.stdCells)
        add("mean_score_time", score.meanCells); add("std_score_time", score.stdCells)
        let names = ParameterGrid.sortedKeys(Set(params.flatMap(\.keys)))
        for name in names { add("param_" + name, params.map { Cell.param($0[name]) }) }
        add("params", params.map(Cell.params))
        let test = stat { $0.testScore }
        for k in 0..<nSplits { add("split\(k)_test_score", test.splits[k]) }
        add("mean_test_score", test.meanCells)
        add("std_test_score", test.stdCells)
        let ranks = Self.rankMin(test.mean)
        add("rank_test_score", ranks.map(Cell.integer))
        if returnTrainScore {
            let train = stat { $0.trainScore }
            for k in 0..<nSplits { add("split\(k)_train_score", train.splits[k]) }
            add("mean_train_score", train.meanCells)
            add("std_train_score", train.stdCells)
        }
        if unfinished.contains(where: { $0 > 0 }) { add("n_unfinished_splits", unfinished.map(Cell.integer)) }
        let steered = (0..<n).map { c in (0..<nSplits).filter { results[c][$0]?.steering?.isEmpty == false }.count }
        if steered.contains(where: { $0 > 0 }) { add("n_steered_splits", steered.map(Cell.integer)) }
        columns = cols
        self.cells = cells
        candidates = n
        meanTestScore = test.mean
        rankTestScore = ranks
        unfinishedSplits = unfinished
        self.iterations = iterations
    }

    /// Whether every row has all its splits.
    public var isComplete: Bool { !unfinishedSplits.contains { $0 > 0 } }

    /// The best row among the finished ones, or nil when no row is finished (or, while fits are missing, when every
    /// finished row scores NaN). Grid and randomized: the first with
    /// the best rank (`rank_test_score.argmin()`). Successive halving: scikit-learn's `_select_best_index` over the
    /// last iteration (see `Halving.bestIndex`); in partial results, the last iteration with a finished row.
    public var bestIndex: Int? {
        let finished = (0..<candidates).filter { unfinishedSplits[$0] == 0 }
        // A partial search whose finished rows all score NaN (failed or skipped) has no best yet; a complete one
        // answers as scikit-learn does (the first of the equal ranks).
        if !isComplete && finished.allSatisfy({ !meanTestScore[$0].isFinite }) { return nil }
        guard let iterations else {
            return finished.min { (rankTestScore[$0], $0) < (rankTestScore[$1], $1) }
        }
        guard let last = finished.map({ iterations[$0] }).max() else { return nil }
        let rows = finished.filter { iterations[$0] == last }
        return Halving.bestIndex(iterations: rows.map { iterations[$0] }, means: rows.map { meanTestScore[$0] })
            .map { rows[$0] }
    }

    /// Mean and population standard deviation (`np.mean`, `np.std`): NaN when any value is NaN or there are none.
    public static func meanStd(_ xs: [Double]) -> (mean: Double, std: Double) {
        guard !xs.isEmpty else { return (.nan, .nan) }
        let m = xs.reduce(0, +) / Double(xs.count)
        let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)
        return (m, v.squareRoot())
    }

    /// Ranks of `means`, highest first, ties sharing the lowest rank (`scipy.stats.rankdata(-means, method="min")`);
    /// NaN means rank after every number (tied with each other), and all ranks are 1 when every mean is NaN.
    public static func rankMin(_ means: [Double]) -> [Int] {
        if means.allSatisfy(\.isNaN) { return [Int](repeating: 1, count: means.count) }
        // O(n log n) (the tables are regenerated after every fit): the rank of m is 1 + the finite means above it,
        // found by binary search in the finite means sorted ascending.
        let sorted = means.filter { !$0.isNaN }.sorted()
        return means.map { m in
            if m.isNaN { return sorted.count + 1 }
            var lo = 0, hi = sorted.count   // first index with sorted[i] > m
            while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] > m { hi = mid } else { lo = mid + 1 } }
            return sorted.count - lo + 1
        }
    }

    /// The table as CSV (RFC 4180: a cell with a comma, quote or line break is quoted): a header row, then one row per
    /// candidate. NaN (a failed fit) is written `NaN`; a parameter a candidate lacks and an unfinished fit's cells
    /// are empty; `params` is a JSON object.
    public func csv() -> String {
        var out = columns.map(Self.csvField).joined(separator: ",") + "\n"
        for c in 0..<candidates {
            out += columns.map { col in Self.csvField(Self.text(cells[col]?[c])) }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The table as a JSON object of columns (`pd.DataFrame(json.load(f))` rebuilds it): NaN and unfinished cells as
    /// `null` (`n_unfinished_splits` tells them apart), `params` as objects, parameters with their JSON types.
    public func json() -> String {
        var parts: [String] = []
        for col in columns {
            let values = (cells[col] ?? []).map { cell -> String in
                switch cell {
                case .number(let v): return JSONText.number(v)
                case .integer(let v): return String(v)
                case .param(let p): return p?.jsonLiteral ?? "null"
                case .params(let p): return JSONText.object(p)
                case .unfinished: return "null"
                }
            }
            parts.append("  \(JSONText.quote(col)): [" + values.joined(separator: ", ") + "]")
        }
        return "{\n" + parts.joined(separator: ",\n") + "\n}\n"
    }

    static func text(_ cell: Cell?) -> String {
        switch cell {
        case .number(let v)?: return CVNumber.format(v)
        case .integer(let v)?: return String(v)
        case .param(let p)?: return p?.description ?? ""
        case .params(let p)?: return JSONText.object(p)
        case .unfinished?, nil: return ""
        }
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
