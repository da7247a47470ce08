import Foundation
import SafeIO

/// What a search runs, as `plan.json` holds it: the candidates, the folds (a test-fold number per training sample, so
/// that every executor, local or on a cluster, uses the same split), the scorer and the options shared by every fit.
///
/// Thread-safety: a value.
public struct SearchPlan: Codable, Equatable, Sendable {
    /// The file format's version (1).
    public var version = 1
    /// "grid" or "randomized".
    public var kind: String
    /// The space as given (`--grid` text or the YAML file's path), for the record.
    public var space: String
    /// The candidates' parameter sets, in scikit-learn's order.
    public var candidates: [[String: ParamValue]]
    public var nSplits: Int
    public var crossValidator: CrossValidator
    public var shuffleFolds: Bool
    public var seed: UInt64
    /// The test fold (0..<nSplits) of each training sample.
    public var testFold: [Int]
    public var scoring: Scoring
    public var returnTrainScore: Bool
    /// The options every fit shares (keys as the command-line flags), before a candidate's parameters.
    public var options: [String: ParamValue]
    /// When the search was planned (ISO 8601).
    public var created: String

    public init(kind: String, space: String, candidates: [[String: ParamValue]], nSplits: Int,
                crossValidator: CrossValidator, shuffleFolds: Bool, seed: UInt64, testFold: [Int], scoring: Scoring,
                returnTrainScore: Bool, options: [String: ParamValue], created: String) {
        self.kind = kind; self.space = space; self.candidates = candidates; self.nSplits = nSplits
        self.crossValidator = crossValidator; self.shuffleFolds = shuffleFolds; self.seed = seed
        self.testFold = testFold; self.scoring = scoring; self.returnTrainScore = returnTrainScore
        self.options = options; self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case version, kind, space, candidates, nSplits = "n_splits", crossValidator = "cv", shuffleFolds = "shuffle"
        case seed, testFold = "test_fold", scoring, returnTrainScore = "return_train_score", options, created
    }

    /// Cross-validation fits (candidates x splits); the refit is fit number `fitCount`.
    public var fitCount: Int { candidates.count * nSplits }
    /// Candidate and split of fit `index` (candidate-major, as scikit-learn's `product(candidates, splits)`).
    public func position(ofFit index: Int) -> (candidate: Int, split: Int) { (index / nSplits, index % nSplits) }
    /// "N candidates x K folds = F fits + 1 refit".
    public var summary: String {
        let c = candidates.count
        return "\(c) candidate\(c == 1 ? "" : "s") x \(nSplits) folds = \(fitCount) fits + 1 refit"
    }
}

/// The refit of the best candidate on all training data (`refit.json`).
public struct RefitResult: Codable, Equatable, Sendable {
    public var bestIndex: Int
    public var params: [String: ParamValue]
    /// The refit model's score on the test split (nil: no test split, or the refit failed).
    public var testScore: Double?
    public var refitTime: Double
    public var nTestSamples: Int
    /// The saved model's file name in the search directory (`best_model.keras`), nil when it failed.
    public var model: String?
    public var error: String?

    public init(bestIndex: Int, params: [String: ParamValue], testScore: Double?, refitTime: Double,
                nTestSamples: Int, model: String?, error: String?) {
        self.bestIndex = bestIndex; self.params = params; self.testScore = testScore; self.refitTime = refitTime
        self.nTestSamples = nTestSamples; self.model = model; self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case bestIndex = "best_index", params, testScore = "test_score", refitTime = "refit_time"
        case nTestSamples = "n_test_samples", model, error
    }
}

/// A search directory: the single source of truth of a search. Executors only add result files (each written
/// atomically when its fit ends); `--resume` and views only read; `cv_results.*`, `best_params.json` and
/// `best_model.keras` are derived and regenerated.
///
/// Layout: `plan.json`; `fits/fit-NNNNN.json` (result), `fits/fit-NNNNN.csv` (CSVLogger), `fits/fit-NNNNN.log` (the
/// fit process's output); `refit.json`, `refit.csv`; `cv_results.csv`, `cv_results.json`, `best_params.json`,
/// `best_model.keras`.
/// Thread-safety: a value; files are written atomically, so readers never see half a file.
public struct SearchDirectory: Sendable {
    public let path: String

    /// The largest plan or result file read (bounds before allocating).
    public static let fileLimit = 256 << 20

    public init(_ path: String) { self.path = path }

    public var planPath: String { path + "/plan.json" }
    public var fitsPath: String { path + "/fits" }
    public func resultPath(fit i: Int) -> String { fitsPath + "/" + String(format: "fit-%05d.json", i) }
    public func logPath(fit i: Int) -> String { fitsPath + "/" + String(format: "fit-%05d.csv", i) }
    public func outputPath(fit i: Int) -> String { fitsPath + "/" + String(format: "fit-%05d.log", i) }
    public var refitPath: String { path + "/refit.json" }
    public var refitLogPath: String { path + "/refit.csv" }
    public var refitOutputPath: String { path + "/refit.log" }
    public var modelPath: String { path + "/best_model.keras" }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return e
    }()

    func writeJSON<T: Encodable>(_ value: T, to file: String) throws {
        let data = try Self.encoder.encode(value)
        try SafeFile.write([UInt8](data) + [10], to: file, createDirectories: true)
    }

    func readJSON<T: Decodable>(_ type: T.Type, from file: String) throws -> T {
        let bytes = try SafeFile.read(file, limit: Self.fileLimit)
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw SearchDirectoryError("\(file): not a valid \(type) file: \(error)")
        }
    }

    public func writePlan(_ plan: SearchPlan) throws { try writeJSON(plan, to: planPath) }

    /// Reads `plan.json`. JSON does not keep `1.0` apart from `1`: with `kinds`, a whole number given for an option
    /// of kind `.number` is read back as a real number, so that a resumed search shows its parameters as the first
    /// run did. Throws `SearchDirectoryError` (or `FileError`) naming the file when it is missing or bad.
    public func readPlan(kinds: ((String) -> ParamKind?)? = nil) throws -> SearchPlan {
        guard FileManager.default.fileExists(atPath: planPath) else {
            throw SearchDirectoryError("\(path): not a search directory (no plan.json)")
        }
        let plan = try readJSON(SearchPlan.self, from: planPath)
        guard plan.version == 1 else { throw SearchDirectoryError("\(planPath): version \(plan.version) is not supported (1 is)") }
        guard plan.nSplits >= 2, plan.testFold.allSatisfy({ (0..<plan.nSplits).contains($0) }) else {
            throw SearchDirectoryError("\(planPath): test_fold must hold fold numbers 0..<n_splits")
        }
        guard !plan.candidates.isEmpty else { throw SearchDirectoryError("\(planPath): no candidates") }
        guard let kinds else { return plan }
        var typed = plan
        typed.candidates = plan.candidates.map { c in
            c.reduce(into: [:]) { out, kv in
                if case .int(let i) = kv.value, kinds(kv.key) == .number { out[kv.key] = .double(Double(i)) }
                else { out[kv.key] = kv.value }
            }
        }
        return typed
    }

    public func writeResult(_ r: FitResult) throws { try writeJSON(r, to: resultPath(fit: r.index)) }

    /// The result of fit `i`, or nil when it has not finished (no file). Throws for a file that cannot be read or
    /// parsed (a damaged file is reported, not silently redone).
    public func result(fit i: Int) throws -> FitResult? {
        guard FileManager.default.fileExists(atPath: resultPath(fit: i)) else { return nil }
        return try readJSON(FitResult.self, from: resultPath(fit: i))
    }

    public func writeRefit(_ r: RefitResult) throws { try writeJSON(r, to: refitPath) }

    public func refit() throws -> RefitResult? {
        guard FileManager.default.fileExists(atPath: refitPath) else { return nil }
        return try readJSON(RefitResult.self, from: refitPath)
    }

    /// Every fit's result (nil where not finished), as `results[candidate][split]`.
    public func results(_ plan: SearchPlan) throws -> [[FitResult?]] {
        try (0..<plan.candidates.count).map { c in
            try (0..<plan.nSplits).map { k in try result(fit: c * plan.nSplits + k) }
        }
    }

    /// Writes `cv_results.csv`, `cv_results.json` and (when a candidate is ranked first) `best_params.json`
    /// (`best_params`, `best_score`, `best_index`, plus the refit's test score when it exists).
    @discardableResult
    public func writeDerived(_ plan: SearchPlan, refit: RefitResult? = nil) throws -> CVResults {
        let cv = CVResults(candidates: plan.candidates, nSplits: plan.nSplits, results: try results(plan),
                           returnTrainScore: plan.returnTrainScore)
        try SafeFile.write(cv.csv(), to: path + "/cv_results.csv")
        try SafeFile.write(cv.json(), to: path + "/cv_results.json")
        if let best = cv.bestIndex {
            var text = "{\n  \"best_params\": \(JSONText.object(plan.candidates[best])),\n"
            text += "  \"best_score\": \(JSONText.number(cv.meanTestScore[best])),\n"
            text += "  \"best_index\": \(best),\n  \"scoring\": \(JSONText.quote(plan.scoring.rawValue))"
            if let r = refit {
                text += ",\n  \"refit_time\": \(JSONText.number(r.refitTime))"
                text += ",\n  \"test_score\": \(r.testScore.map(JSONText.number) ?? "null")"
                if let m = r.model { text += ",\n  \"best_model\": \(JSONText.quote(m))" }
            }
            try SafeFile.write(text + "\n}\n", to: path + "/best_params.json")
        }
        return cv
    }
}

/// A search directory that cannot be used: the message names the file and the problem. The CLI exits with status 2.
public struct SearchDirectoryError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
