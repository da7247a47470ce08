import Dashboard
import Foundation
import NeuralEngine

/// The trainer side of the dashboard: a callback that publishes progress into a `TrainingChannel` after every batch
/// and epoch, and obeys the channel's control commands at batch boundaries (pause blocks here, inside the trainer
/// thread; learning-rate changes apply from the next update; stop sets `model.stopTraining`; checkpoint saves).
///
/// Checkpoints (`c`, and the final one after a stop) do not stall training: at the batch boundary the weights are
/// copied (`Sequential.snapshot`, a memory copy) and a `CheckpointWriter` encodes and writes the file atomically on
/// its own thread, in request order. When a write ends, a `.checkpoint` event (or a `.warning` event saying it
/// failed) is published from the writer's thread; failures are also kept in `errors` (for the run's final status).
/// At the end of training the callback waits for every pending write, so the summary and `errors` are complete when
/// `fit` returns.
///
/// Resuming: checkpoints carry the model's `TrainingState` (in `.keras`/`.tbmodel`). A manual one is taken at the batch
/// boundary where the key is handled; the final one after a stop is taken at the batch boundary where the stop was
/// handled, before `fit` ends the interrupted epoch, so `trainboard train --resume PATH` continues that epoch at its
/// next batch exactly as if the run had not stopped (its weights are the training weights at that moment, not
/// EarlyStopping's restored best ones). The summary names the resume command. A resumed run's earlier epochs are
/// shown from the checkpoint's history.
///
/// Put it after the other callbacks (it reads their state at epoch end), before `History`, which `fit` appends.
/// Thread-safety: the callback itself runs on the training thread only; it talks to the UI only through the channel.
public final class ChannelCallback: Callback {
    public let channel: TrainingChannel
    private let epochs: Int
    private let stepsPerEpoch: Int
    private let batchSize: Int
    private let journal: ControlJournalWriter?
    /// Why the control journal could not be written, if it could not (the run was stopped then).
    public private(set) var journalError: String?
    private let checkpointPath: (_ epoch: Int, _ update: Int, _ final: Bool) -> String
    private let planner: ((_ fromEpoch: Int, _ optimizer: Optimizer) -> [Double])?
    private let epochObserver: ((_ epoch: Int, _ snapshot: inout TrainingSnapshot) -> Void)?
    /// Writes checkpoints off the training thread.
    public let writer: CheckpointWriter
    private let failures = Locked<[String]>([])
    /// Manual checkpoint paths requested so far (a second request for the same path gets a `-2`, `-3`... suffix).
    private var requestedPaths: Set<String> = []
    private let clock = ContinuousClock()
    private var start: ContinuousClock.Instant
    /// Batch end times and sizes of the last ~0.5 s (from `windowStart`), for samples/s; `windowSamples` is the sum
    /// of the sizes after the first entry. O(1) per batch: entries are dropped by moving `windowStart`.
    private var window: [(ContinuousClock.Instant, Int)] = []
    private var windowStart = 0
    private var windowSamples = 0
    private var stopRequested = false
    /// The model as it was when the stop was handled: what the final checkpoint writes.
    private var stopSnapshot: ModelSnapshot?
    private var paused = false
    /// Seconds spent paused, excluded from throughput.
    private var pausedSeconds = 0.0
    /// Told of every command taken from the channel (an attached client's acknowledgement, `AttachBridge`).
    private let commandObserver: CommandObserver?

    /// - Parameters:
    ///   - channel: where to publish.
    ///   - epochs, stepsPerEpoch, batchSize: the run's shape, for progress and ETA.
    ///   - journal: where manual actions are recorded, if anywhere.
    ///   - checkpointPath: the file for a manual (`final == false`) or final checkpoint at (epoch, update).
    ///   - planner: the planned learning rate per future epoch, for the chart.
    ///   - epochObserver: called at each epoch end under the channel lock to copy other callbacks' state (e.g.
    ///     EarlyStopping's best epoch) into the snapshot.
    ///   - writer: where checkpoints are written (a new background writer by default).
    ///   - commandObserver: told of each command when it is taken (trainer thread) and, through the closure it
    ///     returns, of its outcome when it has taken effect (a checkpoint: when written, on the writer's thread).
    public init(channel: TrainingChannel, epochs: Int, stepsPerEpoch: Int, batchSize: Int,
                journal: ControlJournalWriter? = nil,
                checkpointPath: @escaping (_ epoch: Int, _ update: Int, _ final: Bool) -> String,
                planner: ((_ fromEpoch: Int, _ optimizer: Optimizer) -> [Double])? = nil,
                epochObserver: ((_ epoch: Int, _ snapshot: inout TrainingSnapshot) -> Void)? = nil,
                writer: CheckpointWriter = CheckpointWriter(),
                commandObserver: CommandObserver? = nil) {
        self.channel = channel
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.batchSize = batchSize
        self.journal = journal
        self.checkpointPath = checkpointPath
        self.planner = planner
        self.epochObserver = epochObserver
        self.writer = writer
        self.commandObserver = commandObserver
        start = clock.now
        super.init()
    }

    private var seconds: Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private var epoch: Int { model?.currentEpoch ?? 0 }
    private var updates: Int { model?.optimizer?.iterations ?? 0 }

    public override func onTrainBegin(logs: Logs) {
        start = clock.now
        let lr = model?.optimizer?.currentLearningRate ?? 0
        let planned = model?.optimizer.flatMap { o in planner?(0, o) } ?? []
        channel.update { s in
            s.status = .running
            s.epochs = epochs
            s.stepsPerEpoch = stepsPerEpoch
            s.batchSize = batchSize
            s.learningRate = lr
            s.plannedLearningRate = planned
            s.plannedFromEpoch = 0
        }
        if let resumed = model?.resumedFrom {
            // The earlier epochs of a resumed run, as if it had not stopped.
            let earlier = History.dictionary(resumed.history).filter { $0.key != "batch_loss" && $0.key != "size" }
            channel.update { s in s.epochMetrics = earlier }
        }
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) {
        let lr = model?.optimizer?.currentLearningRate ?? 0
        channel.update { s in
            s.epoch = epoch
            s.batchesDone = 0
            s.learningRate = lr
        }
        handleCommands()
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) {
        let now = clock.now
        let rows = Int(logs["size"] ?? Double(batchSize))
        window.append((now, rows))
        if window.count - windowStart > 1 { windowSamples += rows }
        while window.count - windowStart > 2, now - window[windowStart].0 > .milliseconds(500) {
            windowStart += 1
            windowSamples -= window[windowStart].1
        }
        if windowStart > 4096 {
            window.removeFirst(windowStart)
            windowStart = 0
        }
        var rate = 0.0
        if window.count - windowStart >= 2 {
            let d = now - window[windowStart].0
            let secs = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            if secs > 0 { rate = Double(windowSamples) / secs }
        }
        let batchLoss = logs["batch_loss"] ?? logs["loss"] ?? .nan
        let lrUsed = logs[LogKey.learningRate] ?? .nan
        let nextLR = model?.optimizer?.currentLearningRate ?? lrUsed
        let since = now - start
        let t = Double(since.components.seconds) + Double(since.components.attoseconds) * 1e-18, u = updates
        channel.update { s in
            s.batchesDone = batch + 1
            s.updates = u
            s.elapsed = t
            if rate > 0 { s.samplesPerSecond = rate }
            s.batchLoss.append(batchLoss)
            s.batchLearningRate.append(lrUsed)
            s.learningRate = nextLR
            if !batchLoss.isFinite {
                s.events.append(TrainingEvent(kind: .nan, epoch: s.epoch, update: u, time: t,
                                              message: "batch \(batch): loss is \(batchLoss)"))
            }
        }
        if channel.hasCommands { handleCommands() }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        let l = logs
        let planned = model?.optimizer.flatMap { o in planner?(epoch + 1, o) } ?? []
        let t = seconds
        channel.update { s in
            // Every key gets one value per completed epoch (NaN where an epoch lacked it), like Keras's History.
            let before = s.completedEpochs
            for (k, v) in l where k != "batch_loss" && k != "size" {
                var arr = s.epochMetrics[k] ?? [Double](repeating: .nan, count: before)
                arr.append(v)
                s.epochMetrics[k] = arr
            }
            for k in s.epochMetrics.keys where (s.epochMetrics[k]?.count ?? 0) < before + 1 { s.epochMetrics[k]?.append(.nan) }
            s.plannedLearningRate = planned
            s.plannedFromEpoch = epoch + 1
            s.elapsed = t
            epochObserver?(epoch, &s)
        }
    }

    public override func onTrainEnd(logs: Logs) {
        guard let model else { return }
        if stopRequested {
            let snapshot = stopSnapshot ?? model.snapshot()
            let e = snapshot.metadata.epoch ?? epoch, u = snapshot.metadata.iterations ?? updates
            let path = checkpointPath(e, u, true)
            enqueue(snapshot.with(metadata: ModelMetadata(epoch: e, iterations: u, logs: logs.filter { $0.value.isFinite },
                                                          reason: "final checkpoint after a manual stop")),
                    to: path, epoch: e, update: u, time: seconds, final: true)
        }
        // Every requested checkpoint (manual ones still queued, and the final one) is on disk, or its failure
        // recorded, before training is reported as ended.
        writer.waitUntilIdle()
        let t = seconds
        channel.update { s in s.elapsed = t }
    }

    /// Checkpoint writes that failed so far ("checkpoint failed: PATH: cannot write model file: REASON"), in order.
    /// Complete once `fit` has returned (the callback waits for pending writes at the end of training).
    /// Thread-safety: safe from any thread.
    public var errors: [String] { failures.withLock { $0 } }

    /// Queues a snapshot for the writer; the completion (on the writer's thread) publishes the outcome.
    private func enqueue(_ snapshot: ModelSnapshot, to path: String, epoch e: Int, update u: Int, time t: Double,
                         final: Bool, report: (@Sendable (CommandOutcome) -> Void)? = nil) {
        // Only manual checkpoints are journaled (as requested), so only their failures are.
        let channel = self.channel, failures = self.failures, journal = final ? nil : self.journal
        writer.write(snapshot, to: path) { result in
            if let error = result.error {
                let text = "\(final ? "final checkpoint" : "checkpoint") failed: \(error)"
                failures.withLock { $0.append(text) }
                // On the writer's thread: a journal failure here is kept in `journal.lastError`, which ends the run
                // with exit 1 when it finishes (DashboardApp), as on the trainer thread.
                try? journal?.append(JournalEntry(action: "checkpoint_failed", epoch: e, update: u, time: t, path: path))
                channel.update { s in
                    s.events.append(TrainingEvent(kind: .warning, epoch: e, update: u, time: t, message: text))
                    if final { s.summary.append("Final checkpoint FAILED: \(error)") }
                }
                report?(CommandOutcome(ok: false, update: u, message: text))
            } else {
                channel.update { s in
                    s.lastCheckpointPath = path
                    s.lastCheckpointEpoch = e
                    s.events.append(TrainingEvent(kind: .checkpoint, epoch: e, update: u, time: t,
                                                  message: "\(final ? "final checkpoint" : "checkpoint") \(path)"))
                    if final { s.summary.append("Final checkpoint: \(path)") }
                    if final, ModelFormat.isResumable(path) {
                        s.summary.append("Resume with: \(ResumePlan.command(path))")
                    }
                }
                report?(CommandOutcome(ok: true, path: path, update: u, message: "checkpoint \(path)"))
            }
        }
    }

    /// `path`, or `path` with `-2`, `-3`, ... before its extension when it was already requested in this run (two
    /// presses of `c` at the same batch boundary give two files).
    private func uniquePath(_ path: String) -> String {
        var candidate = path, k = 1
        while requestedPaths.contains(candidate) {
            k += 1
            let url = URL(fileURLWithPath: path)
            let ext = url.pathExtension
            let base = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
            candidate = base + "-\(k)" + (ext.isEmpty ? "" : "." + ext)
        }
        requestedPaths.insert(candidate)
        return candidate
    }

    /// Applies queued commands; blocks while paused.
    private func handleCommands() {
        for c in channel.drainCommands() { apply(c) }
        while paused && !stopRequested {
            Thread.sleep(forTimeInterval: 0.02)
            for c in channel.drainCommands() { apply(c) }
        }
    }

    private func record(_ kind: TrainingEvent.Kind, _ message: String, journal entry: JournalEntry?) {
        let e = epoch, u = updates, t = seconds
        channel.update { s in s.events.append(TrainingEvent(kind: kind, epoch: e, update: u, time: t, message: message)) }
        if let entry { appendToJournal(entry) }
    }

    /// Writes `entry` to the control journal. A journal that cannot be written (a full disk) ends the run cleanly: the
    /// trainer stops after this batch and the run reports the error (exit 1, path named); nothing traps.
    private func appendToJournal(_ entry: JournalEntry) {
        guard let journal else { return }
        let e = epoch, u = updates, t = seconds
        do { try journal.append(entry) } catch {
            journalError = "\(error)"
            model?.stopTraining = true
            channel.update { s in s.events.append(TrainingEvent(kind: .warning, epoch: e, update: u, time: t, message: "\(error)")) }
        }
    }

    private func apply(_ given: ControlCommand) {
        let command = given == .togglePause ? (paused ? ControlCommand.resume : .pause) : given
        let report = commandObserver?(command)
        guard let model, let optimizer = model.optimizer else {
            report?(CommandOutcome(ok: false, update: 0, message: "no model to steer"))
            return
        }
        let e = epoch, u = updates, t = seconds
        switch command {
        case .togglePause: break
        case .pause:
            guard !paused else { report?(CommandOutcome(ok: true, update: u, message: "already paused")); return }
            paused = true
            channel.update { $0.status = .paused }
            record(.pause, "paused", journal: JournalEntry(action: "pause", epoch: e, update: u, time: t))
            report?(CommandOutcome(ok: true, update: u, message: "paused at update \(u)"))
        case .resume:
            guard paused else { report?(CommandOutcome(ok: true, update: u, message: "not paused")); return }
            paused = false
            channel.update { $0.status = .running }
            record(.resume, "resumed", journal: JournalEntry(action: "resume", epoch: e, update: u, time: t))
            report?(CommandOutcome(ok: true, update: u, message: "resumed at update \(u)"))
        case .stop:
            guard !stopRequested else { report?(CommandOutcome(ok: true, update: u, message: "already stopping")); return }
            stopRequested = true
            paused = false
            // The batch boundary: what a resumed run continues from (before fit ends this epoch early).
            stopSnapshot = model.snapshot(metadata: ModelMetadata(epoch: e, iterations: u))
            model.stopTraining = true
            channel.update { $0.status = .stopping }
            record(.stop, "stop requested", journal: JournalEntry(action: "stop", epoch: e, update: u, time: t))
            report?(CommandOutcome(ok: true, update: u, message: "stopping after update \(u)"))
        case .checkpoint:
            // The batch boundary: copy the weights now (the file shows exactly this update), write in the background.
            let path = uniquePath(checkpointPath(e, u, false))
            appendToJournal(JournalEntry(action: "checkpoint", epoch: e, update: u, time: t, path: path))
            enqueue(model.snapshot(metadata: ModelMetadata(epoch: e, iterations: u, reason: "manual checkpoint")),
                    to: path, epoch: e, update: u, time: t, final: false, report: report)
        case .scaleLearningRate(let f):
            guard f.isFinite, f > 0 else {
                report?(CommandOutcome(ok: false, update: u, message: "scale_lr: the factor must be finite and > 0, got \(f)"))
                return
            }
            let old = optimizer.currentLearningRate
            optimizer.learningRate *= f
            publishLR(optimizer, message: String(format: "lr x%.2f: %.4g -> %.4g", f, old, optimizer.currentLearningRate),
                      entry: JournalEntry(action: "lr_scale", epoch: e, update: u, time: t,
                                          learningRate: optimizer.learningRate, factor: f))
            report?(CommandOutcome(ok: true, learningRate: optimizer.currentLearningRate, update: u + 1,
                                   message: String(format: "learning rate %.6g -> %.6g", old, optimizer.currentLearningRate)))
        case .setLearningRate(let v):
            // 0 is allowed, as for --lr: it freezes the weights.
            guard v.isFinite, v >= 0 else {
                report?(CommandOutcome(ok: false, update: u, message: "set_lr: the rate must be finite and >= 0, got \(v)"))
                return
            }
            // The typed value is the rate the next update applies: with legacy decay the base rate is set to
            // v * (1 + decay * iterations), so that learningRate / (1 + decay * iterations) == v.
            let old = optimizer.currentLearningRate
            optimizer.learningRate = v * (1 + optimizer.decay * Double(optimizer.iterations))
            publishLR(optimizer, message: String(format: "lr set: %.4g -> %.4g", old, v),
                      entry: JournalEntry(action: "lr_set", epoch: e, update: u, time: t,
                                          learningRate: optimizer.learningRate))
            report?(CommandOutcome(ok: true, learningRate: optimizer.currentLearningRate, update: u + 1,
                                   message: String(format: "learning rate %.6g -> %.6g", old, optimizer.currentLearningRate)))
        }
    }

    private func publishLR(_ optimizer: Optimizer, message: String, entry: JournalEntry) {
        let next = optimizer.currentLearningRate
        let planned = planner?(max(0, epoch + 1), optimizer) ?? []
        let from = epoch + 1
        channel.update { s in
            s.learningRate = next
            s.plannedLearningRate = planned
            s.plannedFromEpoch = from
        }
        record(.learningRate, message, journal: entry)
    }
}

/// What became of a control command: applied (`ok`) or refused, the learning rate or checkpoint file it produced, and
/// the update it took effect at (updates done; for learning-rate changes, the first update that uses the new rate).
///
/// Thread-safety: a value.
public struct CommandOutcome: Sendable, Equatable {
    public var ok: Bool
    public var learningRate: Double?
    public var path: String?
    public var update: Int
    public var message: String
    public init(ok: Bool, learningRate: Double? = nil, path: String? = nil, update: Int, message: String) {
        self.ok = ok; self.learningRate = learningRate; self.path = path; self.update = update; self.message = message
    }
}

/// Called on the trainer thread with each command taken from the channel (`togglePause` already resolved to
/// `pause` or `resume`); returns what to call with its outcome once it has taken effect.
public typealias CommandObserver = @Sendable (ControlCommand) -> (@Sendable (CommandOutcome) -> Void)
