import AttachProtocol
import Dashboard
import Foundation
import NeuralEngine
#if canImport(Glibc)
import Glibc
#endif

/// Connects a Trainboard run (its `TrainingChannel` and trainer) to an `AttachServer`: the run's batch and epoch logs
/// go out through `publisher` (a callback on the trainer's thread), the channel's events are forwarded as `event`
/// messages, and client commands are put into the channel as the dashboard's keys put theirs
/// (`ControlCommand`), then acknowledged to every client when the trainer has applied them (`commandObserver`, given
/// to the `InProcessTrainer`). Commands from the run's own dashboard are acknowledged too, with `id` null and
/// `from` 0.
///
/// Thread-safety: every member is safe from any thread.
public final class AttachBridge: @unchecked Sendable {
    /// The run's channel, set by `listen`.
    public private(set) var channel = TrainingChannel()
    /// Set once by `listen`.
    public private(set) var server: AttachServer?
    /// Commands sent into the channel and not yet taken: matched, in order, with what the trainer takes.
    private let pending = Locked<[(id: Int?, from: Int, name: String, command: ControlCommand)]>([])
    private let ended = Locked(false)
    private let seenEvents = Locked(0)
    private let stats = Locked<(params: Int?, epoch: Int, update: Int)>((nil, 0, 0))
    /// The batch and epoch publisher: add it to the trainer's callbacks.
    public private(set) var publisher: AttachPublisher!

    /// Make the bridge first (its `publisher` and `commandObserver` go to the trainer), then `listen` with the
    /// trainer's channel.
    public init() {
        publisher = AttachPublisher(bridge: self)
    }

    /// Starts the server at `address` for the run publishing into `channel` (see `AttachServer.init`, which throws
    /// `AttachError`). Call once.
    public func listen(_ address: AttachAddress, channel: TrainingChannel, name: String, directory: String? = nil,
                       limits: AttachServer.Limits = AttachServer.Limits()) throws {
        self.channel = channel
        let framework = "trainboard \(TrainboardInfo.version)"
        server = try AttachServer(address: address, name: name, framework: framework, directory: directory, limits: limits,
                                  hello: { [weak self] in self?.hello(framework: framework, name: name) ?? Self.emptyHello },
                                  onCommand: { [weak self] c, from in self?.received(c, from: from) })
        let s = server
        // The channel's events are forwarded from a light timer: a version check, then only the new events.
        let t = Thread { [weak self] in
            var lastVersion: UInt64 = .max
            while let me = self, !me.ended.withLock({ $0 }) {
                let v = me.channel.version
                if v != lastVersion { lastVersion = v; me.forwardEvents(to: s) }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        t.name = "trainboard-attach-events"
        t.start()
    }

    private static let emptyHello = Hello(framework: "trainboard", name: "", pid: 0, model: ModelInfo(summary: "", params: nil),
                                          epochs: 0, stepsPerEpoch: nil, batchSize: nil, metrics: [], learningRate: 0,
                                          state: "finished")

    func hello(framework: String, name: String) -> Hello {
        let s = channel.snapshot()
        let state: String
        switch s.status {
        case .paused: state = "paused"
        case .stopping: state = "stopping"
        case .finished, .failed: state = "finished"
        case .starting, .running: state = "running"
        }
        return Hello(framework: framework, name: AttachServer.sanitizedName(name), pid: Int(getpid()),
                     model: ModelInfo(summary: s.modelDescription, params: stats.withLock { $0.params }),
                     epochs: s.epochs, stepsPerEpoch: s.stepsPerEpoch > 0 ? s.stepsPerEpoch : nil,
                     batchSize: s.batchSize > 0 ? s.batchSize : nil, metrics: s.metricKeys, learningRate: s.learningRate,
                     state: state)
    }

    private func forwardEvents(to server: AttachServer?) {
        let s = channel.snapshot()
        let fresh: ArraySlice<TrainingEvent> = seenEvents.withLock { n in
            let out = s.events.count > n ? s.events[n...] : []
            n = s.events.count
            return out
        }
        for e in fresh {
            var path: String?
            if e.kind == .checkpoint {
                // The dashboard's own checkpoints say "checkpoint PATH" / "final checkpoint PATH"; for the others
                // (ModelCheckpoint's messages) the last file written.
                for prefix in ["checkpoint ", "final checkpoint "] where e.message.hasPrefix(prefix) {
                    path = String(e.message.dropFirst(prefix.count))
                }
                if path == nil { path = s.lastCheckpointPath }
            }
            server?.publish(.event(EventMessage(kind: e.kind.rawValue, epoch: e.epoch, update: e.update, time: e.time,
                                                message: e.message, path: path)))
        }
    }

    /// A client's command: checked, then put into the channel; a bad one is refused at once (`ack` with `ok` false).
    func received(_ c: CommandMessage, from: Int) {
        func refuse(_ why: String) {
            let u = stats.withLock { $0.update }
            server?.publish(.ack(Ack(id: c.id, command: c.command, ok: false, update: u, message: why, from: from)))
        }
        if ended.withLock({ $0 }) || channel.snapshot().status.isTerminal { return refuse("the run has ended") }
        let command: ControlCommand
        switch c.command {
        case "pause": command = .pause
        case "resume": command = .resume
        case "stop": command = .stop
        case "checkpoint":
            guard c.path == nil else {
                return refuse("checkpoint: a Trainboard run chooses the file (next to its logs); send checkpoint without \"path\"")
            }
            command = .checkpoint
        case "set_lr":
            guard let v = c.value, v.isFinite, v >= 0 else {
                return refuse("set_lr: \"value\" must be a finite number >= 0, got \(c.value.map { "\($0)" } ?? "none")")
            }
            command = .setLearningRate(v)
        case "scale_lr":
            guard let v = c.value, v.isFinite, v > 0 else {
                return refuse("scale_lr: \"value\" must be a finite number > 0, got \(c.value.map { "\($0)" } ?? "none")")
            }
            command = .scaleLearningRate(v)
        default:
            return refuse("unknown command \"\(c.command)\"; this run accepts \(AttachProtocol.commands.joined(separator: ", "))")
        }
        pending.withLock { $0.append((c.id, from, c.command, command)) }
        channel.send(command)
    }

    /// The observer to give the trainer: matches each taken command with the oldest pending client command equal to
    /// it (else it came from the run's own dashboard) and acknowledges the outcome to every client.
    public var commandObserver: CommandObserver {
        { [weak self] command in
            let match = self?.pending.withLock { q -> (id: Int?, from: Int, name: String)? in
                guard let i = q.firstIndex(where: { $0.command == command }) else { return nil }
                let m = q.remove(at: i)
                return (m.id, m.from, m.name)
            }
            let name = match?.name ?? Self.name(of: command)
            return { [weak self] outcome in
                self?.server?.publish(.ack(Ack(id: match?.id ?? nil, command: name, ok: outcome.ok,
                                               applied: Applied(learningRate: outcome.learningRate, path: outcome.path),
                                               update: outcome.update, message: outcome.message, from: match?.from ?? 0)))
            }
        }
    }

    /// The attach protocol's name of a command (`pause`, `resume`, `stop`, `checkpoint`, `set_lr`, `scale_lr`).
    public static func name(of c: ControlCommand) -> String {
        switch c {
        case .pause: return "pause"
        case .resume: return "resume"
        case .togglePause: return "pause"
        case .stop: return "stop"
        case .checkpoint: return "checkpoint"
        case .setLearningRate: return "set_lr"
        case .scaleLearningRate: return "scale_lr"
        }
    }

    fileprivate func trained(params: Int?, epoch: Int, update: Int) {
        stats.withLock { s in
            if let p = params { s.params = p }
            s.epoch = epoch; s.update = update
        }
    }

    /// Sends the last events and `end` (with `reason`), refuses commands still pending, closes every connection and
    /// removes the socket, token and discovery files. Call once training has ended.
    public func finish(reason: String) {
        forwardEvents(to: server)
        ended.withLock { $0 = true }
        let (e, u) = stats.withLock { ($0.epoch, $0.update) }
        let left = pending.withLock { q -> [(id: Int?, from: Int, name: String, command: ControlCommand)] in let o = q; q.removeAll(); return o }
        for p in left {
            server?.publish(.ack(Ack(id: p.id, command: p.name, ok: false, update: u, message: "the run ended before applying it", from: p.from)))
        }
        server?.finish(EndMessage(reason: reason, epoch: e, update: u))
    }
}

/// Publishes the run's batch and epoch logs (Keras's keys, as the callbacks receive them) to the attached clients.
/// Put it with the trainer's callbacks.
///
/// Thread-safety: training thread only (publishing is a locked append).
public final class AttachPublisher: Callback {
    private unowned let bridge: AttachBridge
    private var start = Date()

    init(bridge: AttachBridge) { self.bridge = bridge }

    private var elapsed: Double { Date().timeIntervalSince(start) }

    public override func onTrainBegin(logs: Logs) {
        start = Date()
        bridge.trained(params: model?.parameterCount, epoch: model?.currentEpoch ?? 0, update: model?.optimizer?.iterations ?? 0)
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) {
        let e = model?.currentEpoch ?? 0, u = model?.optimizer?.iterations ?? 0
        bridge.trained(params: nil, epoch: e, update: u)
        var l = logs
        l.removeValue(forKey: "size")
        let lr = l.removeValue(forKey: LogKey.learningRate)
        bridge.server?.publish(.batch(BatchMessage(epoch: e, batch: batch, update: u, time: elapsed, logs: l, learningRate: lr)))
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        let u = model?.optimizer?.iterations ?? 0
        bridge.trained(params: nil, epoch: epoch, update: u)
        var l = logs
        l.removeValue(forKey: "size")
        l.removeValue(forKey: "batch_loss")
        let lr = logs[LogKey.learningRate] ?? model?.optimizer?.currentLearningRate
        bridge.server?.publish(.epoch(EpochMessage(epoch: epoch, update: u, time: elapsed, logs: l, learningRate: lr)))
    }
}
