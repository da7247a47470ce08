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
        case nTestSamples = "n_test_samples", epochs, reason, error, updates
    }
}

/// scikit-learn's `cv_results_` computed from fit results, with its column names and order:
/// `mean_fit_time, std_fit_time, mean_score_time, std_score_time, param_<name>... (sorted), params,
/// split<k>_test_score..., mean_test_score, std_test_score, rank_test_score` and, with train scores,
/// `split<k>_train_score..., mean_train_score, std_train_score`.
///
/// Means are plain averages over the splits and standard deviations the population form (`np.std`, ddof 0); a NaN
/// score makes its candidate's mean and std NaN. Ranks use `rankdata(-means, method="min")` with NaN means tied as the
/// worst (all 1 when every mean is NaN), as `BaseSearchCV._format_results` does.
/// Thread-safety: a value.
public struct CVResults: Sendable {
    /// Column names in order.
    public let columns: [String]
    /// Per column, one cell per candidate.
    public let cells: [String: [Cell]]
    public let candidates: Int
    public let meanTestScore: [Double]
    public let rankTestScore: [Int]

    /// One cell: a number (NaN allowed), a whole number, a parameter value (nil: the candidate lacks it) or a
    /// parameter set.
    public enum Cell: Sendable {
        case number(Double)
        case integer(Int)
        case param(ParamValue?)
        case params([String: ParamValue])
    }

    /// The results of `candidates` (their parameter sets) over `nSplits` splits. `results[c][k]` is the fit of
    /// candidate c on split k; a missing fit counts as failed (NaN).
    public init(candidates params: [[String: ParamValue]], nSplits: Int, results: [[FitResult?]],
                returnTrainScore: Bool) {
        let n = params.count
        var cols: [String] = []
        var cells: [String: [Cell]] = [:]
        func add(_ name: String, _ values: [Cell]) { cols.append(name); cells[name] = values }
        func stat(_ values: (FitResult) -> Double?) -> (mean: [Double], std: [Double], splits: [[Double]]) {
            var means: [Double] = [], stds: [Double] = [], splits = [[Double]](repeating: [], count: nSplits)
            for c in 0..<n {
                let xs = (0..<nSplits).map { k in results[c][k].flatMap(values) ?? .nan }
                for k in 0..<nSplits { splits[k].append(xs[k]) }
                let (m, s) = Self.meanStd(xs)
                means.append(m); stds.append(s)
            }
            return (means, stds, splits)
        }
        let fit = stat { $0.fitTime }, score = stat { $0.scoreTime }
        add("mean_fit_time", fit.mean.map(Cell.number)); add("std_fit_time", fit.std.map(Cell.number))
        add("mean_score_time", score.mean.map(Cell.number)); add("std_score_time", score.std.map(Cell.number))
        let names = ParameterGrid.sortedKeys(Set(params.flatMap(\.keys)))
        for name in names { add("param_" + name, params.map { Cell.param($0[name]) }) }
        add("params", params.map(Cell.params))
        let test = stat { $0.testScore }
        for k in 0..<nSplits { add("split\(k)_test_score", test.splits[k].map(Cell.number)) }
        add("mean_test_score", test.mean.map(Cell.number))
        add("std_test_score", test.std.map(Cell.number))
        let ranks = Self.rankMin(test.mean)
        add("rank_test_score", ranks.map(Cell.integer))
        if returnTrainScore {
            let train = stat { $0.trainScore }
            for k in 0..<nSplits { add("split\(k)_train_score", train.splits[k].map(Cell.number)) }
            add("mean_train_score", train.mean.map(Cell.number))
            add("std_train_score", train.std.map(Cell.number))
        }
        columns = cols
        self.cells = cells
        candidates = n
        meanTestScore = test.mean
        rankTestScore = ranks
    }

    /// The best candidate: the first with rank 1 (`rank_test_score.argmin()`), or nil when there is none.
    public var bestIndex: Int? { rankTestScore.indices.min { rankTestScore[$0] < rankTestScore[$1] } }

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
        return means.map { m in
            if m.isNaN { return means.filter { !$0.isNaN }.count + 1 }
            return means.filter { !$0.isNaN && $0 > m }.count + 1
        }
    }

    /// The table as CSV (RFC 4180: a cell with a comma, quote or line break is quoted): a header row, then one row per
    /// candidate. NaN is written `NaN`, a parameter a candidate lacks as an empty cell, `params` as a JSON object.
    public func csv() -> String {
        var out = columns.map(Self.csvField).joined(separator: ",") + "\n"
        for c in 0..<candidates {
            out += columns.map { col in Self.csvField(Self.text(cells[col]?[c])) }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The table as a JSON object of columns (`pd.DataFrame(json.load(f))` rebuilds it): NaN as `null`, `params` as
    /// objects, parameters with their JSON types.
    public func json() -> String {
        var parts: [String] = []
        for col in columns {
            let values = (cells[col] ?? []).map { cell -> String in
                switch cell {
                case .number(let v): return JSONText.number(v)
                case .integer(let v): return String(v)
                case .param(let p): return p?.jsonLiteral ?? "null"
                case .params(let p): return JSONText.object(p)
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
        case nil: return ""
        }
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
