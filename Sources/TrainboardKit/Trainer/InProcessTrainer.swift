import Dashboard
import Foundation
import NeuralEngine

/// The in-process trainer as a dashboard run source: `fit` on its own `Thread` publishing through a
/// `ChannelCallback` into `channel`, obeying the channel's commands (DESIGN.md, "Threads"). Manual actions go to the
/// control journal; manual and final checkpoints go next to the run's other files.
///
/// Files: the run's directory is that of `--csv-log`, `--log-jsonl` or `--checkpoint` (the first given), else
/// `trainboard-runs/STAMP`; the journal is `--journal` or `DIR/trainboard-journal-STAMP.jsonl`; manual checkpoints are
/// `DIR/manual-epochE-updateU.keras` (`final-...` after a stop), DIR being `--checkpoint`'s directory if given, in
/// `--checkpoint`'s format when its extension names one (else Keras's `.keras`).
///
/// Thread-safety: `start`, `stop`, `wait` from one (the UI) thread; `isDone`, `failure`, `outcome`, `error` from any.
public final class InProcessTrainer: RunSource, @unchecked Sendable {
    public let info = RunSourceInfo(name: "training", canSteer: true)
    /// Where the trainer publishes and the dashboard reads.
    public let channel: TrainingChannel
    /// The control journal (created on the first manual action).
    public let journal: ControlJournalWriter
    /// Where manual and final checkpoints are written.
    public let checkpointDirectory: String
    private let run: TrainingRun
    private let extras: CallbackBox
    private let leading: CallbackBox
    /// Told of every callback message too (training thread), e.g. the headless reporter's lines.
    private let onMessage: (@Sendable (CallbackMessage) -> Void)?
    private let commandObserver: CommandObserver?
    private let result = Locked<(done: Bool, outcome: RunOutcome?, error: String?)>((false, nil, nil))
    private var thread: Thread?

    /// - Parameters:
    ///   - run: the prepared run (data loaded, options checked).
    ///   - stamp: names the default run directory and journal (`yyyyMMdd-HHmmss` of now by default).
    ///   - extraCallbacks: added after the dashboard's callback (an `AttachPublisher`, the headless reporter); they
    ///     run on the trainer's thread.
    ///   - beforeChannelCallback: run just before the dashboard's callback, after the built-in ones (an
    ///     `AttachPublisher`: a batch is published before a pause taken at its boundary blocks the trainer).
    ///   - onMessage: also receives the callbacks' messages (trainer thread).
    ///   - commandObserver: told of each command the trainer takes and of its outcome (`ChannelCallback`).
    public init(run: TrainingRun, stamp: String = InProcessTrainer.timestamp(), extraCallbacks: [Callback] = [],
                beforeChannelCallback: [Callback] = [], onMessage: (@Sendable (CallbackMessage) -> Void)? = nil, commandObserver: CommandObserver? = nil) {
        self.run = run
        extras = CallbackBox(extraCallbacks)
        leading = CallbackBox(beforeChannelCallback)
        self.onMessage = onMessage
        self.commandObserver = commandObserver
        let plan = run.plan
        let logDir = [plan.csvLog, plan.logJSONL, plan.checkpoint].compactMap { $0 }.first
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "trainboard-runs/\(stamp)"
        journal = ControlJournalWriter(path: plan.journal ?? "\(logDir)/trainboard-journal-\(stamp).jsonl")
        checkpointDirectory = plan.checkpoint.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? logDir
        channel = TrainingChannel(Self.initialSnapshot(run))
    }

    /// The snapshot before the first batch: the header lines, the run's shape, the digit previews.
    static func initialSnapshot(_ run: TrainingRun) -> TrainingSnapshot {
        let plan = run.plan
        var s = TrainingSnapshot()
        s.title = "Trainboard \(TrainboardInfo.version)"
        s.dataDescription = run.dataDescription
        s.modelDescription = plan.modelDescription(inputs: run.train.featureCount, outputs: run.outputUnits)
        s.optimizerDescription = "\(plan.optimizerDescription) batch \(plan.batchSize)"
        s.epochs = plan.epochs
        s.stepsPerEpoch = run.stepsPerEpoch
        s.batchSize = plan.batchSize
        s.previews = run.previewImages()
        s.metricKeys = run.loggedKeys
        s.metricGoals = RunReplay.goals(for: run.loggedKeys)
        return s
    }

    public var isDone: Bool { result.withLock { $0.done } }

    /// How training ended, once done (nil when it threw).
    public var outcome: RunOutcome? { result.withLock { $0.outcome } }
    /// The error the trainer threw, once done.
    public var error: String? { result.withLock { $0.error } }

    /// A thrown error, or the errors that stopped training (a log, checkpoint or journal that could not be written).
    public var failure: String? {
        guard isDone else { return nil }
        if let e = error { return e }
        if let errors = outcome?.errors, !errors.isEmpty { return errors.joined(separator: "; ") }
        return nil
    }

    public func start() {
        guard thread == nil else { return }
        let run = self.run, channel = self.channel, journal = self.journal, dir = checkpointDirectory
        let result = self.result
        let extras = self.extras, leading = self.leading, onMessage = self.onMessage, observer = self.commandObserver
        let t = Thread {
            do {
                let outcome = try run.execute(extraCallbacks: extras.callbacks, onMessage: { message in
                    channel.update { s in
                        s.events.append(TrainingEvent(message, currentEpoch: s.epoch, update: s.updates, time: s.elapsed))
                    }
                    onMessage?(message)
                }, makeChannelCallback: { cbs in
                    let cb = Self.channelCallback(channel: channel, run: run, callbacks: cbs, journal: journal,
                                                  checkpointDir: dir, commandObserver: observer)
                    // Neither the dashboard's callback nor the publisher has state to resume: a list is fine here.
                    return leading.callbacks.isEmpty ? cb : CallbackList(leading.callbacks + [cb])
                })
                result.withLock { $0.outcome = outcome }
                channel.update { s in
                    s.status = outcome.errors.isEmpty ? .finished(outcome.reason) : .failed(outcome.reason)
                    s.summary = outcome.summaryLines + s.summary
                }
            } catch {
                result.withLock { $0.error = "\(error)" }
                channel.update { $0.status = .failed("\(error)") }
            }
            result.withLock { $0.done = true }
        }
        t.name = "trainboard-trainer"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    public func stop(waitingUpTo seconds: Double) {
        if !isDone { channel.send(.stop) }
        wait(upTo: seconds)
    }

    public func wait(upTo seconds: Double) {
        guard thread != nil else { return }
        let end = Date().addingTimeInterval(seconds)
        while !isDone && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// What the dashboard command reports once the screen is restored: the summary lines for stdout (none when the
    /// user left with `q q`), and the error for stderr when the run failed (exit status 1): a thrown error, a
    /// control journal that could not be written (path named), or the errors that stopped training.
    public func report(skipSummary: Bool) -> (summary: [String], error: String?) {
        if let e = error { return ([], "training failed: \(e)") }
        let summary = skipSummary ? [] : channel.snapshot().summary
        if let j = journal.lastError {
            return (summary, "training failed: \(journal.path): cannot write the control journal: \(j)")
        }
        if let errors = outcome?.errors, !errors.isEmpty {
            return (summary, "training failed: \(errors.joined(separator: "; "))")
        }
        return (summary, nil)
    }

    /// `yyyyMMdd-HHmmss` of now, local time.
    public static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }

    /// The dashboard's callback for this run, wired to the other callbacks' state (EarlyStopping's best epoch and
    /// patience, ModelCheckpoint's last file, the planned learning rates).
    static func channelCallback(channel: TrainingChannel, run: TrainingRun, callbacks cbs: RunCallbacks,
                                journal: ControlJournalWriter, checkpointDir: String,
                                commandObserver: CommandObserver? = nil) -> Callback {
        let plan = run.plan
        let steps = run.stepsPerEpoch
        // Manual and final checkpoints take --checkpoint's format when it names one, else Keras's .keras.
        let ext = plan.checkpoint.flatMap { ModelFormat(path: $0) }?.fileExtension ?? ModelFormat.keras.fileExtension
        return ChannelCallback(
            channel: channel, epochs: plan.epochs, stepsPerEpoch: steps, batchSize: plan.batchSize, journal: journal,
            checkpointPath: { epoch, update, final in
                "\(checkpointDir)/\(final ? "final" : "manual")-epoch\(epoch + 1)-update\(update)\(ext)"
            },
            planner: { from, optimizer in
                cbs.plannedRates(from: from, epochs: plan.epochs, stepsPerEpoch: steps, optimizer: optimizer)
            },
            epochObserver: { _, s in
                // Plateau cuts, early stopping and ModelCheckpoint's files are already in the event list, typed
                // (their callbacks' messages); this copies the state the panels show.
                if let es = cbs.earlyStopping {
                    s.monitor = es.monitor
                    s.bestEpoch = es.bestEpoch
                    s.bestValue = es.bestValue
                    s.patience = es.patience
                    s.patienceLeft = es.patienceLeft
                } else if let ck = cbs.checkpoint {
                    s.monitor = ck.monitor
                    s.bestValue = ck.bestValue
                }
                if let ck = cbs.checkpoint, let p = ck.lastSavedPath {
                    s.lastCheckpointPath = p
                    s.lastCheckpointEpoch = ck.lastSavedEpoch
                }
            }, commandObserver: commandObserver)
    }
}

extension RunOutcome {
    /// The end-of-run summary shared by headless mode and the dashboard: "Training REASON in S s (N samples/s).",
    /// then the best accuracy and best val_loss with their epochs (1-based).
    /// The last checkpoint `--checkpoint` wrote in a format that can resume the run (`.keras`, `.tbmodel`), if any.
    public var lastResumableCheckpoint: String? {
        messages.last { $0.kind == .checkpointSaved && $0.path.map(ModelFormat.isResumable) == true }?.path
    }

    public var summaryLines: [String] {
        let o = self
        var out = ["Training \(o.reason) in \(String(format: "%.1f", o.seconds)) s (\(Int(Double(o.samplesTrained) / max(o.seconds, 1e-9))) samples/s)."]
        let h = o.history
        for key in ["val_accuracy", "accuracy"] {
            if let v = h[key], let best = v.indices.filter({ v[$0].isFinite }).max(by: { v[$0] < v[$1] }) {
                out.append(String(format: "Best %@: %.4f at epoch %d; last %.4f.", key, v[best], best + 1, v.last ?? .nan))
                break
            }
        }
        if let v = h["val_loss"], let best = v.indices.filter({ v[$0].isFinite }).min(by: { v[$0] < v[$1] }) {
            out.append(String(format: "Best val_loss: %.4f at epoch %d.", v[best], best + 1))
        }
        return out
    }
}

/// Callbacks handed to the trainer's thread: they are used there only, after `start`.
struct CallbackBox: @unchecked Sendable {
    let callbacks: [Callback]
    init(_ callbacks: [Callback]) { self.callbacks = callbacks }
}
