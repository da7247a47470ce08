import ArgumentParser
import Datasets
import Foundation
import HyperSearch
import NCursesBackend
import SafeIO
import TrainboardKit

/// `trainboard search`: grid or randomized hyperparameter search with k-fold cross-validation (scikit-learn's
/// `GridSearchCV` / `RandomizedSearchCV`), run as a search directory of independent fits.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hyperparameter search with k-fold cross-validation (grid, randomized or successive halving), as scikit-learn's GridSearchCV / RandomizedSearchCV / HalvingGridSearchCV / HalvingRandomSearchCV.",
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
        Successive halving (--halving; HalvingGridSearchCV with --grid alone, HalvingRandomSearchCV with \
        --n-candidates N|exhaust or --n-iter N): the resource is epochs. Iteration i trains n_candidates_[i] \
        candidates for n_resources_[i] epochs on every fold and keeps the best ceil(n / factor) by mean_test_score \
        for the next, as scikit-learn computes them (min_resources_ = 1 for smallest, exhaust raises it to \
        max_resources // factor^(n_required_iterations - 1); n_iterations = min(n_possible, n_required), or \
        n_required with --aggressive-elimination). epochs cannot be in the space. cv_results gain iter and \
        n_resources (first columns) with one row per candidate per iteration, params hold epochs = n_resources, \
        best_index is the best row of the last iteration, and best_params.json holds n_iterations_, n_resources_, \
        n_candidates_, n_required_iterations_, n_possible_iterations_, min_resources_ and max_resources_. Each \
        iteration's candidates are recorded in iterations/iter-NN.json once the previous one has finished, so \
        --resume runs exactly the same survivors. Candidates tied at the cut: the later ones are kept (a stable \
        sort; NumPy's order of ties depends on the CPU).
        The search directory (--out) holds plan.json, fits/fit-NNNNN.json (one result per finished fit, written \
        atomically), fits/fit-NNNNN.csv (each fit's CSV log), cv_results.csv and .json (scikit-learn's columns), \
        best_params.json, refit.json and best_model.keras. `trainboard search --resume DIR` runs only the fits \
        without a result. A failing fit is recorded with a NaN score and a warning (error_score=nan).
        Before starting: the number of candidates and fits and a rough time estimate from a short probe (the first \
        candidate trained for a few batches, scaled by epochs, rows and fits / jobs).
        In a terminal the search view shows the search live (read from the search directory): candidates x folds \
        with scores, sparklines of running folds' val_loss, mean, std and rank, the best highlighted, progress, fits \
        per minute and ETA. Keys: arrows select a candidate and fold; Enter opens the selected fit: a running fit's \
        live dashboard with its keys (p, s, c, l, +, - steer that fit; q comes back, the fit goes on), else its \
        charts from its log (Esc returns); k skips the selected candidate (running fits killed, the rest recorded as skipped, which --resume \
        honours); s stops the search keeping finished results (no refit; --resume continues); q quits (stopping \
        first); t theme; ? help. An estimate over an hour is confirmed first (--yes skips; headless never asks). \
        --replay DIR opens a finished or partial search in the view (headless: its table sorted by rank).
        cv_results.csv/.json and best_params.json are rewritten (atomically) after every finished fit. While fits \
        are missing they are partial: an unfinished fit's split cells and its row's means, stds are empty in the \
        CSV (null in the JSON; NaN is a failed fit), the row ranks after every finished one, a last column \
        n_unfinished_splits counts the row's missing folds (the column is absent once all are done), and \
        best_params.json says "complete": false with n_finished_fits of n_fits (the best so far).
        --normalize is fitted on each fold's training part only (the held-out fold is scaled with its statistics), \
        and on all training data for the refit.
        With --executor slurm the fits without a result are submitted as one Slurm job array (each task runs \
        `trainboard fit-trial DIR FIT` with this binary's absolute path; the directory and the binary must be on a \
        file system every node shares), the refit as a job that depends on it (or here with --refit-local); this \
        process follows the queue (squeue, scontrol), prints state changes and writes slurm/state.json; Ctrl-C or s \
        cancels the array (scancel) keeping finished results. A task Slurm kills is recorded there as failed, \
        timeout or cancelled with its reason, and --resume submits it again (also across executors).
        Headless output (--headless or not a terminal): one line per finished fit, then the candidates sorted by \
        rank. Exit status: 0 when the search finished or was stopped from the view (even with failed fits), 1 when \
        the refit failed, 2 on bad input.
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
    @Flag(name: .customLong("dry-run"), help: "Check the options, the space and the data, print the candidates and the number of fits (successive halving: the iterations, candidates and epochs per iteration), and stop: nothing is written or trained (with --executor slurm: also the batch script and the sbatch commands, nothing submitted).")
    var dryRun = false
    @Option(help: ArgumentHelp("Open a finished (or partial) search directory in the search view, read-only (headless: print its table sorted by rank).", valueName: "dir"))
    var replay: String?
    @Flag(help: "Start without asking, even when the estimated time exceeds an hour (only the dashboard asks; headless runs never do).")
    var yes = false
    @Flag(help: "Successive halving over epochs (HalvingGridSearchCV; with --n-candidates or --n-iter HalvingRandomSearchCV).")
    var halving = false
    @Option(help: ArgumentHelp("Successive halving: the candidates drawn from the space (HalvingRandomSearchCV's n_candidates): a number, or exhaust = max_resources // min_resources.", valueName: "n|exhaust"))
    var nCandidates: String?
    @Option(parsing: .unconditional, help: "Successive halving: keep 1/factor of the candidates and multiply the epochs by factor each iteration, > 1 (default 3).")
    var factor: Double?
    @Option(help: ArgumentHelp("Successive halving: epochs of the first iteration: exhaust (default with --grid), smallest (= 1, default for a randomized halving) or a number.", valueName: "n|exhaust|smallest"))
    var minResources: String?
    @Option(parsing: .unconditional, help: "Successive halving: the most epochs a fit trains (max_resources; default: the --epochs value).")
    var maxResources: Int?
    @Flag(name: .customLong("aggressive-elimination"), help: "Successive halving: run the iterations needed to end with fewer than factor candidates even if the first ones must repeat min_resources (aggressive_elimination=True).")
    var aggressiveElimination = false
    @OptionGroup(title: "Executor") var executor: ExecutorOptions

    func run() throws {
        if let dir = replay {
            try SearchReplay(path: dir, headless: options.headless, theme: options.theme).run()
            return
        }
        let directory: SearchDirectory
        let plan: SearchPlan
        do {
            try executor.validate(jobs: jobs)
            // `--resume` is declared once, with the training options; for `search` it names a search directory.
            if let dir = options.resume {
                if grid != nil || nIter != nil || out != nil || halving {
                    printError("warning: --resume runs the plan in \(dir)/plan.json; --grid, --n-iter, --halving and --out are ignored")
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
        if executor.isSlurm {
            if dryRun {
                do { try executor.printDryRun(directory: directory.path, plan: plan,
                                              fits: try (0..<plan.fitCount).filter { try directory.result(fit: $0) == nil }) }
                catch where Self.isBadInput(error) { printError("error: \(error)"); throw ExitCode(2) }
                throw ExitCode(0)
            }
            let runner = SlurmSearchRunner(directory: directory, plan: plan, options: executor)
            // In a terminal the search view follows the directory (Slurm's states from slurm/state.json); s cancels.
            if !options.headless && Terminal.isInteractive && Terminal.unsupportedTerminal() == nil {
                try SearchApp(session: SlurmSearchSession(runner: runner), directory: directory, plan: plan,
                              theme: options.theme, confirm: nil).run()
            } else {
                try runner.run()
            }
            return
        }
        let jobs = jobs ?? LocalExecutor.cores
        var interactive = !options.headless && Terminal.isInteractive
        if interactive, let problem = Terminal.unsupportedTerminal() {
            printError("notice: \(problem); one line per fit instead of the search view, as with --headless")
            interactive = false
        }
        let runner = SearchRunner(directory: directory, plan: plan, jobs: jobs)
        try runner.announce()
        let estimate = runner.estimate()
        if let e = estimate { print(e.text); fflush(nil) }
        guard interactive else { try runner.run(); return }
        let ask = !yes && (estimate?.seconds ?? 0) > 3600
        try SearchApp(session: LocalSearchSession(runner: runner), directory: directory, plan: plan, theme: options.theme,
                      confirm: ask ? "\(plan.summary)\n\(estimate?.text ?? "")\nThis is more than an hour." : nil).run()
    }

    /// The candidates of `space`: `n` drawn with `seed` (`ParameterSampler`; its warning printed), or with `n` nil
    /// every combination (`ParameterGrid`, which needs lists only: a distribution names `randomFlags`).
    static func candidates(_ space: ParameterSpace, drawing n: Int?, seed: UInt64,
                           randomFlags: String) throws -> [[String: ParamValue]] {
        if let n {
            let (drawn, warning) = try ParameterSampler(space, nIter: n, seed: seed).sample()
            if let w = warning { printError("warning: \(w)") }
            return drawn
        }
        guard space.isAllLists else {
            throw SearchSpaceError("--grid: a distribution (uniform, loguniform, randint) needs a randomized search: give \(randomFlags)")
        }
        return try ParameterGrid(space).candidates
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
        base.headless = nil; base.theme = nil; base.exitWhenDone = nil; base.charts = nil; base.resume = nil; base.listen = nil
        guard let spec = grid else {
            throw SearchSpaceError("--grid: missing; give the space to search, e.g. --grid 'init=lecun_uniform,glorot_uniform;batch-size=32,128'")
        }
        let isFile = spec.hasSuffix(".yaml") || spec.hasSuffix(".yml")
        let space = isFile ? try ParameterSpace.load(yamlFile: spec, kind: SearchOptions.kind(of:))
                           : try ParameterSpace.parse(spec, kind: SearchOptions.kind(of:))
        let seed = try TrainingPlan(base).seed
        let halvingOptions = [(nCandidates != nil, "--n-candidates"), (factor != nil, "--factor"),
                              (minResources != nil, "--min-resources"), (maxResources != nil, "--max-resources"),
                              (aggressiveElimination, "--aggressive-elimination")]
        if !halving, let (_, flag) = halvingOptions.first(where: { $0.0 }) {
            throw SearchSpaceError("\(flag): applies to successive halving only; add --halving")
        }
        let candidates: [[String: ParamValue]]
        var schedule: HalvingSchedule?
        if halving {
            if space.grids.contains(where: { $0["epochs"] != nil }) {
                throw SearchSpaceError("--grid: epochs is the resource of successive halving and cannot be searched (scikit-learn: \"Cannot use parameter epochs as the resource since it is part of the searched parameters\"); remove it or drop --halving")
            }
            let randomized = nCandidates != nil || nIter != nil
            let minText = minResources ?? (randomized ? "smallest" : "exhaust")
            guard let minR = MinResources(minText) else {
                throw SearchSpaceError("--min-resources: expected exhaust, smallest or a whole number >= 1, got '\(minText)'")
            }
            let maxR = try maxResources ?? TrainingPlan(base).epochs
            if randomized {
                var n: Int
                if let text = nCandidates {
                    if nIter != nil { throw SearchSpaceError("--n-iter and --n-candidates: give one of them (with --halving they mean the same)") }
                    if text == "exhaust" {
                        n = try HalvingSchedule.exhaustCandidates(minResources: minR, maxResources: maxR)
                    } else {
                        guard let v = Int(text), v >= 1 else {
                            throw SearchSpaceError("--n-candidates: expected a whole number >= 1 or exhaust, got '\(text)'")
                        }
                        n = v
                    }
                } else { n = nIter ?? 1 }
                if nCandidates != nil, n > ParameterSpace.maximumCandidates {
                    throw SearchSpaceError("--n-candidates: at most \(ParameterSpace.maximumCandidates) candidates, got \(n)\(nCandidates == "exhaust" ? " (exhaust: max_resources // min_resources)" : "")")
                }
                candidates = try Self.candidates(space, drawing: n, seed: seed, randomFlags: "--n-candidates N (or --n-iter N)")
            } else {
                candidates = try Self.candidates(space, drawing: nil, seed: seed, randomFlags: "--n-candidates N (or --n-iter N)")
            }
            schedule = try HalvingSchedule(candidates: candidates.count, factor: factor ?? 3, minResources: minR,
                                           maxResources: maxR, aggressiveElimination: aggressiveElimination)
        } else {
            candidates = try Self.candidates(space, drawing: nIter, seed: seed, randomFlags: "--n-iter N")
        }
        // Every candidate's options must be valid before anything runs (with halving, at every epoch count).
        for (i, c) in candidates.enumerated() {
            var p = c
            if let h = schedule { p["epochs"] = .int(h.nResources[0]) }
            do { _ = try TrainingPlan(SearchOptions.configuration(options: [:], params: p).over(base)) } catch let e as ConfigurationError {
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
        let randomKind = nIter != nil || nCandidates != nil
        let kind = (halving ? "halving-" : "") + (randomKind ? "randomized" : "grid")
        func makePlan() throws -> SearchPlan {
            var plan = SearchPlan(kind: kind, space: spec, candidates: candidates, nSplits: cv,
                                  crossValidator: cvKind, shuffleFolds: shuffleFolds, seed: seed, testFold: testFold,
                                  scoring: scorer, returnTrainScore: returnTrainScore,
                                  options: try SearchOptions.options(base), created: stamp.iso)
            if let schedule { plan.halving = schedule; plan.version = 2 }
            return plan
        }
        if dryRun {
            let plan = try makePlan()
            print("Search: \(run.dataDescription)")
            print("\(cvKind.rawValue)(n_splits=\(cv)\(shuffleFolds ? ", shuffle=True" : "")), scoring \(scorer.rawValue)")
            for (i, c) in candidates.enumerated() { print("candidate \(i): \(JSONText.object(c))") }
            if let h = plan.halving { for line in h.describe(nSplits: cv) { print(line) } }
            print("\(plan.summary) (dry run: nothing written or trained)")
            if executor.isSlurm {
                // Successive halving submits one array per iteration: the first one's is shown.
                if let h = plan.halving {
                    print("(successive halving on Slurm: one array per iteration, each submitted when the previous one has finished; iteration 0's below, the refit job goes with the last)")
                    try executor.printDryRun(directory: out ?? "trainboard-runs/search-\(stamp.compact)", plan: plan,
                                             fits: Array(0..<h.nCandidates[0] * cv))
                } else {
                    try executor.printDryRun(directory: out ?? "trainboard-runs/search-\(stamp.compact)", plan: plan,
                                             fits: Array(0..<plan.fitCount))
                }
            }
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
        let plan = try makePlan()
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
struct SearchRunner: Sendable {
    let directory: SearchDirectory
    let plan: SearchPlan
    let jobs: Int
    /// Steers the executor from the search view (`k` skips, `s` stops); nil headless.
    var control: FitControl? = nil
    /// Where the lines go: stdout and stderr headless, the view's session otherwise.
    /// Each line is flushed at once: into a pipe or a file too, a search stopped by Ctrl-C keeps every line so far.
    var say: @Sendable (String) -> Void = { print($0); fflush(nil) }
    var warn: @Sendable (String) -> Void = { printError($0) }

    /// The fits without a result (the refit not included).
    func pendingFits() throws -> [Int] { try (0..<plan.fitCount).filter { try directory.result(fit: $0) == nil } }

    /// The time estimate of the fits still to run plus the refit, from a short probe (nil, with a warning, when the
    /// probe fails: the fits will say why).
    func estimate() -> (seconds: Double, text: String)? {
        do {
            let probe = try SearchEstimate.probe(plan, fitThreads: LocalExecutor.threadsPerJob(cores: LocalExecutor.cores, jobs: jobs),
                                                 refitThreads: LocalExecutor.cores)
            let fits = try pendingFits() + [plan.fitCount]
            let seconds = probe.seconds(plan: plan, fits: fits, jobs: jobs, cores: LocalExecutor.cores,
                                        epochs: SearchEstimate.epochs(plan))
            return (seconds, probe.describe(seconds, jobs: jobs))
        } catch {
            warn("warning: no time estimate: the probe of candidate 0 failed: \(error)")
            return nil
        }
    }

    /// Records the unfinished fits of `fits` as skipped by the user (a NaN score, reason `skipped`), so that
    /// `--resume` does not run them. A fit with a result keeps it.
    func recordSkipped(_ fits: [Int]) {
        for i in fits where (try? directory.result(fit: i)) == nil {
            guard let (row, k) = try? directory.fit(i, plan: plan) else { continue }
            let test = plan.testFold.filter { $0 == k }.count
            var r = FitResult(index: i, candidate: row.candidate, split: k, params: row.params, testScore: nil,
                              trainScore: nil, fitTime: 0, scoreTime: 0, nTrainSamples: plan.testFold.count - test,
                              nTestSamples: test, epochs: 0, reason: SearchProgress.skippedReason,
                              error: "skipped by the user")
            r.iter = row.iter; r.nResources = row.nResources
            do { try directory.writeResult(r) } catch { warn("warning: cannot record fit \(i) as skipped: \(error)") }
        }
    }

    /// The number of candidates and fits, and how many a resumed search has left.
    func announce() throws {
        let pending = try pendingFits()
        say(plan.summary)
        if pending.count < plan.fitCount {
            say("resuming: \(plan.fitCount - pending.count) of \(plan.fitCount) fits already finished, \(pending.count) to run")
        }
    }

    /// Runs the fits without a result, then (when every fit has one) the refit. With `control`: a candidate the
    /// view skipped has its fits recorded as skipped; after a stop, finished results are kept, no refit runs, and the
    /// search ends normally (`--resume` continues it).
    func run() throws {
        let pending = try pendingFits()
        var executor = LocalExecutor(executable: Self.executablePath(), directory: directory, jobs: jobs,
                                     blasThreads: LocalExecutor.threadsPerJob(cores: LocalExecutor.cores, jobs: jobs),
                                     refitIndex: plan.fitCount)
        executor.listen = control != nil     // the search view: Enter attaches to a running fit
        var finished = plan.fitCount - pending.count
        var lost = 0
        func runFits(_ pending: [Int]) throws {
            try executor.run(pending, control: control) { i, ending in
                finished += 1
                // A fit killed while listening could not remove its socket, its discovery file, nor the file naming them.
                let attach = directory.fitsPath + String(format: "/fit-%05d.attach", i)
                if case .signaled = ending, let bytes = try? SafeFile.read(attach, limit: 4096),
                   let sock = String(bytes: bytes, encoding: .utf8), sock.hasSuffix(".sock") {
                    unlink(sock)
                    unlink(String(sock.dropLast(5)) + ".json")
                }
                unlink(attach)
                let position = try? directory.fit(i, plan: plan)
                let c = position?.row.candidate ?? -1, k = position?.split ?? -1
                let iter = position?.row.iter.map { "iter \($0) " } ?? ""
                let params = position.map { JSONText.object($0.row.params) } ?? ""
                let head = "[\(finished)/\(plan.fitCount)] \(iter)candidate \(c) split \(k)"
                if case .signaled = ending, let control, control.isCancelled(i) {
                    if control.isStopped { lost += 1; return }
                    recordSkipped([i])
                    say("\(head): skipped \(params)")
                    return
                }
                guard case .exited = ending, let r = try? directory.result(fit: i) else {
                    lost += 1
                    let how: String
                    switch ending {
                    case .signaled(let s): how = "was killed by signal \(s)"
                    case .exited(let s): how = "exited with status \(s) without a result"
                    }
                    warn("warning: \(head): the fit process \(how) (see \(directory.outputPath(fit: i))); not recorded, --resume runs it again")
                    return
                }
                // 0 or not, the result file is what counts (a failed fit is recorded with its error).
                report(r, head: head, params: params)
            }
        }
        /// After a stop from the view: finished results are kept and written, no refit.
        func stopped() throws -> Bool {
            guard let control, control.isStopped else { return false }
            let done = try plan.fitCount - pendingFits().count
            _ = try directory.writeDerived(plan)
            say("stopped: \(done) of \(plan.fitCount) fits finished and kept; continue with `trainboard search --resume \(directory.path)`")
            return true
        }
        func stopIfLost() throws {
            guard lost > 0 else { return }
            _ = try directory.writeDerived(plan)
            warn("error: \(lost) fit\(lost == 1 ? "" : "s") did not finish; run `trainboard search --resume \(directory.path)` to complete the search")
            throw ExitCode(1)
        }
        if let h = plan.halving {
            // One iteration at a time: its candidates are decided (and recorded) from the previous one's results.
            for i in 0..<h.nIterations {
                guard let it = try directory.iteration(i, plan: plan) else {
                    throw SearchDirectoryError("\(directory.path): iteration \(i) cannot be decided: iteration \(i - 1) has unfinished fits")
                }
                let start = h.fitOffset(iteration: i, nSplits: plan.nSplits)
                let range = start ..< start + h.nCandidates[i] * plan.nSplits
                let pending = range.filter { !FileManager.default.fileExists(atPath: directory.resultPath(fit: $0)) }
                say("iter \(i): \(it.candidates.count) candidate\(it.candidates.count == 1 ? "" : "s") \(it.candidates) at \(it.nResources) epoch\(it.nResources == 1 ? "" : "s") x \(plan.nSplits) folds\(pending.count < range.count ? ", \(range.count - pending.count) fits already finished" : "")")
                try runFits(pending)
                if try stopped() { return }
                try stopIfLost()
            }
        } else {
            try runFits(pending)
            if try stopped() { return }
            try stopIfLost()
        }
        say("refit of the best candidate on all training data ...")
        var refitEnding: LocalExecutor.Ending = .exited(0)
        // The refit runs alone: it gets every core's BLAS threads.
        let refitExecutor = LocalExecutor(executable: executor.executable, directory: directory, jobs: 1,
                                          blasThreads: LocalExecutor.cores, refitIndex: plan.fitCount)
        try refitExecutor.run([plan.fitCount], control: control) { _, e in refitEnding = e }
        if let control, control.isStopped {
            _ = try directory.writeDerived(plan)
            say("stopped during the refit: every fit is kept; `trainboard search --resume \(directory.path)` runs the refit")
            return
        }
        let refit = try? directory.refit()
        let cv = try directory.writeDerived(plan, refit: refit)
        let rows = try directory.rows(plan)
        printTable(cv, rows: rows)
        guard case .exited(0) = refitEnding, let r = refit else {
            warn("error: the refit did not finish (see \(directory.refitOutputPath))"); throw ExitCode(1)
        }
        if let e = r.error { warn("error: the refit failed: \(e)"); throw ExitCode(1) }
        let test = r.testScore.map { "; test \(plan.scoring.rawValue) \(Self.format($0)) on \(r.nTestSamples) samples" } ?? "; no test split"
        let row = rows.indices.contains(r.bestIndex) ? rows[r.bestIndex] : nil
        let which = plan.halving == nil ? "candidate \(r.bestIndex)" : "row \(r.bestIndex) (candidate \(row?.candidate ?? -1), iter \(row?.iter ?? -1))"
        say("best: \(which) \(JSONText.object(r.params)), mean_test_score \(Self.format(cv.meanTestScore[r.bestIndex]))\(test)")
        say("saved \(directory.modelPath); results in \(directory.path)/cv_results.csv")
    }

    /// The line of one finished fit (skipped, failed with a NaN score and a warning, or its score, epochs and time;
    /// `job` adds the Slurm task).
    func report(_ r: FitResult, head: String, params: String, job: String? = nil) {
        if r.reason == SearchProgress.skippedReason {
            say("\(head): skipped \(params)")
        } else if let e = r.error {
            warn("warning: \(head): fit failed; its score is set to NaN (error_score=nan): \(e)")
            say("\(head): \(plan.scoring.rawValue) NaN (failed) \(params)")
        } else {
            let train = r.trainScore.map { " train \(Self.format($0))" } ?? ""
            say("\(head): \(plan.scoring.rawValue) \(Self.format(r.testScore ?? .nan))\(train) "
                + "(\(r.epochs) epoch\(r.epochs == 1 ? "" : "s"), fit \(String(format: "%.1f", r.fitTime)) s\(job.map { ", \($0)" } ?? "")"
                + "\(r.steering.map { "; steered: " + $0.joined(separator: ", ") } ?? "")) \(params)")
        }
    }

    /// The rows sorted by rank (ties in row order); successive halving adds the iteration and its epochs.
    func printTable(_ cv: CVResults, rows: [SearchRow]) {
        let order = (0..<cv.candidates).sorted { (cv.rankTestScore[$0], $0) < (cv.rankTestScore[$1], $1) }
        let stds = CVResults.stdColumn(cv)
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? fill + s : s + fill
        }
        let halving = plan.halving != nil
        let iterHead = halving ? "  iter  n_resources" : ""
        say("\(pad("rank", 4, left: true))  \(pad("candidate", 9, left: true))\(iterHead)  \(pad("mean_test_score", 15))  \(pad("std_test_score", 14))  params")
        for c in order {
            let iter = halving ? "  \(pad(String(rows[c].iter ?? 0), 4, left: true))  \(pad(String(rows[c].nResources ?? 0), 11, left: true))" : ""
            say("\(pad(String(cv.rankTestScore[c]), 4, left: true))  \(pad(String(rows[c].candidate), 9, left: true))\(iter)  "
                  + "\(pad(Self.format(cv.meanTestScore[c]), 15))  \(pad(Self.format(stds[c]), 14))  \(JSONText.object(rows[c].params))")
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
    /// The std_test_score column as numbers (NaN for an unfinished row).
    static func stdColumn(_ cv: CVResults) -> [Double] {
        (cv.cells["std_test_score"] ?? []).map { if case .number(let v) = $0 { return v } else { return .nan } }
    }
}

/// `trainboard fit-trial DIR INDEX`: runs one fit of a search directory and writes its result (hidden; the unit the
/// local executor and cluster array tasks run).
struct FitTrial: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit-trial",
        abstract: "Run one fit of a search directory (used by `search`; fit number = candidate * folds + split, successive halving: iteration by iteration; the last is the refit).",
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
