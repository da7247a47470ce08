import ArgumentParser
import Datasets
import Foundation
import HyperSearch
import SafeIO
import TrainboardKit

/// `trainboard search`: grid or randomized hyperparameter search with k-fold cross-validation (scikit-learn's
/// `GridSearchCV` / `RandomizedSearchCV`), run as a search directory of independent fits.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hyperparameter search with k-fold cross-validation (grid or randomized), as scikit-learn's GridSearchCV / RandomizedSearchCV.",
        discussion: """
        Every fit trains with the train options below plus one candidate's parameters, on the training part of a \
        fold, validating on the held-out fold, then scores that fold. The best candidate (highest mean_test_score) \
        is refit on all training data, scored on the test split and saved as best_model.keras.
        Searchable options: \(SearchOptions.searchableKeys.joined(separator: ", ")).
        Spaces: --grid 'init=lecun_uniform,glorot_uniform;batch-size=32,128' (';' between options, ',' between \
        values, [..] around a value with commas: hidden=[64,64],[128]) or a YAML file (init: [zero, he_normal]; \
        a list of mappings for several grids). With --n-iter N, N candidates are drawn with the seed: lists are \
        sampled uniformly (without replacement when every option is a list), uniform(a,b) and loguniform(a,b) \
        draw real numbers in [a, b), randint(a,b) whole numbers in a..<b.
        The search directory (--out) holds plan.json, fits/fit-NNNNN.json (one result per finished fit, written \
        atomically), fits/fit-NNNNN.csv (each fit's CSV log), cv_results.csv and .json (scikit-learn's columns), \
        best_params.json, refit.json and best_model.keras. `trainboard search --resume DIR` runs only the fits \
        without a result. A failing fit is recorded with a NaN score and a warning (error_score=nan).
        Output: one line per finished fit, then the candidates sorted by rank. Exit status: 0 when the search \
        finished (even with failed fits), 1 when the refit failed, 2 on bad input.
        """)

    @OptionGroup var options: TrainOptions

    @Option(help: ArgumentHelp("The search space: NAME=V1,V2;NAME=... or a YAML file (.yaml/.yml).", valueName: "spec|file.yaml"))
    var grid: String?
    @Option(name: .customLong("n-iter"), parsing: .unconditional, help: "Randomized search: draw N candidates from the --grid space with the seed (RandomizedSearchCV).")
    var nIter: Int?
    @Option(parsing: .unconditional, help: "Folds, >= 2 (default 5, as scikit-learn): StratifiedKFold for class labels, KFold for real-valued targets.")
    var cv: Int = 5
    @Flag(name: .customLong("shuffle-folds"), help: "Shuffle the samples with the seed before cutting the folds (shuffle=True, random_state=seed; Trainboard's generator, so the folds differ from scikit-learn's shuffled ones).")
    var shuffleFolds = false
    @Option(help: "Scorer: accuracy (default for class labels), neg_mean_squared_error (default for real-valued targets), neg_log_loss.")
    var scoring: String?
    @Flag(name: .customLong("return-train-score"), help: "Also score each fit on its training part (split<k>_train_score, mean_train_score, std_train_score).")
    var returnTrainScore = false
    @Option(help: ArgumentHelp("The search directory (default trainboard-runs/search-<date-time>); it must not exist or be empty.", valueName: "dir"))
    var out: String?
    @Option(parsing: .unconditional, help: "Fits run at once, each as its own process with cores/jobs BLAS threads (default: the number of cores).")
    var jobs: Int?
    @Flag(name: .customLong("dry-run"), help: "Check the options, the space and the data, print the candidates and the number of fits, and stop: nothing is written or trained.")
    var dryRun = false

    func run() throws {
        let directory: SearchDirectory
        let plan: SearchPlan
        do {
            // `--resume` is declared once, with the training options; for `search` it names a search directory.
            if let dir = options.resume {
                if grid != nil || nIter != nil || out != nil {
                    printError("warning: --resume runs the plan in \(dir)/plan.json; --grid, --n-iter and --out are ignored")
                }
                directory = SearchDirectory(dir)
                plan = try directory.readPlan(kinds: SearchOptions.kind(of:))
            } else {
                (directory, plan) = try makeSearch()
            }
        } catch where Self.isBadInput(error) {
            // Bad options, space, data or directory: exit 2 with the message, which names what was wrong.
            printError("error: \(error)"); throw ExitCode(2)
        }
        if let j = jobs, j < 1 { printError("error: --jobs: must be at least 1, got \(j)"); throw ExitCode(2) }
        try SearchRunner(directory: directory, plan: plan, jobs: jobs ?? LocalExecutor.cores).run()
    }

    /// Whether `error` is bad input (exit 2) rather than a failure while searching.
    static func isBadInput(_ error: Error) -> Bool {
        error is ConfigurationError || error is DataError || error is SearchSpaceError || error is FoldError
            || error is SearchDirectoryError || error is FileError
    }

    /// Validates the options and the space, loads the data once for the folds, and writes the plan.
    func makeSearch() throws -> (SearchDirectory, SearchPlan) {
        var fileConfig = RunConfiguration()
        if let path = options.config { fileConfig = try ConfigFile.load(path) }
        var base = options.configuration.over(fileConfig)
        for (key, why) in SearchOptions.refusedKeys.sorted(by: { $0.key < $1.key }) {
            if RunConfiguration.field(key)?.isSet(base) == true {
                throw ConfigurationError(key: key, "cannot be used with search: \(why)")
            }
        }
        // Interface options mean nothing to a fit process.
        base.headless = nil; base.theme = nil; base.exitWhenDone = nil; base.charts = nil; base.resume = nil
        guard let spec = grid else {
            throw SearchSpaceError("--grid: missing; give the space to search, e.g. --grid 'init=lecun_uniform,glorot_uniform;batch-size=32,128'")
        }
        let isFile = spec.hasSuffix(".yaml") || spec.hasSuffix(".yml")
        let space = isFile ? try ParameterSpace.load(yamlFile: spec, kind: SearchOptions.kind(of:))
                           : try ParameterSpace.parse(spec, kind: SearchOptions.kind(of:))
        let seed = try TrainingPlan(base).seed
        let candidates: [[String: ParamValue]]
        if let n = nIter {
            let (drawn, warning) = try ParameterSampler(space, nIter: n, seed: seed).sample()
            if let w = warning { printError("warning: \(w)") }
            candidates = drawn
        } else {
            guard space.isAllLists else {
                throw SearchSpaceError("--grid: a distribution (uniform, loguniform, randint) needs a randomized search: give --n-iter N")
            }
            candidates = try ParameterGrid(space).candidates
        }
        // Every candidate's options must be valid before anything runs.
        for (i, c) in candidates.enumerated() {
            do { _ = try TrainingPlan(SearchOptions.configuration(options: [:], params: c).over(base)) } catch let e as ConfigurationError {
                throw ConfigurationError(key: e.key, "candidate \(i) \(JSONText.object(c)): \(e.message)")
            }
        }
        var first = try SearchOptions.configuration(options: [:], params: candidates[0]).over(base)
        first.headless = true
        printError("loading \(try TrainingPlan(first).dataSpec) ...")
        let run = try TrainingRun.prepare(try TrainingPlan(first), lossExplicit: first.loss != nil,
                                          log: { printError($0) })
        let isClassifier = run.train.classCount != nil
        let cvKind = CrossValidator.forEstimator(isClassifier: isClassifier)
        let testFold: [Int]
        if isClassifier {
            let labels = (0..<run.train.count).map { run.train.label($0) ?? 0 }
            let (folds, warning) = try Folds.stratifiedKFold(labels: labels, nSplits: cv, shuffle: shuffleFolds, seed: seed)
            if let w = warning { printError("warning: \(w)") }
            testFold = folds
        } else {
            testFold = try Folds.kFold(n: run.train.count, nSplits: cv, shuffle: shuffleFolds, seed: seed)
        }
        let scorer: Scoring
        if let s = scoring {
            guard let sc = Scoring(rawValue: s) else {
                throw ConfigurationError(key: "scoring", "unknown scorer '\(s)'; expected \(Scoring.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if sc.needsClasses && !isClassifier {
                throw ConfigurationError(key: "scoring", "\(s) needs class labels; \(run.plan.dataSpec) has real-valued targets (use neg_mean_squared_error)")
            }
            scorer = sc
        } else {
            scorer = Scoring.defaultFor(isClassifier: isClassifier)
        }
        let stamp = Self.timestamp()
        if dryRun {
            let plan = SearchPlan(kind: nIter == nil ? "grid" : "randomized", space: spec, candidates: candidates,
                                  nSplits: cv, crossValidator: cvKind, shuffleFolds: shuffleFolds, seed: seed,
                                  testFold: testFold, scoring: scorer, returnTrainScore: returnTrainScore,
                                  options: try SearchOptions.options(base), created: stamp.iso)
            print("Search: \(run.dataDescription)")
            print("\(cvKind.rawValue)(n_splits=\(cv)\(shuffleFolds ? ", shuffle=True" : "")), scoring \(scorer.rawValue)")
            for (i, c) in candidates.enumerated() { print("candidate \(i): \(JSONText.object(c))") }
            print("\(plan.summary) (dry run: nothing written or trained)")
            throw ExitCode(0)
        }
        let path = out ?? "trainboard-runs/search-\(stamp.compact)"
        let directory = SearchDirectory(path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw SearchDirectoryError("--out: \(path) exists and is not a directory") }
            if FileManager.default.fileExists(atPath: directory.planPath) {
                throw SearchDirectoryError("--out: \(path) already holds a search; continue it with `trainboard search --resume \(path)` or choose another directory")
            }
            if let items = try? FileManager.default.contentsOfDirectory(atPath: path), !items.isEmpty {
                throw SearchDirectoryError("--out: \(path) is not empty; choose a new or empty directory")
            }
        }
        let plan = SearchPlan(kind: nIter == nil ? "grid" : "randomized", space: spec, candidates: candidates,
                              nSplits: cv, crossValidator: cvKind, shuffleFolds: shuffleFolds, seed: seed,
                              testFold: testFold, scoring: scorer, returnTrainScore: returnTrainScore,
                              options: try SearchOptions.options(base), created: stamp.iso)
        try directory.writePlan(plan)
        // The plan as every later reader (fit processes, --resume) sees it.
        let written = try directory.readPlan(kinds: SearchOptions.kind(of:))
        print("Search: \(run.dataDescription)")
        print("\(cvKind.rawValue)(n_splits=\(cv)\(shuffleFolds ? ", shuffle=True" : "")), scoring \(scorer.rawValue), directory \(path)")
        return (directory, written)
    }

    static func timestamp() -> (compact: String, iso: String) {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        let now = Date()
        return (f.string(from: now), ISO8601DateFormatter().string(from: now))
    }
}

/// Runs a planned search with the local executor: the fits without a result, then the refit; prints one line per
/// finished fit and the final table.
struct SearchRunner {
    let directory: SearchDirectory
    let plan: SearchPlan
    let jobs: Int

    func run() throws {
        let pending = try (0..<plan.fitCount).filter { try directory.result(fit: $0) == nil }
        print(plan.summary)
        if pending.count < plan.fitCount {
            print("resuming: \(plan.fitCount - pending.count) of \(plan.fitCount) fits already finished, \(pending.count) to run")
        }
        let executor = LocalExecutor(executable: Self.executablePath(), directory: directory, jobs: jobs,
                                     blasThreads: LocalExecutor.threadsPerJob(cores: LocalExecutor.cores, jobs: jobs),
                                     refitIndex: plan.fitCount)
        var finished = plan.fitCount - pending.count
        var lost = 0
        try executor.run(pending) { i, ending in
            finished += 1
            let (c, k) = plan.position(ofFit: i)
            let head = "[\(finished)/\(plan.fitCount)] candidate \(c) split \(k)"
            guard case .exited(let status) = ending, let r = try? directory.result(fit: i) else {
                lost += 1
                let how: String
                switch ending {
                case .signaled(let s): how = "was killed by signal \(s)"
                case .exited(let s): how = "exited with status \(s) without a result"
                }
                printError("warning: \(head): the fit process \(how) (see \(directory.outputPath(fit: i))); not recorded, --resume runs it again")
                return
            }
            _ = status  // 0 or not: the result file is what counts (a failed fit is recorded with its error)
            if let e = r.error {
                printError("warning: \(head): fit failed; its score is set to NaN (error_score=nan): \(e)")
                print("\(head): \(plan.scoring.rawValue) NaN (failed) \(JSONText.object(plan.candidates[c]))")
            } else {
                let train = r.trainScore.map { " train \(Self.format($0))" } ?? ""
                print("\(head): \(plan.scoring.rawValue) \(Self.format(r.testScore ?? .nan))\(train) "
                      + "(\(r.epochs) epochs, fit \(String(format: "%.1f", r.fitTime)) s) \(JSONText.object(plan.candidates[c]))")
            }
        }
        if lost > 0 {
            _ = try directory.writeDerived(plan)
            printError("error: \(lost) fit\(lost == 1 ? "" : "s") did not finish; run `trainboard search --resume \(directory.path)` to complete the search")
            throw ExitCode(1)
        }
        print("refit of the best candidate on all training data ...")
        var refitEnding: LocalExecutor.Ending = .exited(0)
        // The refit runs alone: it gets every core's BLAS threads.
        let refitExecutor = LocalExecutor(executable: executor.executable, directory: directory, jobs: 1,
                                          blasThreads: LocalExecutor.cores, refitIndex: plan.fitCount)
        try refitExecutor.run([plan.fitCount]) { _, e in refitEnding = e }
        let refit = try? directory.refit()
        let cv = try directory.writeDerived(plan, refit: refit)
        printTable(cv)
        guard case .exited(0) = refitEnding, let r = refit else {
            printError("error: the refit did not finish (see \(directory.refitOutputPath))"); throw ExitCode(1)
        }
        if let e = r.error { printError("error: the refit failed: \(e)"); throw ExitCode(1) }
        let test = r.testScore.map { "; test \(plan.scoring.rawValue) \(Self.format($0)) on \(r.nTestSamples) samples" } ?? "; no test split"
        print("best: candidate \(r.bestIndex) \(JSONText.object(plan.candidates[r.bestIndex])), mean_test_score \(Self.format(cv.meanTestScore[r.bestIndex]))\(test)")
        print("saved \(directory.modelPath); results in \(directory.path)/cv_results.csv")
    }

    /// The candidates sorted by rank (ties in candidate order).
    func printTable(_ cv: CVResults) {
        let order = (0..<cv.candidates).sorted { (cv.rankTestScore[$0], $0) < (cv.rankTestScore[$1], $1) }
        let stds = CVResults.stdColumn(cv)
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? fill + s : s + fill
        }
        print("\(pad("rank", 4, left: true))  \(pad("candidate", 9, left: true))  \(pad("mean_test_score", 15))  \(pad("std_test_score", 14))  params")
        for c in order {
            print("\(pad(String(cv.rankTestScore[c]), 4, left: true))  \(pad(String(c), 9, left: true))  "
                  + "\(pad(Self.format(cv.meanTestScore[c]), 15))  \(pad(Self.format(stds[c]), 14))  \(JSONText.object(plan.candidates[c]))")
        }
    }

    static func format(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.4f", v) }

    /// This executable's path, for the fit processes (`/proc/self/exe` on Linux).
    static func executablePath() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}

extension CVResults {
    /// The std_test_score column as numbers.
    static func stdColumn(_ cv: CVResults) -> [Double] {
        (cv.cells["std_test_score"] ?? []).map { if case .number(let v) = $0 { return v } else { return .nan } }
    }
}

/// `trainboard fit-trial DIR INDEX`: runs one fit of a search directory and writes its result (hidden; the unit the
/// local executor and cluster array tasks run).
struct FitTrial: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit-trial",
        abstract: "Run one fit of a search directory (used by `search`; fit number = candidate * folds + split, the last is the refit).",
        shouldDisplay: false)

    @Argument(help: "The search directory.") var directory: String
    @Argument(help: "The fit number.") var index: Int

    func run() throws {
        ParentWatch.start()
        do {
            try SearchTrial.run(directory: SearchDirectory(directory), index: index, log: { StandardError.write($0 + "\n") })
        } catch let e as SearchDirectoryError {
            printError("error: \(e)"); throw ExitCode(2)
        } catch {
            printError("error: \(error)"); throw ExitCode(1)
        }
    }
}
