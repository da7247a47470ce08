#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SafeIO

/// What a search runs, as `plan.json` holds it: the candidates, the folds (a test-fold number per training sample, so
/// that every executor, local or on a cluster, uses the same split), the scorer and the options shared by every fit.
///
/// Thread-safety: a value.
public struct SearchPlan: Codable, Equatable, Sendable {
    /// The file format's version: 1, or 2 for a successive-halving plan (which older versions must not run as a
    /// plain grid).
    public var version = 1
    /// "grid", "randomized", "halving-grid" or "halving-randomized".
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
    /// Successive halving's iterations (resource: epochs); nil for grid and randomized searches. Which candidates
    /// each iteration runs is decided from the previous iteration's results and recorded in
    /// `iterations/iter-NN.json` (see `SearchDirectory.iteration(_:plan:)`).
    public var halving: HalvingSchedule?

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
        case halving
    }

    /// Cross-validation fits (candidates x splits; successive halving: the sum over its iterations); the refit is
    /// fit number `fitCount`.
    public var fitCount: Int { halving?.fits(nSplits: nSplits).total ?? candidates.count * nSplits }
    /// Candidate and split of fit `index` of a grid or randomized search (candidate-major, as scikit-learn's
    /// `product(candidates, splits)`). For successive halving the candidate depends on the previous iterations'
    /// results: use `SearchDirectory.fit(_:plan:)`.
    public func position(ofFit index: Int) -> (candidate: Int, split: Int) { (index / nSplits, index % nSplits) }
    /// "N candidates x K folds = F fits + 1 refit" (successive halving: the candidates and epochs per iteration).
    public var summary: String {
        let c = candidates.count
        if let h = halving {
            let per = (0..<h.nIterations).map { "\(h.nCandidates[$0]) at \(h.nResources[$0]) epoch\(h.nResources[$0] == 1 ? "" : "s")" }
            return "successive halving: \(h.nIterations) iteration\(h.nIterations == 1 ? "" : "s") (\(per.joined(separator: ", "))) x \(nSplits) folds = \(fitCount) fits + 1 refit"
        }
        return "\(c) candidate\(c == 1 ? "" : "s") x \(nSplits) folds = \(fitCount) fits + 1 refit"
    }
}

/// One decided iteration of successive halving (`iterations/iter-NN.json`): which plan candidates it runs, in
/// scikit-learn's order (iteration 0: all, in plan order; later: the survivors of the previous iteration in
/// ascending score order), and the epochs each fit trains. Written once, atomically, when the previous iteration's
/// fits have all finished; afterwards it is only read, so a resumed search runs exactly the same candidates.
/// Thread-safety: a value.
public struct HalvingIteration: Codable, Equatable, Sendable {
    public var iter: Int
    public var nResources: Int
    /// Indices into `plan.candidates`.
    public var candidates: [Int]

    public init(iter: Int, nResources: Int, candidates: [Int]) {
        self.iter = iter; self.nResources = nResources; self.candidates = candidates
    }

    enum CodingKeys: String, CodingKey { case iter, nResources = "n_resources", candidates }
}

/// One row of `cv_results`: a candidate (successive halving: a candidate in one iteration), its fits
/// `firstFit ..< firstFit + nSplits` and its parameters (with `epochs` = `nResources` for successive halving, as
/// scikit-learn sets the resource in `params`).
/// Thread-safety: a value.
public struct SearchRow: Equatable, Sendable {
    public var candidate: Int
    public var params: [String: ParamValue]
    public var firstFit: Int
    public var iter: Int?
    public var nResources: Int?

    public init(candidate: Int, params: [String: ParamValue], firstFit: Int, iter: Int?, nResources: Int?) {
        self.candidate = candidate; self.params = params; self.firstFit = firstFit
        self.iter = iter; self.nResources = nResources
    }
}

/// The refit of the best candidate on all training data (`refit.json`).
public struct RefitResult: Codable, Equatable, Sendable {
    /// The best cv_results row (a candidate; successive halving: a candidate-iteration row).
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
    public var iterationsPath: String { path + "/iterations" }
    public func iterationPath(_ i: Int) -> String { iterationsPath + "/" + String(format: "iter-%02d.json", i) }
    /// The lock taken while the derived files are regenerated (`flock`), so that fits finishing at once cannot
    /// leave an older table in place.
    public var lockPath: String { path + "/.derived.lock" }

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
        guard plan.version == 1 || plan.version == 2 else {
            throw SearchDirectoryError("\(planPath): version \(plan.version) is not supported (1 and 2 are)")
        }
        if let h = plan.halving {
            // The schedule is recomputed from its parameters: a plan whose numbers differ was not written by a search.
            let again = MinResources(h.minResourcesAsked).flatMap {
                try? HalvingSchedule(candidates: plan.candidates.count, factor: h.factor, minResources: $0,
                                     maxResources: h.maxResources, aggressiveElimination: h.aggressiveElimination)
            }
            guard again == h else {
                throw SearchDirectoryError("\(planPath): the halving schedule does not match its candidates, factor, min_resources and max_resources_")
            }
        }
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

    /// Iteration `i` of a successive-halving search: read from `iterations/iter-NN.json` when it was decided, else
    /// decided now (iteration 0: every candidate; later: `Halving.topK` of iteration i-1's mean test scores, which
    /// needs all of iteration i-1's results) and written atomically. Returns nil when iteration i-1 has unfinished
    /// fits. Throws `SearchDirectoryError` for a damaged record or a plan without halving.
    public func iteration(_ i: Int, plan: SearchPlan) throws -> HalvingIteration? {
        guard let h = plan.halving, i >= 0, i < h.nIterations else {
            throw SearchDirectoryError("\(planPath): no successive-halving iteration \(i)")
        }
        if FileManager.default.fileExists(atPath: iterationPath(i)) {
            let it = try readJSON(HalvingIteration.self, from: iterationPath(i))
            guard it.iter == i, it.nResources == h.nResources[i], it.candidates.count == h.nCandidates[i],
                  it.candidates.allSatisfy({ plan.candidates.indices.contains($0) }),
                  Set(it.candidates).count == it.candidates.count else {
                throw SearchDirectoryError("\(iterationPath(i)): does not match the plan's iteration \(i) (\(h.nCandidates[i]) candidates at \(h.nResources[i]) epochs)")
            }
            return it
        }
        let chosen: [Int]
        if i == 0 {
            chosen = Array(plan.candidates.indices)
        } else {
            guard let previous = try iteration(i - 1, plan: plan) else { return nil }
            let rows = self.rows(of: previous, plan: plan)
            let results = try rows.map { r in try (0..<plan.nSplits).map { k in try result(fit: r.firstFit + k) } }
            guard !results.joined().contains(where: { $0 == nil }) else { return nil }
            let cv = CVResults(candidates: rows.map(\.params), nSplits: plan.nSplits, results: results,
                               returnTrainScore: false)
            chosen = Halving.topK(cv.meanTestScore, k: h.nCandidates[i]).map { previous.candidates[$0] }
        }
        let it = HalvingIteration(iter: i, nResources: h.nResources[i], candidates: chosen)
        try writeJSON(it, to: iterationPath(i))
        return it
    }

    /// The rows of a decided iteration.
    func rows(of it: HalvingIteration, plan: SearchPlan) -> [SearchRow] {
        let offset = plan.halving?.fitOffset(iteration: it.iter, nSplits: plan.nSplits) ?? 0
        return it.candidates.enumerated().map { j, c in
            var p = plan.candidates[c]
            p["epochs"] = .int(it.nResources)
            return SearchRow(candidate: c, params: p, firstFit: offset + j * plan.nSplits, iter: it.iter,
                             nResources: it.nResources)
        }
    }

    /// The rows known so far, in cv_results order: every candidate (grid, randomized), or the rows of each decided
    /// successive-halving iteration (an undecided iteration and the ones after it have no rows yet). Reading only.
    public func rows(_ plan: SearchPlan) throws -> [SearchRow] {
        guard let h = plan.halving else {
            return plan.candidates.enumerated().map { c, p in
                SearchRow(candidate: c, params: p, firstFit: c * plan.nSplits, iter: nil, nResources: nil)
            }
        }
        var out: [SearchRow] = []
        for i in 0..<h.nIterations {
            // Iteration 0 needs no record; later ones are read if recorded (deciding is the runner's job).
            let it: HalvingIteration
            if FileManager.default.fileExists(atPath: iterationPath(i)) {
                guard let read = try iteration(i, plan: plan) else { break }
                it = read
            } else if i == 0 {
                it = HalvingIteration(iter: 0, nResources: h.nResources[0], candidates: Array(plan.candidates.indices))
            } else { break }
            out += rows(of: it, plan: plan)
        }
        return out
    }

    /// The row and split of fit `index` (< `plan.fitCount`), deciding its iteration when needed. Throws
    /// `SearchDirectoryError` when the index is out of range or its iteration cannot be decided yet (the previous
    /// iteration has unfinished fits).
    public func fit(_ index: Int, plan: SearchPlan) throws -> (row: SearchRow, split: Int) {
        guard index >= 0 && index < plan.fitCount else {
            throw SearchDirectoryError("fit index \(index) is out of range: the search has fits 0..<\(plan.fitCount)")
        }
        guard let h = plan.halving else {
            let (c, k) = plan.position(ofFit: index)
            return (SearchRow(candidate: c, params: plan.candidates[c], firstFit: c * plan.nSplits, iter: nil,
                              nResources: nil), k)
        }
        guard let pos = h.position(ofFit: index, nSplits: plan.nSplits) else {
            throw SearchDirectoryError("fit index \(index) is out of range: the search has fits 0..<\(plan.fitCount)")
        }
        guard let it = try iteration(pos.iteration, plan: plan) else {
            throw SearchDirectoryError("fit \(index) belongs to successive-halving iteration \(pos.iteration), which is not decided yet: iteration \(pos.iteration - 1) has unfinished fits")
        }
        return (rows(of: it, plan: plan)[pos.row], pos.split)
    }

    /// Every known row's results (nil where not finished), as `results[row][split]`.
    public func results(_ plan: SearchPlan, rows: [SearchRow]) throws -> [[FitResult?]] {
        try rows.map { r in try (0..<plan.nSplits).map { k in try result(fit: r.firstFit + k) } }
    }

    /// Every candidate's results of a grid or randomized search (nil where not finished), as
    /// `results[candidate][split]`.
    public func results(_ plan: SearchPlan) throws -> [[FitResult?]] { try results(plan, rows: try rows(plan)) }

    /// The cv_results of the rows known so far (partial while fits are missing: see `CVResults`).
    public func cvResults(_ plan: SearchPlan) throws -> (CVResults, [SearchRow]) {
        let rows = try rows(plan)
        let cv = CVResults(candidates: rows.map(\.params), nSplits: plan.nSplits, results: try results(plan, rows: rows),
                           returnTrainScore: plan.returnTrainScore,
                           iterations: plan.halving == nil ? nil : rows.map { $0.iter ?? 0 },
                           nResources: plan.halving == nil ? nil : rows.map { $0.nResources ?? 0 })
        return (cv, rows)
    }

    /// Writes `cv_results.csv`, `cv_results.json` and `best_params.json` from the results present, each atomically,
    /// holding an exclusive `flock` on `lockPath` meanwhile (fit processes regenerate them as each fit ends, so the
    /// last writer has seen every result written before it). `best_params.json` holds `best_params`, `best_score`,
    /// `best_index` (a cv_results row; null while no row is finished), `scoring`, `complete` (false while fits are
    /// missing: then the best is the best so far), `n_finished_fits`, `n_fits`, the refit's time, test score and
    /// model when it exists, and for successive halving scikit-learn's attributes (`n_iterations_`,
    /// `n_resources_`, `n_candidates_`, `n_required_iterations_`, `n_possible_iterations_`, `min_resources_`,
    /// `max_resources_`, `n_remaining_candidates_`, `factor`, `aggressive_elimination`).
    @discardableResult
    public func writeDerived(_ plan: SearchPlan, refit: RefitResult? = nil) throws -> CVResults {
        try SafeFile.makeDirectories(path, userPath: path)
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
        if fd >= 0 { _ = flock(fd, LOCK_EX) }
        defer { if fd >= 0 { _ = flock(fd, LOCK_UN); close(fd) } }
        let (cv, rows) = try cvResults(plan)
        try SafeFile.write(cv.csv(), to: path + "/cv_results.csv")
        try SafeFile.write(cv.json(), to: path + "/cv_results.json")
        let finished = (0..<plan.fitCount).filter { FileManager.default.fileExists(atPath: resultPath(fit: $0)) }.count
        let best = cv.bestIndex
        var text = "{\n  \"best_params\": \(best.map { JSONText.object(rows[$0].params) } ?? "null"),\n"
        text += "  \"best_score\": \(best.map { JSONText.number(cv.meanTestScore[$0]) } ?? "null"),\n"
        text += "  \"best_index\": \(best.map(String.init) ?? "null"),\n  \"scoring\": \(JSONText.quote(plan.scoring.rawValue))"
        text += ",\n  \"complete\": \(finished == plan.fitCount ? "true" : "false")"
        text += ",\n  \"n_finished_fits\": \(finished),\n  \"n_fits\": \(plan.fitCount)"
        if let h = plan.halving {
            func list(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ", ") + "]" }
            text += ",\n  \"n_iterations_\": \(h.nIterations),\n  \"n_resources_\": \(list(h.nResources))"
            text += ",\n  \"n_candidates_\": \(list(h.nCandidates))"
            text += ",\n  \"n_required_iterations_\": \(h.nRequiredIterations)"
            text += ",\n  \"n_possible_iterations_\": \(h.nPossibleIterations)"
            text += ",\n  \"min_resources_\": \(h.minResources),\n  \"max_resources_\": \(h.maxResources)"
            text += ",\n  \"n_remaining_candidates_\": \(h.nRemainingCandidates)"
            text += ",\n  \"factor\": \(JSONText.number(h.factor))"
            text += ",\n  \"aggressive_elimination\": \(h.aggressiveElimination)"
        }
        if let r = refit {
            text += ",\n  \"refit_time\": \(JSONText.number(r.refitTime))"
            text += ",\n  \"test_score\": \(r.testScore.map(JSONText.number) ?? "null")"
            if let m = r.model { text += ",\n  \"best_model\": \(JSONText.quote(m))" }
        }
        try SafeFile.write(text + "\n}\n", to: path + "/best_params.json")
        return cv
    }
}

/// A search directory that cannot be used: the message names the file and the problem. The CLI exits with status 2.
public struct SearchDirectoryError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
