import Foundation
import SafeIO
import NeuralEngine
import Datasets
import Dashboard

/// How a run ended.
public struct RunOutcome: Sendable {
    /// One line: "completed 60 epochs", "early stopping after epoch 12 (best epoch 9, weights restored)", ...
    public var reason: String
    /// Per-epoch logs (Keras `History.history`).
    public var history: [String: [Double]]
    /// Epochs run (0-based indices).
    public var epochs: [Int]
    /// Messages the callbacks reported (warnings, checkpoints written, plateau cuts), typed.
    public var messages: [CallbackMessage]
    /// Errors that stopped training (a log or checkpoint that could not be written), then checkpoints the dashboard
    /// could not write (training went on); empty when training ended normally. The CLI exits with status 1 when there
    /// are any.
    public var errors: [String]
    /// Wall-clock seconds spent in `fit`.
    public var seconds: Double
    /// Samples trained on (all epochs).
    public var samplesTrained: Int
}

/// One training run: the validated plan plus the loaded data, both `Sendable`, so it can be prepared on the main
/// thread (where errors become exit status 2 before any UI starts) and executed on the trainer thread, which creates
/// the model, optimizer and callbacks and keeps them (DESIGN.md, "Threads").
///
/// Thread-safety: a value; `execute` must run on one thread at a time (it creates thread-confined objects).
public struct TrainingRun: Sendable {
    public let plan: TrainingPlan
    public let train: Dataset
    public let validation: Dataset?
    /// Human-readable description of the data ("Fashion-MNIST (...): 60000 train, 10000 test, 784 features").
    public let dataDescription: String
    /// Learning-rate changes to replay (`--replay-journal`).
    public let replay: [JournalEntry]
    /// The saved model `--from` names, read and checked against the data before training.
    public var startModel: ModelFile? = nil
    /// The checkpoint `--resume` names, read and checked against the plan and the data before training.
    public var resumePoint: ResumePoint? = nil

    /// A checkpoint to continue from: its file (weights, optimizer slots) and training state.
    public struct ResumePoint: Sendable {
        public var path: String
        public var file: ModelFile
        public var state: TrainingState
    }

    /// Loads the data and checks every option that can be checked before training (schedule, callback specs, journal).
    /// Throws `ConfigurationError`, `DataError` or `JournalError`, each naming what was wrong.
    ///
    /// Real-valued targets (a CSV whose label column is not class indices) need a regression loss: with the default
    /// loss the plan switches to `mean_squared_error` (and a linear output) and says so through `log`; when the user
    /// chose a cross-entropy loss (`lossExplicit`) the CSV's labels must be class indices (`DataError.csvLabel`
    /// names the file, line and value otherwise).
    ///
    /// Features, in this order: `--max-samples` keeps the first N; `--rescale F` makes them raw * F (else images keep
    /// their default 1/255, which for an image-like CSV the data line reports); `--normalize` standardises them with
    /// the statistics of the training split (the samples before the `--validation-split` tail); with neither option,
    /// features beyond 100 in magnitude get a warning through `log` that names `--normalize`.
    public static func prepare(_ requested: TrainingPlan, lossExplicit: Bool = false,
                               log: (@Sendable (String) -> Void)? = nil) throws -> TrainingRun {
        // The process-wide limit every loader and the model estimate check (see `MemoryLimit`).
        if let limit = requested.memoryLimit { MemoryLimit.override(limit) }
        for n in try checkOptions(requested) { log?(n) }
        let replay = try requested.replayJournal.map { try ControlJournal.read($0) } ?? []
        var options = LoadOptions()
        options.log = log
        if let l = requested.labelColumn { options.csv.label = l }
        options.csv.dropMissing = requested.dropMissing
        options.maxSamples = requested.maxSamples   // IDX data: only these samples are inflated
        if lossExplicit && requested.loss != .meanSquaredError { options.csv.target = .classes }
        let source = try DataSource.resolve(requested.dataSpec, environment: options.environment)
        if case .csv = source {} else {
            if requested.labelColumn != nil {
                throw ConfigurationError(key: "label-column", "applies to CSV files only; \(requested.dataSpec) is not one")
            }
            if requested.dropMissing {
                throw ConfigurationError(key: "drop-missing", "applies to CSV files only; \(requested.dataSpec) is not one")
            }
        }
        let loaded = try DataLoader.load(source, options: options)
        if let csv = loaded.csv, !csv.hasHeader, requested.labelColumn == nil {
            log?("note: \(loaded.name) has no header row, so column \(csv.labelColumn) (the last) is the label; give --label-column 0 if the label comes first (as in MNIST-in-CSV files)")
        }
        var (train, test) = limit(loaded, to: requested.maxSamples)
        let trainCount = try fittedCount(train.count, split: requested.validationSplit)
        let features = try scale(&train, &test, plan: requested, imageLikeCSV: loaded.csv?.imageLike ?? false,
                                 fittedOn: trainCount, log: log)
        let plan = try adapt(requested, to: train, lossExplicit: lossExplicit, log: log)
        try checkShapes(train: train, test: test, spec: plan.dataSpec)
        let validation: Dataset? = plan.validationSplit > 0 ? nil : test
        let description = describe(loaded, train: train, test: test, heldOut: train.count - trainCount,
                                   notes: features)
        try checkLogKeys(plan, hasValidation: plan.validationSplit > 0 || validation != nil)
        var run = TrainingRun(plan: plan, train: train, validation: validation, dataDescription: description,
                              replay: replay)
        if let path = plan.from { run.startModel = try startModel(path, run: run) }
        if let path = plan.resume { run.resumePoint = try resumePoint(path, run: run, fittedCount: trainCount) }
        // Refuse a model or batch that cannot fit before the trainer thread allocates it.
        try MemoryEstimate(plan: plan, inputUnits: train.featureCount, outputUnits: run.outputUnits).check()
        return run
    }

    /// Reads the `--from` model and checks that it fits the data (input features and output width).
    /// Throws `ConfigurationError` for `from` naming the file and what does not fit.
    static func startModel(_ path: String, run: TrainingRun) throws -> ModelFile {
        let file: ModelFile
        do { file = try ModelFile.read(path) } catch { throw ConfigurationError(key: "from", "\(error)") }
        if let n = file.inputUnits, n != run.train.featureCount {
            throw ConfigurationError(key: "from", "\(path): the model takes \(n) features per sample, \(run.plan.dataSpec) has \(run.train.featureCount)")
        }
        if let k = file.outputUnits, k != run.outputUnits {
            throw ConfigurationError(key: "from", "\(path): the model has \(k) outputs, \(run.plan.dataSpec) needs \(run.outputUnits)")
        }
        return file
    }

    /// Reads the `--resume` checkpoint and checks it against the plan (`ResumePlan.check`) and the data (features,
    /// outputs, training samples). Throws `ConfigurationError` naming the option that does not fit.
    static func resumePoint(_ path: String, run: TrainingRun, fittedCount: Int) throws -> ResumePoint {
        if run.plan.from != nil {
            throw ConfigurationError(key: "resume", "--from starts a new run from a model with a fresh optimizer; --resume continues a stopped run: give one of them")
        }
        let (file, state) = try ResumePlan.readState(path)
        try ResumePlan.check(run.plan, state: state, path: path)
        if let n = file.inputUnits, n != run.train.featureCount {
            throw ConfigurationError(key: "resume", "\(path): the model takes \(n) features per sample, \(run.plan.dataSpec) has \(run.train.featureCount)")
        }
        if let k = file.outputUnits, k != run.outputUnits {
            throw ConfigurationError(key: "resume", "\(path): the model has \(k) outputs, \(run.plan.dataSpec) needs \(run.outputUnits)")
        }
        guard state.order.values.count == fittedCount else {
            throw ConfigurationError(key: "data", "\(path) was trained on \(state.order.values.count) training samples, \(run.plan.dataSpec) gives \(fittedCount): a resumed run needs the same data")
        }
        return ResumePoint(path: path, file: file, state: state)
    }

    /// Samples left for training after the `--validation-split` tail (Keras: the first `Int(n * (1 - split))`), as
    /// `Sequential.fit` takes them. Throws `ConfigurationError` for `validation-split` when either part is empty.
    static func fittedCount(_ n: Int, split: Double) throws -> Int {
        guard split > 0 else { return n }
        let cut = Int(Double(n) * (1 - split))
        guard cut > 0 && cut < n else {
            throw ConfigurationError(key: "validation-split", "\(split) of \(n) samples leaves \(cut == 0 ? "no training" : "no validation") samples")
        }
        return cut
    }

    /// Applies `--rescale` and `--normalize` to both splits (normalisation fitted on the first `fittedOn` training
    /// samples) and returns the notes for the data line; warns through `log` about large unscaled features.
    static func scale(_ train: inout Dataset, _ test: inout Dataset?, plan: TrainingPlan, imageLikeCSV: Bool,
                      fittedOn count: Int, log: (@Sendable (String) -> Void)?) throws -> [String] {
        var notes: [String] = []
        if let f = plan.rescale {
            let factor = Float(f)
            train = try Rescaling.apply(train, factor: factor)
            test = try test.map { try Rescaling.apply($0, factor: factor) }
            notes.append("features x \(formatFactor(f)) (--rescale)")
        } else if imageLikeCSV && !plan.normalize {
            notes.append("pixels 0-255 scaled by 1/255 (--rescale 1 keeps them raw)")
        }
        if plan.normalize {
            let n = Normalization(fittingFirst: count, of: train)
            train = try n.apply(train)
            test = try test.map { try n.apply($0) }
            var note = "normalized with the mean and std of \(count == train.count ? "the \(count) training samples" : "the first \(count) (training) samples")"
            if n.constantFeatures > 0 { note += " (\(n.constantFeatures) constant feature\(n.constantFeatures == 1 ? "" : "s") only centred)" }
            notes.append(note)
        }
        if plan.rescale == nil && !plan.normalize {
            let largest = max(train.largestFeatureMagnitude, test?.largestFeatureMagnitude ?? 0)
            if largest > 100 {
                log?("warning: \(plan.dataSpec) has features up to \(formatFactor(Double(largest))) in magnitude, used unscaled; large inputs make training diverge or stall: consider --normalize (or --rescale FACTOR)")
                notes.append("unscaled features up to \(formatFactor(Double(largest))) (see --normalize)")
            }
        }
        return notes
    }

    /// A factor or magnitude for messages: "0.5", "255", "4.1e+04".
    static func formatFactor(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%g", v)
    }

    /// The data line: "NAME (LOCATION): N train (last V held out for validation), T test, F features, K classes;
    /// notes". Says how many of each split `--max-samples` kept, which CSV column is the label, how many CSV rows
    /// were dropped, and how the features were scaled.
    static func describe(_ loaded: LoadedData, train: Dataset, test: Dataset?, heldOut: Int, notes: [String]) -> String {
        var s = "\(loaded.name) (\(loaded.location)): "
        s += train.count < loaded.trainCount ? "\(train.count) of \(loaded.trainCount) train" : "\(train.count) train"
        if heldOut > 0 {
            s += " (last \(heldOut) held out for validation)"
        }
        if let test, let all = loaded.testCount {
            s += test.count < all ? ", \(test.count) of \(all) test" : ", \(test.count) test"
            if heldOut > 0 { s += " (not used)" }
        }
        s += ", \(train.featureCount) features"
        if let k = train.classCount { s += ", \(k) classes" } else { s += ", regression" }
        var all: [String] = []
        if let csv = loaded.csv {
            all.append(csv.labelDescription)
            if csv.droppedRows > 0 {
                all.append("\(csv.droppedRows) row\(csv.droppedRows == 1 ? "" : "s") with missing values dropped")
            }
        }
        all += notes
        if !all.isEmpty { s += "; " + all.joined(separator: "; ") }
        return s
    }

    /// Checks the schedule, the callback specs and the output paths. Returns notes on directories the outputs
    /// will create (`note: --csv-log: creating directory runs/new`), so that none is created silently.
    @discardableResult
    static func checkOptions(_ plan: TrainingPlan) throws -> [String] {
        var notes: [String] = []
        func note(_ key: String, _ dir: String?) {
            if let dir { notes.append("note: --\(key): \(dir) does not exist; it will be created") }
        }
        _ = try plan.makeSchedule()
        _ = try plan.makeEarlyStopping()
        _ = try plan.makeReduceLROnPlateau()
        if let c = plan.checkpoint {
            do { _ = try FilepathTemplate(c) } catch { throw ConfigurationError(key: "checkpoint", "\(error)") }
            if ModelFormat(path: c) == .json {
                throw ConfigurationError(key: "checkpoint", "a .json file holds the architecture only, no weights; use .keras (the default), .h5, .weights.h5 or .tbmodel")
            }
            // A templated path ({epoch:02d}) is checked from its first fixed directory up.
            let fixed = c.contains("{") ? String(c.prefix(while: { $0 != "{" })) + "x" : c
            note("checkpoint", try OutputPath.check(fixed, key: "checkpoint"))
            // Temporaries a killed run left next to its checkpoints (`.NAME.tbtmp-PID-N`, PID no longer running).
            SafeFile.removeStaleTemporaries(near: fixed)
        }
        if let p = plan.csvLog { note("csv-log", try OutputPath.check(p, key: "csv-log")) }
        if let p = plan.logJSONL { note("log-jsonl", try OutputPath.check(p, key: "log-jsonl")) }
        return notes
    }

    /// The training and test splits must have the same features (and output width for real-valued targets); the
    /// model is built for the training split. Throws `DataError.unknownSource` naming the data and both shapes.
    static func checkShapes(train: Dataset, test: Dataset?, spec: String) throws {
        guard let test else { return }
        if test.featureCount != train.featureCount {
            let shape = { (d: Dataset) -> String in d.imageShape.map { "\($0.rows)x\($0.cols) images" } ?? "\(d.featureCount) features" }
            throw DataError.unknownSource(spec: spec, reason: "the training split has \(shape(train)) but the test split has "
                                          + "\(shape(test)); both must have the same features")
        }
        if case .values(_, let a) = train.targets, case .values(_, let b) = test.targets, a != b {
            throw DataError.unknownSource(spec: spec, reason: "the training split has \(a) target columns but the test split has \(b)")
        }
    }

    /// The first `maxSamples` of each split (all when nil).
    static func limit(_ loaded: LoadedData, to maxSamples: Int?) -> (Dataset, Dataset?) {
        guard let n = maxSamples else { return (loaded.train, loaded.test) }
        return (loaded.train.prefix(n), loaded.test?.prefix(n))
    }

    /// The plan adjusted to the data: real-valued targets need mean squared error (see `prepare`).
    static func adapt(_ plan: TrainingPlan, to train: Dataset, lossExplicit: Bool,
                      log: (@Sendable (String) -> Void)?) throws -> TrainingPlan {
        var adapted = plan
        if train.classCount == nil, plan.loss != .meanSquaredError {
            if lossExplicit {
                throw ConfigurationError(key: "loss", "\(plan.loss.rawValue) needs class labels, but \(plan.dataSpec) has real-valued targets; use --loss mean_squared_error")
            }
            log?("note: \(plan.dataSpec) has real-valued targets: using loss mean_squared_error with a linear output")
            adapted.loss = .meanSquaredError
        }
        if adapted.loss == .binaryCrossentropy, let k = train.classCount, k > 2 {
            log?("note: binary_crossentropy on \(k) classes trains \(k) independent sigmoid outputs")
        }
        return adapted
    }

    /// Output units the model needs for the data.
    public var outputUnits: Int {
        switch train.targets {
        case .classes(_, let k): return (plan.loss == .binaryCrossentropy && k == 2) ? 1 : k
        case .values(_, let w): return w
        }
    }

    /// Batches per epoch after any validation split (the same cut as `Sequential.fit`).
    public var stepsPerEpoch: Int {
        let n = plan.validationSplit > 0 ? Int(Double(train.count) * (1 - plan.validationSplit)) : train.count
        let bs = min(plan.batchSize, max(1, n))
        return (n + bs - 1) / bs
    }

    /// One image per class (the first of each in the training set), for the digit preview; empty for non-image data.
    public func previewImages() -> [PreviewImage] {
        guard let shape = train.imageShape, case .bytes(let bytes, _) = train.features,
              case .classes(let labels, let k) = train.targets else { return [] }
        var out: [PreviewImage] = []
        var seen = Set<Int>()
        let f = train.featureCount
        for (i, l) in labels.enumerated() where !seen.contains(Int(l)) {
            seen.insert(Int(l))
            let name = train.classNames?[safe: Int(l)] ?? "\(l)"
            out.append(PreviewImage(label: Int(l), name: name, rows: shape.rows, cols: shape.cols,
                                    pixels: Array(bytes[i * f ..< (i + 1) * f])))
            if seen.count == k { break }
        }
        return out.sorted { $0.label < $1.label }
    }

    /// Builds the model and callbacks on the calling thread and trains.
    ///
    /// - Parameters:
    ///   - extraCallbacks: added after the built-in ones (the headless reporter or the dashboard's `ChannelCallback`).
    ///   - onMessage: receives callback messages as they happen (training thread), typed: see
    ///     `CallbackMessage.Kind` and `TrainingEvent(_:currentEpoch:update:time:)` for the dashboard's events.
    ///   - makeChannelCallback: when given, builds the dashboard's callback from the model's EarlyStopping and
    ///     ModelCheckpoint (so it can show their state) and the schedule planner.
    /// - Throws: `ModelError` if the data does not fit the model (checked before the first batch).
    public func execute(extraCallbacks: [Callback] = [], onMessage: ((CallbackMessage) -> Void)? = nil,
                        makeChannelCallback: ((RunCallbacks) -> Callback)? = nil) throws -> RunOutcome {
        let model: Sequential
        var resume: TrainingState?
        if let r = resumePoint {
            let built = try r.file.makeResumableModel(optimizer: plan.makeOptimizer(), loss: plan.loss)
            model = built.model
            var state = built.state
            for key in ResumePlan.callbacksToReset(plan, state: state) { state.callbacks[key] = nil }
            resume = state
        } else if let start = startModel {
            model = try start.makeModel(seed: plan.seed)
            model.compile(optimizer: plan.makeOptimizer(), loss: plan.loss)
        } else {
            model = plan.makeModel(outputs: outputUnits)
        }
        model.statePlan = ResumePlan.options(of: plan)
        let lr0 = plan.learningRate
        let cbs = try RunCallbacks(plan: plan, replay: replay, onMessage: onMessage, lr0: lr0)
        var list = cbs.all
        if let make = makeChannelCallback { list.append(make(cbs)) }
        list.append(contentsOf: extraCallbacks)
        let started = Date()
        let history = try model.fit(train, batchSize: plan.batchSize, epochs: plan.epochs, validationData: validation,
                                    validationSplit: plan.validationSplit, shuffle: true, callbacks: list,
                                    resume: resume)
        // A resumed run's history starts with the checkpoint's epochs.
        let records = (resume?.history ?? []) + history.records
        let seconds = Date().timeIntervalSince(started)
        var messages: [CallbackMessage] = []
        var errors: [String] = []
        for c in cbs.all {
            if let r = c as? ReportingCallback { messages += r.messages; errors += r.errors }
        }
        // Checkpoints the dashboard wrote in the background that failed: training went on, but the run failed.
        let writeErrors = list.compactMap { $0 as? ChannelCallback }.flatMap(\.errors)
        var reason = cbs.stopReason(epochsRun: records.count, planned: plan.epochs, stopRequested: model.stopTraining,
                                    errors: errors)
        if !writeErrors.isEmpty {
            reason += " (\(writeErrors.count) checkpoint\(writeErrors.count == 1 ? "" : "s") not written)"
            errors += writeErrors
        }
        let steps = history.epochs.count * stepsPerEpoch
        return RunOutcome(reason: reason, history: History.dictionary(records), epochs: records.map(\.epoch), messages: messages,
                          errors: errors, seconds: seconds, samplesTrained: min(steps * plan.batchSize, history.epochs.count * train.count))
    }
}

/// The built-in callbacks of a run, in the order `fit` calls them: schedule, journal replay, ReduceLROnPlateau,
/// EarlyStopping, ModelCheckpoint, CSVLogger, JSON lines, TerminateOnNaN.
///
/// Thread-safety: training thread only.
public final class RunCallbacks {
    public let scheduler: LearningRateScheduler?
    public let schedule: Schedule?
    public let replay: JournalReplay?
    public let plateau: ReduceLROnPlateau?
    public let earlyStopping: EarlyStopping?
    public let checkpoint: ModelCheckpoint?
    public let csv: CSVLogger?
    public let jsonl: JSONLinesLogger?
    public let nan: TerminateOnNaN?
    public let decay: Double
    public let lr0: Double

    init(plan: TrainingPlan, replay entries: [JournalEntry], onMessage: ((CallbackMessage) -> Void)?, lr0: Double) throws {
        self.lr0 = lr0
        decay = plan.decay
        schedule = try plan.makeSchedule()
        if let s = schedule {
            let initial = lr0
            scheduler = LearningRateScheduler { epoch, _ in s.learningRate(epoch: epoch, initial: initial) }
        } else { scheduler = nil }
        replay = entries.isEmpty ? nil : JournalReplay(entries: entries)
        plateau = try plan.makeReduceLROnPlateau()
        earlyStopping = try plan.makeEarlyStopping()
        if let path = plan.checkpoint {
            checkpoint = try ModelCheckpoint(filepath: path, monitor: plan.monitor, saveBestOnly: plan.saveBestOnly)
        } else { checkpoint = nil }
        if let p = plan.csvLog {
            // Keras's CSVLogger does not create directories; the JSON-lines log and checkpoints do, so do it here too.
            try? FileManager.default.createDirectory(at: URL(fileURLWithPath: p).deletingLastPathComponent(),
                                                     withIntermediateDirectories: true)
            csv = CSVLogger(path: p)
        } else { csv = nil }
        // A resumed run appends to its log.
        jsonl = try plan.logJSONL.map { try JSONLinesLogger(path: $0, append: plan.resume != nil) }
        nan = plan.terminateOnNaN ? TerminateOnNaN() : nil
        for case let r as ReportingCallback in all {
            r.onMessage = { m in onMessage?(m) }
        }
    }

    /// All built-in callbacks in call order.
    public var all: [Callback] {
        [scheduler, replay, plateau, earlyStopping, checkpoint, csv, jsonl, nan].compactMap { $0 }
    }

    /// The planned base learning rate for epochs `from ..< epochs`, following the schedule (if any) from the optimizer's
    /// current rate, and the legacy decay at the start of each epoch given `stepsPerEpoch`: one value per
    /// `PlannedRates.stride(from:to:)` epochs (every epoch for runs up to 1,024 epochs), so a run of 10^12 epochs plans
    /// 1,024 points, not 10^12.
    public func plannedRates(from epoch: Int, epochs: Int, stepsPerEpoch: Int, optimizer: Optimizer) -> [Double] {
        guard epoch < epochs else { return [] }
        let stride = PlannedRates.stride(from: epoch, to: epochs)
        return Swift.stride(from: epoch, to: epochs, by: stride).map { e in
            let base = schedule?.learningRate(epoch: e, initial: lr0) ?? optimizer.learningRate
            return base / (1 + decay * Double(e) * Double(stepsPerEpoch))
        }
    }

    func stopReason(epochsRun: Int, planned: Int, stopRequested: Bool, errors: [String] = []) -> String {
        if let e = errors.first {
            return "stopped by an error after \(epochsRun) epoch\(epochsRun == 1 ? "" : "s"): \(e)"
        }
        if let b = nan?.terminatedAtBatch {
            return "terminated on a NaN/inf loss at epoch \((nan?.terminatedAtEpoch ?? 0) + 1), batch \(b)"
        }
        if let es = earlyStopping, let stopped = es.stoppedEpoch {
            var s = "early stopping after epoch \(stopped + 1)"
            if let b = es.bestEpoch { s += " (best epoch \(b + 1)" + (es.restoredBestWeights ? ", weights restored)" : ")") }
            return s
        }
        if stopRequested { return "stopped by the user after \(epochsRun) epoch\(epochsRun == 1 ? "" : "s")" }
        return "completed \(epochsRun) epoch\(epochsRun == 1 ? "" : "s")"
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
