import AttachProtocol
import Dashboard
import Foundation
import SafeIO
#if canImport(Glibc)
import Glibc
#endif

/// A client connection to a listening run (`trainboard attach`): connects, authenticates on TCP, then reads the run's
/// lines and sends commands. Non-blocking socket and `poll(2)` with timeouts: a hung run never blocks the caller for
/// longer than the timeout it passes.
///
/// Thread-safety: use from one thread.
public final class AttachConnection {
    /// What `next` returned.
    public enum Event: Equatable {
        case message(RunMessage)
        /// Nothing arrived within the timeout.
        case timeout
        /// A line that is not a valid message (skipped), with the reason.
        case malformed(String)
        /// The connection ended (EOF, an error, an oversized line); the text says why.
        case closed(String)
    }

    private var fd: Int32
    private var framer = LineFramer(limit: AttachProtocol.runLineLimit)
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var out: [UInt8] = []
    public let address: AttachAddress

    /// Connects to `address`; sends `auth` with `token` first (TCP). Throws `AttachError` when it cannot connect.
    public init(_ address: AttachAddress, token: String?) throws {
        self.address = address
        fd = try Socket.connect(address)
        if let t = token { send(.auth(token: t)) }
    }

    deinit { close() }

    /// Closes the connection (detaching; the run goes on).
    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Queues `message` and sends what the socket takes within `timeout` seconds (commands are small; a run that takes
    /// nothing for that long keeps the rest queued for the next call).
    public func send(_ message: ClientMessage, timeout: Double = 1) {
        out += message.line + [0x0A]
        flush(timeout: timeout)
    }

    /// Sends raw bytes (tests: malformed and oversized lines).
    func sendRawForTesting(_ bytes: [UInt8]) {
        out += bytes
        flush(timeout: 2)
    }

    private func flush(timeout: Double) {
        let end = Socket.now() + timeout
        var offset = 0
        while offset < out.count && fd >= 0 {
            let n = Socket.send(fd, out, from: offset)
            if n < 0 { break }
            if n > 0 { offset += n; continue }
            let left = end - Socket.now()
            if left <= 0 { break }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, Int32(left * 1000))
        }
        out.removeFirst(min(offset, out.count))
    }

    /// The next message, waiting up to `timeout` seconds.
    public func next(timeout: Double) -> Event {
        guard fd >= 0 else { return .closed("detached") }
        if !out.isEmpty { flush(timeout: 0) }
        let end = Socket.now() + timeout
        while true {
            do {
                if let line = try framer.nextLine() {
                    do { return .message(try RunMessage.decode(line)) } catch { return .malformed("\(error)") }
                }
            } catch {
                close()
                return .closed("the run sent \(error)")
            }
            switch Socket.receive(fd, &buffer) {
            case .some(let n) where n > 0:
                framer.append(buffer[0..<n])
                continue
            case .some(0):
                close()
                return .closed("the run closed the connection")
            case .some:
                let e = errno
                close()
                return .closed("connection lost: \(Socket.errnoText(e))")
            case .none:
                let left = end - Socket.now()
                if left <= 0 { return .timeout }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, Int32(max(1, left * 1000)))
            }
        }
    }

    /// The token in `path` (its first line, whitespace trimmed), read through `SafeFile` (at most 4 KiB).
    public static func readToken(_ path: String) throws -> String {
        let bytes = try SafeFile.read(path, limit: 4096)
        let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw AttachError("\(path): the token file is empty") }
        return t
    }
}

/// Fills a `TrainingSnapshot` from the run's messages, as the in-process trainer's `ChannelCallback` would.
/// Bounded: at most `maxLogKeys` keys per message and `maxMetrics` metrics in all are kept (a hostile run cannot make
/// the client allocate without limit).
///
/// Thread-safety: a value; use from one thread.
public struct AttachFeed: Sendable {
    public static let maxLogKeys = 64
    public static let maxMetrics = 256
    /// Recent (time, update) pairs for samples/s.
    private var recent: [(Double, Int)] = []
    private var batchSize = 0
    /// The `hello` received, if any.
    public private(set) var hello: Hello?
    /// True once `history_end` arrived.
    public private(set) var live = false
    /// The `end` received, if any.
    public private(set) var end: EndMessage?

    public init() {}

    private static func bounded(_ logs: [String: Double], known: Set<String>) -> [(String, Double)] {
        var out: [(String, Double)] = []
        for k in logs.keys.sorted() where out.count < maxLogKeys && k.count <= 64 {
            if known.count + out.count >= maxMetrics && !known.contains(k) { continue }
            out.append((k, logs[k] ?? .nan))
        }
        return out
    }

    /// The model line of a `hello`'s summary, which may be many lines (Keras's `model.summary()` is a table): its first
    /// line with a letter or digit, control characters as spaces, runs of spaces collapsed, at most 200 characters.
    public static func oneLine(_ summary: String) -> String {
        let line = summary.split(omittingEmptySubsequences: true, whereSeparator: { $0.isNewline })
            .first { $0.contains { $0.isLetter || $0.isNumber } }.map(String.init) ?? ""
        let spaced = String(line.map { c in c.unicodeScalars.contains { $0.properties.generalCategory == .control } ? " " : c })
        let words = spaced.split(separator: " ", omittingEmptySubsequences: true)
        return String(words.joined(separator: " ").prefix(200))
    }

    /// Applies `message` to `s`.
    public mutating func apply(_ message: RunMessage, to s: inout TrainingSnapshot) {
        switch message {
        case .hello(let h):
            hello = h
            s.title = "Trainboard \(TrainboardInfo.version) attached to \(h.name) (pid \(h.pid), \(h.framework))"
            s.modelDescription = Self.oneLine(h.model.summary) + (h.model.params.map { " (\($0) params)" } ?? "")
            s.epochs = max(0, min(h.epochs, 1 << 40))
            s.stepsPerEpoch = max(0, min(h.stepsPerEpoch ?? 0, 1 << 40))
            batchSize = max(0, min(h.batchSize ?? 0, 1 << 40))
            s.batchSize = batchSize
            s.metricKeys = Array(h.metrics.prefix(Self.maxMetrics))
            s.metricGoals = RunReplay.goals(for: s.metricKeys)
            if h.learningRate.isFinite { s.learningRate = h.learningRate }
            switch h.state {
            case "paused": s.status = .paused
            case "stopping": s.status = .stopping
            case "finished": s.status = .finished("finished")
            default: s.status = .running
            }
        case .batch(let b):
            s.epoch = b.epoch
            s.batchesDone = b.batch + 1
            s.updates = b.update
            s.elapsed = b.time
            let loss = b.logs["batch_loss"] ?? b.logs["loss"] ?? .nan
            s.batchLoss.append(loss)
            s.batchLearningRate.append(b.learningRate ?? .nan)
            if let lr = b.learningRate { s.learningRate = lr }
            recent.append((b.time, b.update))
            if recent.count > 64 { recent.removeFirst(recent.count - 32) }
            if let first = recent.first, let last = recent.last, last.0 > first.0, batchSize > 0 {
                s.samplesPerSecond = Double(last.1 - first.1) * Double(batchSize) / (last.0 - first.0)
            }
            if s.status == .starting { s.status = .running }
        case .epoch(let e):
            let before = s.completedEpochs
            for (k, v) in Self.bounded(e.logs, known: Set(s.epochMetrics.keys)) {
                var arr = s.epochMetrics[k] ?? [Double](repeating: .nan, count: before)
                arr.append(v)
                s.epochMetrics[k] = arr
            }
            for k in s.epochMetrics.keys where (s.epochMetrics[k]?.count ?? 0) < before + 1 { s.epochMetrics[k]?.append(.nan) }
            s.epoch = e.epoch
            s.updates = e.update
            s.elapsed = e.time
        case .event(let ev):
            let kind = TrainingEvent.Kind(rawValue: ev.kind) ?? .info
            if s.events.count < 100_000 {
                s.events.append(TrainingEvent(kind: kind, epoch: ev.epoch, update: ev.update, time: ev.time,
                                              message: String(ev.message.prefix(500))))
            }
            switch kind {
            case .pause: s.status = .paused
            case .resume: s.status = .running
            case .stop: s.status = .stopping
            case .checkpoint:
                if let p = ev.path { s.lastCheckpointPath = p; s.lastCheckpointEpoch = ev.epoch }
            default: break
            }
        case .ack(let a):
            if a.ok, let lr = a.applied.learningRate, lr.isFinite { s.learningRate = lr }
            if !a.ok, s.events.count < 100_000 {
                s.events.append(TrainingEvent(kind: .warning, epoch: max(0, s.epoch), update: a.update, time: s.elapsed,
                                              message: "\(a.command) refused: \(a.message.prefix(300))"))
            }
        case .historyEnd:
            live = true
        case .error(let e):
            if s.events.count < 100_000 {
                s.events.append(TrainingEvent(kind: .warning, epoch: max(0, s.epoch), update: s.updates, time: s.elapsed,
                                              message: "the run answered: \(e.message.prefix(300))"))
            }
        case .pong:
            break
        case .end(let e):
            end = e
            s.status = .finished(String(e.reason.prefix(200)))
            s.summary = ["The run ended: \(e.reason.prefix(200)) (epoch \(e.epoch + 1), update \(e.update))."]
        }
    }
}

/// A listening run as the dashboard's source (`trainboard attach`): a thread reads the run's messages into the
/// channel (`AttachFeed`) and turns the dashboard's commands (the keys `p c s + - l`) into protocol commands (`p` is
/// `pause` or `resume` by the run's state, or by the last one asked for while the run has not confirmed it). `q`
/// detaches (`stop` closes the connection; the run goes on). When the run ends or the connection is lost, the
/// dashboard keeps what it received and says so.
///
/// Thread-safety: `start`, `stop`, `wait` from the UI thread; `isDone`, `failure` from any.
public final class AttachSource: RunSource, @unchecked Sendable {
    public let info: RunSourceInfo
    public let channel: TrainingChannel
    private let connection: AttachConnection
    /// The feed that the reader thread continues: it has seen the `first` message given to `init`.
    private let initialFeed: AttachFeed
    private let state = Locked<(done: Bool, detach: Bool, reason: String?)>((false, false, nil))
    private var thread: Thread?

    /// - Parameters:
    ///   - connection: a connected `AttachConnection` (authenticated on TCP).
    ///   - first: a message already read from it (the `hello` that `trainboard attach` waits for), applied to the
    ///     channel now and known to the reader thread's feed (its batch size gives samples/s and the ETA).
    public init(connection: AttachConnection, first: RunMessage? = nil) {
        self.connection = connection
        info = RunSourceInfo(name: "attached to \(connection.address)", canSteer: true, detachOnQuit: true)
        var s = TrainingSnapshot()
        s.title = "Trainboard \(TrainboardInfo.version) attaching to \(connection.address)"
        var feed = AttachFeed()
        if let first { feed.apply(first, to: &s) }
        initialFeed = feed
        channel = TrainingChannel(s)
    }

    public var isDone: Bool { state.withLock { $0.done } }
    public var failure: String? { nil }
    /// Why the session ended (the run's `end` reason, or the lost connection), once done.
    public var endReason: String? { state.withLock { $0.reason } }

    public func start() {
        guard thread == nil else { return }
        let connection = self.connection, channel = self.channel, state = self.state, initialFeed = self.initialFeed
        let box = UncheckedBox(connection)
        let t = Thread {
            let connection = box.value
            var feed = initialFeed
            var nextID = 1
            // The pause state asked for by our last pause/resume that the run has not yet confirmed (its pause or
            // resume event, or a refusal, clears it): `p` twice before a slow batch ends is pause then resume, as
            // with a local run, not pause twice.
            var pendingPause: (id: Int, paused: Bool)?
            while !state.withLock({ $0.detach }) {
                for c in channel.drainCommands() {
                    let status = channel.snapshot().status
                    let msg: CommandMessage
                    switch c {
                    case .pause: msg = CommandMessage(id: nextID, command: "pause")
                    case .resume: msg = CommandMessage(id: nextID, command: "resume")
                    case .togglePause:
                        let paused = pendingPause?.paused ?? (status == .paused)
                        msg = CommandMessage(id: nextID, command: paused ? "resume" : "pause")
                    case .stop: msg = CommandMessage(id: nextID, command: "stop")
                    case .checkpoint: msg = CommandMessage(id: nextID, command: "checkpoint")
                    case .setLearningRate(let v): msg = CommandMessage(id: nextID, command: "set_lr", value: v)
                    case .scaleLearningRate(let f): msg = CommandMessage(id: nextID, command: "scale_lr", value: f)
                    }
                    if msg.command == "pause" || msg.command == "resume" { pendingPause = (nextID, msg.command == "pause") }
                    nextID += 1
                    connection.send(.command(msg))
                }
                switch connection.next(timeout: 0.05) {
                case .message(let m):
                    switch m {
                    case .event(let e) where e.kind == "pause" || e.kind == "resume" || e.kind == "stop": pendingPause = nil
                    case .ack(let a) where a.id == pendingPause?.id && !a.ok: pendingPause = nil
                    case .end: pendingPause = nil
                    default: break
                    }
                    channel.update { s in feed.apply(m, to: &s) }
                case .timeout:
                    break
                case .malformed(let why):
                    channel.update { s in
                        s.events.append(TrainingEvent(kind: .warning, epoch: max(0, s.epoch), update: s.updates, time: s.elapsed,
                                                      message: "skipped a malformed line from the run: \(why.prefix(200))"))
                    }
                case .closed(let why):
                    let reason = feed.end?.reason ?? why
                    if feed.end == nil {
                        channel.update { s in
                            s.status = .finished("detached: \(why)")
                            s.summary = ["The connection to the run ended: \(why). Shown: what was received."]
                        }
                    }
                    state.withLock { $0.done = true; $0.reason = reason }
                    return
                }
            }
            connection.close()
            state.withLock { $0.done = true; if $0.reason == nil { $0.reason = "detached" } }
        }
        t.name = "trainboard-attach-client"
        thread = t
        t.start()
    }

    /// Detaches (the run goes on) and waits up to `seconds` for the reader thread to end.
    public func stop(waitingUpTo seconds: Double) {
        state.withLock { $0.detach = true }
        wait(upTo: seconds)
    }

    public func wait(upTo seconds: Double) {
        guard thread != nil else { return }
        let end = Date().addingTimeInterval(seconds)
        while !isDone && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
    }
}

/// Moves a value used by one thread at a time into a thread's closure.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
