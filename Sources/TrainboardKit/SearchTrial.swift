import Foundation
import Synchronization
import SafeIO
import NeuralEngine
import Datasets
import HyperSearch

/// The bridge between a search and the training options: which options can be searched and how a candidate's
/// parameters become a `RunConfiguration`.
///
/// Thread-safety: stateless.
public enum SearchOptions {
    /// The options a search may vary (model, optimizer and training options; not data, outputs or the interface).
    public static let searchableKeys: [String] = [
        "epochs", "batch-size", "hidden", "dropout", "activation", "output-activation", "init", "loss", "optimizer",
        "lr", "momentum", "decay", "nesterov", "schedule", "early-stopping", "reduce-lr-on-plateau", "monitor", "seed",
        "terminate-on-nan",
    ]

    /// Options a search sets itself for every fit, refused on the command line or in the config file: the fits'
    /// logs live in the search directory and the held-out fold is each fit's validation data.
    public static let refusedKeys: [String: String] = [
        "csv-log": "each fit's CSV log is written in the search directory (fits/fit-NNNNN.csv)",
        "log-jsonl": "each fit's CSV log is written in the search directory (fits/fit-NNNNN.csv)",
        "checkpoint": "the refit best model is saved as best_model.keras in the search directory",
        "validation-split": "each fit is validated on its held-out fold",
        "journal": "a search has no dashboard journal",
        "replay-journal": "a search cannot replay a dashboard journal",
    ]

    /// The kind of a searchable option, nil for any other name.
    public static func kind(of key: String) -> ParamKind? {
        guard searchableKeys.contains(key), let f = RunConfiguration.field(key) else { return nil }
        switch f.kind {
        case .wholeNumber: return .wholeNumber
        case .number: return .number
        case .boolean: return .boolean
        case .seed: return .seed
        case .text: return .text
        }
    }

    /// The options set in `config` (keys as the flags), for the plan, read through the option table
    /// (`RunConfiguration.fields`). Throws `ConfigurationError` for a value of a type the plan cannot hold.
    public static func options(_ config: RunConfiguration) throws -> [String: ParamValue] {
        var out: [String: ParamValue] = [:]
        for f in RunConfiguration.fields where f.isSet(config) {
            // The stored property is an Optional boxed in Any; a cast to the wrapped type unwraps it.
            let path: AnyKeyPath = f.keyPath
            let boxed = config[keyPath: path] as Any
            switch boxed {
            case let v as Bool: out[f.key] = .bool(v)
            case let v as Int: out[f.key] = .int(v)
            case let v as UInt64:
                guard let i = Int(exactly: v) else { throw ConfigurationError(key: f.key, "\(v) is too large for a search plan") }
                out[f.key] = .int(i)
            case let v as Double: out[f.key] = .double(v)
            case let v as String: out[f.key] = .string(v)
            default: throw ConfigurationError(key: f.key, "cannot be stored in a search plan")
            }
        }
        return out
    }

    /// `options` with `params` on top, as a configuration; a value is converted to its option's kind (a JSON `1`
    /// for `lr` is 1.0). Throws `ConfigurationError` for an unknown key or a value of the wrong kind.
    public static func configuration(options: [String: ParamValue], params: [String: ParamValue]) throws -> RunConfiguration {
        var c = RunConfiguration()
        for (key, value) in options.merging(params, uniquingKeysWith: { _, p in p }) {
            guard let f = RunConfiguration.field(key) else {
                throw ConfigurationError(key: key, "is not a training option")
            }
            let converted: Any?
            switch (f.kind, value) {
            case (.wholeNumber, .int(let v)): converted = v
            case (.number, .int(let v)): converted = Double(v)
            case (.number, .double(let v)): converted = v
            case (.boolean, .bool(let v)): converted = v
            case (.seed, .int(let v)) where v >= 0: converted = UInt64(v)
            case (.text, .string(let v)): converted = v
            case (.text, let v): converted = v.description
            default: converted = nil
            }
            guard let converted, f.set(converted, in: &c) else {
                throw ConfigurationError(key: key, "expected \(f.kind.expectation), got \(value)")
            }
        }
        return c
    }
}

/// One fit of a search, run from the search directory alone (the unit `trainboard fit-trial DIR INDEX` runs, locally
/// or as a cluster array task): fit number `i < plan.fitCount` trains its row's candidate (grid, randomized: candidate
/// `i / k`; successive halving: see `SearchDirectory.fit(_:plan:)`, with `epochs` = the iteration's `n_resources`)
/// on the training part of its split (validating on the held-out fold) and scores the held-out fold; fit number
/// `plan.fitCount` refits the best row's parameters on all training data, scores the test split and saves
/// `best_model.keras`. After writing its result a fit regenerates `cv_results.*` and `best_params.json`.
///
/// `--normalize` is fitted per fold: each fit standardises with the mean and standard deviation of its fold's
/// training part only (the held-out fold is scaled with them, never used to compute them); the refit with those of
/// all training data.
///
/// A fit that fails (bad option combination, NaN loss, an error while training) is recorded with its error and a NaN
/// score (scikit-learn's `error_score=np.nan`): `run` still writes the result file and returns it.
/// Thread-safety: call from one thread; it trains on the calling thread.
public enum SearchTrial {
    /// Runs fit `index` of the search in `directory` and writes its result file.
    ///
    /// - Parameter log: receives progress and data notes (the fit process prints them to its log).
    /// - Throws: `SearchDirectoryError` for a missing or bad plan, an index out of range, a successive-halving
    ///   iteration that is not decided yet, data that no longer match the plan; `FileError` when the result cannot
    ///   be written.
    public static func run(directory: SearchDirectory, index: Int,
                           log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let plan = try directory.readPlan(kinds: SearchOptions.kind(of:))
        guard index >= 0 && index <= plan.fitCount else {
            throw SearchDirectoryError("fit index \(index) is out of range: the search has fits 0..<\(plan.fitCount) and the refit \(plan.fitCount)")
        }
        if index == plan.fitCount { try refit(directory: directory, plan: plan, log: log); return }
        let (row, k) = try directory.fit(index, plan: plan)
        let params = row.params
        let (trainIndices, testIndices) = Folds.split(plan.testFold, k: k)
        var result = FitResult(index: index, candidate: row.candidate, split: k, params: params, testScore: nil,
                               trainScore: nil, fitTime: 0, scoreTime: 0, nTrainSamples: trainIndices.count,
                               nTestSamples: testIndices.count, epochs: 0, reason: "", error: nil)
        result.iter = row.iter
        result.nResources = row.nResources
        do {
            let normalize = try TrainingPlan(SearchOptions.configuration(options: plan.options, params: params)).normalize
            // Normalisation is fitted below on the fold's training part; the data are loaded unscaled by it (the
            // warning about unscaled features would then be wrong).
            let foldLog: @Sendable (String) -> Void = { line in
                if !(normalize && line.contains("consider --normalize")) { log(line) }
            }
            let run = try prepare(plan: plan, params: params, csvLog: directory.logPath(fit: index),
                                  normalize: false, log: foldLog)
            guard run.train.count == plan.testFold.count else {
                throw SearchDirectoryError("the data have \(run.train.count) training samples but the plan's folds cover \(plan.testFold.count)")
            }
            let (foldTrain, foldTest) = try foldData(run.train, trainIndices: trainIndices, testIndices: testIndices,
                                                     normalize: normalize)
            if normalize {
                log("normalized with the mean and std of the fold's \(foldTrain.count) training samples (split \(k)); the \(foldTest.count) held-out samples are scaled with them")
            }
            let foldRun = run.replacingData(train: foldTrain, validation: foldTest)
            let steering = SteeringRecord()
            let (model, outcome) = try train(foldRun, live: liveFile(directory, index: index),
                                             name: String(format: "fit-%05d", index), steering: steering)
            let changes = steering.changes
            if !changes.isEmpty { result.steering = changes }
            result.fitTime = outcome.seconds
            result.epochs = outcome.epochs.count
            result.updates = model.optimizer?.iterations
            result.reason = outcome.reason
            try check(outcome)
            let started = Date()
            result.testScore = try score(model, foldTest, scoring: plan.scoring)
            if plan.returnTrainScore { result.trainScore = try score(model, foldTrain, scoring: plan.scoring) }
            result.scoreTime = Date().timeIntervalSince(started)
            if let s = result.testScore, !s.isFinite { result.testScore = nil; result.error = "the score is not finite" }
        } catch let e as SearchDirectoryError {
            throw e
        } catch {
            result.testScore = nil
            result.trainScore = nil
            result.error = "\(error)"
        }
        try directory.writeResult(result)
        // The live tables; the result is what counts, so a failure here is only reported.
        do { try directory.writeDerived(plan) } catch { log("warning: cannot regenerate the search's results: \(error)") }
    }

    /// A fold's training and held-out parts of `data` (`trainIndices`, `testIndices` in `data`'s order). With
    /// `normalize`, both are standardised with the mean and population standard deviation of the training part
    /// only (`Normalization`, as `train --normalize` fits on the training split), so nothing of the held-out fold
    /// leaks into the fit. Throws `DataError` only for inconsistent data.
    public static func foldData(_ data: Dataset, trainIndices: [Int], testIndices: [Int],
                                normalize: Bool) throws -> (train: Dataset, test: Dataset) {
        var train = data.subset(trainIndices), test = data.subset(testIndices)
        if normalize {
            let n = Normalization(fittingFirst: train.count, of: train)
            train = try n.apply(train)
            test = try n.apply(test)
        }
        return (train, test)
    }

    /// Fits the best row's parameters (successive halving: of the last iteration, with its epochs) on all training
    /// data, scores the test split and saves `best_model.keras`; writes `refit.json` and the derived files.
    static func refit(directory: SearchDirectory, plan: SearchPlan, log: @escaping @Sendable (String) -> Void) throws {
        let (cv, rows) = try directory.cvResults(plan)
        let finished = (0..<plan.fitCount).filter { FileManager.default.fileExists(atPath: directory.resultPath(fit: $0)) }.count
        guard finished == plan.fitCount, cv.isComplete else {
            throw SearchDirectoryError("the refit needs every fit's result; \(plan.fitCount - finished) of \(plan.fitCount) have not finished")
        }
        let best = cv.bestIndex ?? 0
        var r = RefitResult(bestIndex: best, params: rows[best].params, testScore: nil, refitTime: 0,
                            nTestSamples: 0, model: nil, error: nil)
        do {
            let run = try prepare(plan: plan, params: r.params, csvLog: directory.refitLogPath, log: log)
            let test = run.validation
            let all = run.replacingData(train: run.train, validation: nil)
            let (model, outcome) = try train(all)
            r.refitTime = outcome.seconds
            try check(outcome)
            if let test {
                r.nTestSamples = test.count
                r.testScore = try score(model, test, scoring: plan.scoring)
            }
            try model.save(to: directory.modelPath, metadata: ModelMetadata(
                epoch: outcome.epochs.last, reason: "refit of the best search candidate \(rows[best].candidate)"))
            r.model = SafeFile.baseName(of: directory.modelPath)
        } catch {
            r.error = "\(error)"
        }
        try directory.writeRefit(r)
        try directory.writeDerived(plan, refit: r)
    }

    /// The run of one fit: the plan's options with `params`, its CSV log at `csvLog`, the data loaded as `train` loads
    /// them. Throws `ConfigurationError` or `DataError` for options or data that do not work.
    /// `normalize: false` loads the data without `--normalize` (a fold fit normalises its own parts).
    static func prepare(plan: SearchPlan, params: [String: ParamValue], csvLog: String, normalize: Bool? = nil,
                        log: @escaping @Sendable (String) -> Void) throws -> TrainingRun {
        var config = try SearchOptions.configuration(options: plan.options, params: params)
        if let normalize { config.normalize = normalize }
        config.csvLog = csvLog
        config.headless = true
        let lossExplicit = config.loss != nil
        return try TrainingRun.prepare(try TrainingPlan(config), lossExplicit: lossExplicit, log: log)
    }

    /// Trains `run` and returns the trained model: on the calling thread, or, when `live` names a file (a search
    /// shown in the search view), on a trainer thread that listens for the attach protocol on a private Unix socket
    /// whose path is written to `live` (removed at the end), so that the view's Enter opens this fit's dashboard
    /// with its keys. A fit that cannot listen trains as without `live`.
    /// `steering` records what commands from the fit's dashboard changed (a learning rate, an early stop).
    static func train(_ run: TrainingRun, live: String? = nil, name: String = "fit",
                      steering: SteeringRecord? = nil) throws -> (Sequential, RunOutcome) {
        let capture = ModelCapture()
        guard let live else {
            let outcome = try run.execute(extraCallbacks: [capture])
            guard let model = capture.captured else { throw SearchTrialError("training ended before the model was built") }
            return (model, outcome)
        }
        let bridge = AttachBridge()
        let trainer = InProcessTrainer(run: run, extraCallbacks: [capture], beforeChannelCallback: [bridge.publisher],
                                       commandObserver: steering?.observing(bridge.commandObserver) ?? bridge.commandObserver)
        do { try bridge.listen(.unix(nil), channel: trainer.channel, name: name) } catch {
            return try train(run, live: nil)
        }
        if let path = bridge.server?.socketPath { try? SafeFile.write(Array(path.utf8), to: live) }
        defer { unlink(live) }
        trainer.start()
        while !trainer.isDone { Thread.sleep(forTimeInterval: 0.02) }
        bridge.finish(reason: trainer.outcome?.reason ?? "failed: \(trainer.error ?? "unknown error")")
        if let e = trainer.error { throw SearchTrialError(e) }
        guard let outcome = trainer.outcome, let model = capture.captured else {
            throw SearchTrialError("training ended before the model was built")
        }
        return (model, outcome)
    }

    /// The file naming fit `index`'s socket while it trains (`fits/fit-NNNNN.attach`), when the search asked its fits
    /// to listen (`LocalExecutor.listenKey`); nil otherwise.
    static func liveFile(_ directory: SearchDirectory, index: Int) -> String? {
        guard ProcessInfo.processInfo.environment[LocalExecutor.listenKey] == "1" else { return nil }
        return directory.fitsPath + String(format: "/fit-%05d.attach", index)
    }

    /// Throws when training stopped on an error or a NaN loss (the fit then counts as failed).
    static func check(_ outcome: RunOutcome) throws {
        if !outcome.errors.isEmpty { throw SearchTrialError(outcome.errors.joined(separator: "; ")) }
        if outcome.reason.hasPrefix("terminated on a NaN") { throw SearchTrialError(outcome.reason) }
        if let l = outcome.history["loss"]?.last, !l.isFinite { throw SearchTrialError("the training loss is \(l)") }
    }

    /// `scoring` of `model` on `data`, computed batch by batch from the model's outputs.
    /// Throws `ModelError` when the data do not fit the model, `SearchTrialError` for a class scorer on real targets.
    public static func score(_ model: Sequential, _ data: Dataset, scoring: Scoring) throws -> Double {
        var acc = ScoreAccumulator(scoring)
        if scoring.needsClasses, data.classCount == nil {
            throw SearchTrialError("\(scoring.rawValue) needs class labels; the data have real-valued targets")
        }
        let batch = 1024
        var start = 0
        while start < data.count {
            let rows = min(batch, data.count - start)
            let indices = Array(start ..< start + rows)
            var x = Matrix(rows: rows, cols: data.featureCount)
            // Class targets are scored from their labels; the gathered one-hot rows are not used.
            let width = data.targetWidth(outputUnits: 0)
            var y = [Float](repeating: 0, count: rows * width)
            indices.withUnsafeBufferPointer { ip in
                x.storage.withUnsafeMutableBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        data.gather(ip, x: xp.baseAddress!, y: yp.baseAddress!, targetWidth: width)
                    }
                }
            }
            let out = try model.predict(x, batchSize: rows)
            let labels = scoring.needsClasses ? indices.map { data.label($0) ?? -1 } : nil
            out.storage.withUnsafeBufferPointer { op in
                y.withUnsafeBufferPointer { yp in
                    acc.add(outputs: op, rows: rows, width: out.cols, labels: labels, targets: yp)
                }
            }
            start += rows
        }
        return acc.value
    }
}

/// A fit that failed for a reason other than its options or data (recorded in its result file).
public struct SearchTrialError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Keeps the model `fit` trained (callbacks hold it weakly), taken at the end of training.
final class ModelCapture: Callback {
    var captured: Sequential?
    override func setModel(_ model: Sequential) { super.setModel(model); captured = model }
}

extension TrainingRun {
    /// This run with other training and validation data (a fold), everything else unchanged.
    func replacingData(train: Dataset, validation: Dataset?) -> TrainingRun {
        var r = TrainingRun(plan: plan, train: train, validation: validation, dataDescription: dataDescription,
                            replay: replay)
        r.startModel = startModel
        return r
    }
}

/// The commands that changed a fit while it trained, recorded as they took effect: a learning rate set or scaled, or
/// a stop ("update 1776: learning rate 0.022 -> 0.0123"). Pauses, resumes, checkpoints and refused commands change
/// no value and are not recorded.
///
/// Thread-safety: `observing`'s closures may run on any thread (the trainer's); `changes` may be read from any.
final class SteeringRecord: Sendable {
    private let entries = Mutex<[String]>([])

    /// What was recorded, in order.
    var changes: [String] { entries.withLock { $0 } }

    /// `observer`, also recording each command that changes training once it has taken effect.
    func observing(_ observer: @escaping CommandObserver) -> CommandObserver {
        { [self] command in
            let ack = observer(command)
            let changesTraining: Bool
            switch command {
            case .setLearningRate, .scaleLearningRate, .stop: changesTraining = true
            case .pause, .resume, .togglePause, .checkpoint: changesTraining = false
            }
            return { [self] outcome in
                ack(outcome)
                if changesTraining && outcome.ok {
                    let what = command == .stop ? "stopped early" : outcome.message
                    entries.withLock { $0.append("update \(outcome.update): \(what)") }
                }
            }
        }
    }
}

