import Foundation
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
    /// Messages the callbacks reported (warnings, checkpoints written, plateau cuts).
    public var messages: [String]
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

    /// Loads the data and checks every option that can be checked before training (schedule, callback specs, journal).
    /// Throws `ConfigurationError`, `DataError` or `JournalError`, each naming what was wrong.
    ///
    /// Real-valued targets (a CSV whose label column is not class indices) need a regression loss: with the default
    /// loss the plan switches to `mean_squared_error` (and a linear output) and says so through `log`; when the user
    /// chose a cross-entropy loss (`lossExplicit`) it is a `ConfigurationError` for `loss`.
    public static func prepare(_ requested: TrainingPlan, lossExplicit: Bool = false,
                               log: (@Sendable (String) -> Void)? = nil) throws -> TrainingRun {
        try checkOptions(requested)
        let replay = try requested.replayJournal.map { try ControlJournal.read($0) } ?? []
        var options = LoadOptions()
        options.log = log
        let loaded = try DataLoader.load(requested.dataSpec, options: options)
        let (train, test, description) = limit(loaded, to: requested.maxSamples)
        let plan = try adapt(requested, to: train, lossExplicit: lossExplicit, log: log)
        let validation: Dataset? = plan.validationSplit > 0 ? nil : test
        return TrainingRun(plan: plan, train: train, validation: validation, dataDescription: description,
                           replay: replay)
    }

    /// Checks the schedule, the callback specs and the output paths.
    static func checkOptions(_ plan: TrainingPlan) throws {
        _ = try plan.makeSchedule()
        _ = try plan.makeEarlyStopping()
        _ = try plan.makeReduceLROnPlateau()
        if let c = plan.checkpoint {
            do { _ = try FilepathTemplate(c) } catch { throw ConfigurationError(key: "checkpoint", "\(error)") }
            // A templated path ({epoch:02d}) is checked from its first fixed directory up.
            try OutputPath.check(c.contains("{") ? String(c.prefix(while: { $0 != "{" })) + "x" : c, key: "checkpoint")
        }
        if let p = plan.csvLog { try OutputPath.check(p, key: "csv-log") }
        if let p = plan.logJSONL { try OutputPath.check(p, key: "log-jsonl") }
    }

    /// The first `maxSamples` of each split (all when nil) and a description that says how many were kept.
    static func limit(_ loaded: LoadedData, to maxSamples: Int?) -> (Dataset, Dataset?, String) {
        guard let n = maxSamples, n < loaded.train.count || n < (loaded.test?.count ?? 0) else {
            return (loaded.train, loaded.test, loaded.summary)
        }
        let train = loaded.train.prefix(n)
        let test = loaded.test?.prefix(n)
        var description = "\(loaded.name) (\(loaded.location)): \(train.count) of \(loaded.train.count) train"
        if let test, let all = loaded.test { description += ", \(test.count) of \(all.count) test" }
        description += ", \(train.featureCount) features"
        if let k = train.classCount { description += ", \(k) classes" } else { description += ", regression" }
        return (train, test, description)
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

    /// Batches per epoch after any validation split.
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
    ///   - onMessage: receives callback messages as they happen (training thread).
    ///   - makeChannelCallback: when given, builds the dashboard's callback from the model's EarlyStopping and
    ///     ModelCheckpoint (so it can show their state) and the schedule planner.
    /// - Throws: `ModelError` if the data does not fit the model (checked before the first batch).
    public func execute(extraCallbacks: [Callback] = [], onMessage: ((String) -> Void)? = nil,
                        makeChannelCallback: ((RunCallbacks) -> Callback)? = nil) throws -> RunOutcome {
        let model = plan.makeModel(outputs: outputUnits)
        let lr0 = plan.learningRate
        let cbs = try RunCallbacks(plan: plan, replay: replay, onMessage: onMessage, lr0: lr0)
        var list = cbs.all
        if let make = makeChannelCallback { list.append(make(cbs)) }
        list.append(contentsOf: extraCallbacks)
        let started = Date()
        let history = try model.fit(train, batchSize: plan.batchSize, epochs: plan.epochs, validationData: validation,
                                    validationSplit: plan.validationSplit, shuffle: true, callbacks: list)
        let seconds = Date().timeIntervalSince(started)
        var messages: [String] = []
        var errors: [String] = []
        for c in cbs.all {
            if let r = c as? ReportingCallback { messages += r.messages.map(\.description); errors += r.errors }
        }
        // Checkpoints the dashboard wrote in the background that failed: training went on, but the run failed.
        let writeErrors = list.compactMap { $0 as? ChannelCallback }.flatMap(\.errors)
        var reason = cbs.stopReason(epochsRun: history.epochs.count, planned: plan.epochs, stopRequested: model.stopTraining,
                                    errors: errors)
        if !writeErrors.isEmpty {
            reason += " (\(writeErrors.count) checkpoint\(writeErrors.count == 1 ? "" : "s") not written)"
            errors += writeErrors
        }
        let steps = history.epochs.count * stepsPerEpoch
        return RunOutcome(reason: reason, history: history.history, epochs: history.epochs, messages: messages,
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

    init(plan: TrainingPlan, replay entries: [JournalEntry], onMessage: ((String) -> Void)?, lr0: Double) throws {
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
        jsonl = try plan.logJSONL.map { try JSONLinesLogger(path: $0) }
        nan = plan.terminateOnNaN ? TerminateOnNaN() : nil
        for case let r as ReportingCallback in all {
            r.onMessage = { m in onMessage?(m.description) }
        }
    }

    /// All built-in callbacks in call order.
    public var all: [Callback] {
        [scheduler, replay, plateau, earlyStopping, checkpoint, csv, jsonl, nan].compactMap { $0 }
    }

    /// The planned base learning rate for epochs `from ..< epochs`, following the schedule (if any) from the optimizer's
    /// current rate, and the legacy decay at the start of each epoch given `stepsPerEpoch`.
    public func plannedRates(from epoch: Int, epochs: Int, stepsPerEpoch: Int, optimizer: Optimizer) -> [Double] {
        guard epoch < epochs else { return [] }
        return (epoch..<epochs).map { e in
            let base = schedule?.learningRate(epoch: e, initial: lr0) ?? optimizer.learningRate
            return base / (1 + decay * Double(e * stepsPerEpoch))
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
