import Foundation

/// The attach protocol, version 1 (`docs/attach-protocol.md`): message types, their JSON form, and the limits.
///
/// Encoding: one JSON object per line with `"v": 1` and `"type"`; keys are the document's snake_case names; numbers
/// that are not finite are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (and are accepted so wherever a number
/// is expected); a field that may be null is written as `null` when absent. Decoding ignores unknown fields and
/// refuses another `v`.
///
/// Thread-safety: stateless; every function is safe from any thread.
public enum AttachProtocol {
    /// The protocol version this code speaks.
    public static let version = 1
    /// The longest line a client may send (bytes, without the newline): 64 KiB.
    public static let clientLineLimit = 64 * 1024
    /// The longest line a run may send (bytes, without the newline): 1 MiB.
    public static let runLineLimit = 1 << 20
    /// The commands a Trainboard run accepts.
    public static let commands = ["pause", "resume", "stop", "checkpoint", "set_lr", "scale_lr"]

    /// A line that is not a valid message: the text says what was wrong (for the `error` reply).
    public struct DecodeError: Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        /// The offending message's `id`, when it had a readable one.
        public let id: Int?
        public init(_ message: String, id: Int? = nil) { self.message = message; self.id = id }
        public var description: String { message }
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    /// The line for `value` (a `RunMessage` or `ClientMessage`), without the newline. JSON escapes every control
    /// character, so the line holds no raw newline.
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        // Encoding these types cannot fail: every value is a string, a number (non-finite ones become strings),
        // a bool, null, or an object/array of those.
        (try? Array(encoder().encode(value))) ?? Array(#"{"v":1,"type":"error","id":null,"message":"cannot encode"}"#.utf8)
    }

    /// `v` and `type` of a line, after checking that it is a JSON object of version 1.
    static func envelope(_ line: [UInt8]) throws -> (type: String, id: Int?) {
        guard !line.isEmpty else { throw DecodeError("empty line; expected a JSON object") }
        let env: Envelope
        do { env = try decoder().decode(Envelope.self, from: Data(line)) } catch {
            throw DecodeError("not a JSON object with \"v\" and \"type\": \(describe(error))")
        }
        guard env.v == version else {
            throw DecodeError("unsupported protocol version \(env.v); this side speaks version \(version)", id: env.id)
        }
        return (env.type, env.id)
    }

    /// A short reason for a decoding error (the field that was wrong), without the library's wording.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            return "missing field \"\(path(ctx.codingPath + [key]))\""
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "field \"\(path(ctx.codingPath))\" has the wrong type"
        case DecodingError.dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "malformed JSON" : "field \"\(path(ctx.codingPath))\" is invalid"
        default:
            return "malformed JSON"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ line: [UInt8], kind: String, id: Int?) throws -> T {
        do { return try decoder().decode(T.self, from: Data(line)) } catch {
            throw DecodeError("bad \"\(kind)\" message: \(describe(error))", id: id)
        }
    }
}

private struct Envelope: Decodable {
    let v: Int
    let type: String
    let id: Int?
    enum CodingKeys: String, CodingKey { case v, type, id }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        v = try c.decode(Int.self, forKey: .v)
        type = try c.decode(String.self, forKey: .type)
        id = try? c.decodeIfPresent(Int.self, forKey: .id)
    }
}

/// The model in `hello`: a text summary and the number of parameters.
public struct ModelInfo: Codable, Equatable, Sendable {
    public var summary: String
    public var params: Int?
    public init(summary: String, params: Int?) { self.summary = summary; self.params = params }
    enum CodingKeys: String, CodingKey { case summary, params }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary, forKey: .summary)
        try c.encode(params, forKey: .params)
    }
}

/// `hello`: the first message on every connection.
public struct Hello: Codable, Equatable, Sendable {
    public var framework: String
    public var name: String
    public var pid: Int
    public var model: ModelInfo
    public var epochs: Int
    /// Batches per epoch, nil when unknown.
    public var stepsPerEpoch: Int?
    /// Samples per batch, nil when unknown.
    public var batchSize: Int?
    /// The log keys the run will report.
    public var metrics: [String]
    public var learningRate: Double
    /// `running`, `paused`, `stopping` or `finished`.
    public var state: String
    /// The commands this run accepts.
    public var commands: [String]

    public init(framework: String, name: String, pid: Int, model: ModelInfo, epochs: Int, stepsPerEpoch: Int?,
                batchSize: Int?, metrics: [String], learningRate: Double, state: String,
                commands: [String] = AttachProtocol.commands) {
        self.framework = framework; self.name = name; self.pid = pid; self.model = model; self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch; self.batchSize = batchSize; self.metrics = metrics
        self.learningRate = learningRate; self.state = state; self.commands = commands
    }

    enum CodingKeys: String, CodingKey {
        case framework, name, pid, model, epochs, metrics, state, commands
        case stepsPerEpoch = "steps_per_epoch", batchSize = "batch_size", learningRate = "learning_rate"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        framework = try c.decode(String.self, forKey: .framework)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        pid = try c.decodeIfPresent(Int.self, forKey: .pid) ?? 0
        model = try c.decodeIfPresent(ModelInfo.self, forKey: .model) ?? ModelInfo(summary: "", params: nil)
        epochs = try c.decode(Int.self, forKey: .epochs)
        stepsPerEpoch = try c.decodeIfPresent(Int.self, forKey: .stepsPerEpoch)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize)
        metrics = try c.decodeIfPresent([String].self, forKey: .metrics) ?? []
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? .nan
        state = try c.decodeIfPresent(String.self, forKey: .state) ?? "running"
        commands = try c.decodeIfPresent([String].self, forKey: .commands) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(framework, forKey: .framework)
        try c.encode(name, forKey: .name)
        try c.encode(pid, forKey: .pid)
        try c.encode(model, forKey: .model)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(stepsPerEpoch, forKey: .stepsPerEpoch)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(state, forKey: .state)
        try c.encode(commands, forKey: .commands)
    }
}

/// `batch`: after each training batch. `logs` are Keras's batch logs; `learningRate` the rate this batch's update used.
public struct BatchMessage: Codable, Equatable, Sendable {
    public var epoch: Int
    public var batch: Int
    public var update: Int
    public var time: Double
    public var logs: [String: Double]
    public var learningRate: Double?
    public init(epoch: Int, batch: Int, update: Int, time: Double, logs: [String: Double], learningRate: Double?) {
        self.epoch = epoch; self.batch = batch; self.update = update; self.time = time; self.logs = logs
        self.learningRate = learningRate
    }
    enum CodingKeys: String, CodingKey { case epoch, batch, update, time, logs, learningRate = "learning_rate" }
}

/// `epoch`: after each epoch; `logs` hold the training and `val_` keys.
public struct EpochMessage: Codable, Equatable, Sendable {
    public var epoch: Int
    public var update: Int
    public var time: Double
    public var logs: [String: Double]
    public var learningRate: Double?
    public init(epoch: Int, update: Int, time: Double, logs: [String: Double], learningRate: Double?) {
        self.epoch = epoch; self.update = update; self.time = time; self.logs = logs; self.learningRate = learningRate
    }
    enum CodingKeys: String, CodingKey { case epoch, update, time, logs, learningRate = "learning_rate" }
}

/// `event`: something happened (`kind`: pause, resume, checkpoint, lr_change, plateau, nan, early_stop, stop, info,
/// warning, error); `path` for a checkpoint.
public struct EventMessage: Codable, Equatable, Sendable {
    public var kind: String
    public var epoch: Int
    public var update: Int
    public var time: Double
    public var message: String
    public var path: String?
    public init(kind: String, epoch: Int, update: Int, time: Double, message: String, path: String? = nil) {
        self.kind = kind; self.epoch = epoch; self.update = update; self.time = time; self.message = message
        self.path = path
    }
}

/// What a command changed: the learning rate from `update` on, or the checkpoint file written.
public struct Applied: Codable, Equatable, Sendable {
    public var learningRate: Double?
    public var path: String?
    public init(learningRate: Double? = nil, path: String? = nil) { self.learningRate = learningRate; self.path = path }
    enum CodingKeys: String, CodingKey { case learningRate = "learning_rate", path }
}

/// `ack`: a command took effect (`ok`) or failed; sent to every attached client.
public struct Ack: Codable, Equatable, Sendable {
    /// The command's id, nil for a command from the run's own dashboard or a command without id.
    public var id: Int?
    public var command: String
    public var ok: Bool
    public var applied: Applied
    /// Updates done when the command took effect; for `set_lr`/`scale_lr`, the first update that uses the new rate.
    public var update: Int
    public var message: String
    /// The connection number that sent the command (0: the run's own dashboard).
    public var from: Int
    public init(id: Int?, command: String, ok: Bool, applied: Applied = Applied(), update: Int, message: String, from: Int) {
        self.id = id; self.command = command; self.ok = ok; self.applied = applied; self.update = update
        self.message = message; self.from = from
    }
    enum CodingKeys: String, CodingKey { case id, command, ok, applied, update, message, from }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        command = try c.decode(String.self, forKey: .command)
        ok = try c.decode(Bool.self, forKey: .ok)
        applied = try c.decodeIfPresent(Applied.self, forKey: .applied) ?? Applied()
        update = try c.decodeIfPresent(Int.self, forKey: .update) ?? 0
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
        from = try c.decodeIfPresent(Int.self, forKey: .from) ?? 0
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(command, forKey: .command)
        try c.encode(ok, forKey: .ok)
        try c.encode(applied, forKey: .applied)
        try c.encode(update, forKey: .update)
        try c.encode(message, forKey: .message)
        try c.encode(from, forKey: .from)
    }
}

/// `error`: to the sender of a malformed, unknown or oversized line; `id` when the line had one.
public struct ErrorMessage: Codable, Equatable, Sendable {
    public var id: Int?
    public var message: String
    public init(id: Int?, message: String) { self.id = id; self.message = message }
    enum CodingKeys: String, CodingKey { case id, message }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(message, forKey: .message)
    }
}

/// `end`: training ended; the run closes the connections after it.
public struct EndMessage: Codable, Equatable, Sendable {
    public var reason: String
    public var epoch: Int
    public var update: Int
    public init(reason: String, epoch: Int, update: Int) { self.reason = reason; self.epoch = epoch; self.update = update }
}

private struct IDOnly: Codable, Equatable {
    var id: Int?
    enum CodingKeys: String, CodingKey { case id }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
    }
}

private struct CountOnly: Codable { var count: Int }

private enum EnvelopeKeys: String, CodingKey { case v, type }

private func encodeEnvelope(_ type: String, _ payload: Encodable, to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: EnvelopeKeys.self)
    try c.encode(AttachProtocol.version, forKey: .v)
    try c.encode(type, forKey: .type)
    try payload.encode(to: encoder)
}

/// A message from the run to its clients.
public enum RunMessage: Encodable, Equatable, Sendable {
    case hello(Hello)
    case batch(BatchMessage)
    case epoch(EpochMessage)
    case event(EventMessage)
    /// After the replayed history: how many messages it held.
    case historyEnd(count: Int)
    case ack(Ack)
    case error(ErrorMessage)
    case pong(id: Int?)
    case end(EndMessage)

    /// The `type` field.
    public var type: String {
        switch self {
        case .hello: return "hello"
        case .batch: return "batch"
        case .epoch: return "epoch"
        case .event: return "event"
        case .historyEnd: return "history_end"
        case .ack: return "ack"
        case .error: return "error"
        case .pong: return "pong"
        case .end: return "end"
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .hello(let m): try encodeEnvelope(type, m, to: encoder)
        case .batch(let m): try encodeEnvelope(type, m, to: encoder)
        case .epoch(let m): try encodeEnvelope(type, m, to: encoder)
        case .event(let m): try encodeEnvelope(type, m, to: encoder)
        case .historyEnd(let n): try encodeEnvelope(type, CountOnly(count: n), to: encoder)
        case .ack(let m): try encodeEnvelope(type, m, to: encoder)
        case .error(let m): try encodeEnvelope(type, m, to: encoder)
        case .pong(let id): try encodeEnvelope(type, IDOnly(id: id), to: encoder)
        case .end(let m): try encodeEnvelope(type, m, to: encoder)
        }
    }

    /// The line for this message (no newline).
    public var line: [UInt8] { AttachProtocol.encode(self) }

    /// Reads one line from a run. Throws `AttachProtocol.DecodeError` for malformed JSON, another version, an unknown
    /// type or a missing/mistyped field; unknown fields are ignored.
    public static func decode(_ line: [UInt8]) throws -> RunMessage {
        let (type, id) = try AttachProtocol.envelope(line)
        func d<T: Decodable>(_ t: T.Type) throws -> T { try AttachProtocol.decode(t, line, kind: type, id: id) }
        switch type {
        case "hello": return .hello(try d(Hello.self))
        case "batch": return .batch(try d(BatchMessage.self))
        case "epoch": return .epoch(try d(EpochMessage.self))
        case "event": return .event(try d(EventMessage.self))
        case "history_end": return .historyEnd(count: try d(CountOnly.self).count)
        case "ack": return .ack(try d(Ack.self))
        case "error": return .error(try d(ErrorMessage.self))
        case "pong": return .pong(id: id)
        case "end": return .end(try d(EndMessage.self))
        default: throw AttachProtocol.DecodeError("unknown message type \"\(type)\"", id: id)
        }
    }
}

/// `command`: steer the run. `value` for `set_lr`/`scale_lr`, `path` (optional) for `checkpoint`.
public struct CommandMessage: Codable, Equatable, Sendable {
    public var id: Int?
    public var command: String
    public var value: Double?
    public var path: String?
    public init(id: Int?, command: String, value: Double? = nil, path: String? = nil) {
        self.id = id; self.command = command; self.value = value; self.path = path
    }
}

private struct TokenOnly: Codable { var token: String }

/// A message from a client to the run.
public enum ClientMessage: Encodable, Equatable, Sendable {
    /// TCP only: the first line, with the run's token.
    case auth(token: String)
    case command(CommandMessage)
    case ping(id: Int?)

    public var type: String {
        switch self {
        case .auth: return "auth"
        case .command: return "command"
        case .ping: return "ping"
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .auth(let t): try encodeEnvelope(type, TokenOnly(token: t), to: encoder)
        case .command(let m): try encodeEnvelope(type, m, to: encoder)
        case .ping(let id): try encodeEnvelope(type, IDOnly(id: id), to: encoder)
        }
    }

    /// The line for this message (no newline).
    public var line: [UInt8] { AttachProtocol.encode(self) }

    /// Reads one line from a client; throws `AttachProtocol.DecodeError` as `RunMessage.decode`.
    public static func decode(_ line: [UInt8]) throws -> ClientMessage {
        let (type, id) = try AttachProtocol.envelope(line)
        switch type {
        case "auth": return .auth(token: try AttachProtocol.decode(TokenOnly.self, line, kind: type, id: id).token)
        case "command": return .command(try AttachProtocol.decode(CommandMessage.self, line, kind: type, id: id))
        case "ping": return .ping(id: id)
        default: throw AttachProtocol.DecodeError("unknown message type \"\(type)\"", id: id)
        }
    }
}

/// The discovery file `<dir>/<name>-<pid>.json` next to a run's socket or token.
public struct DiscoveryEntry: Codable, Equatable, Sendable {
    public var v: Int
    public var name: String
    public var pid: Int
    public var framework: String
    /// Unix seconds when the run started listening.
    public var started: Double
    public var socket: String?
    public var tcp: String?
    public var tokenFile: String?
    public init(name: String, pid: Int, framework: String, started: Double, socket: String?, tcp: String?, tokenFile: String?) {
        v = AttachProtocol.version
        self.name = name; self.pid = pid; self.framework = framework; self.started = started
        self.socket = socket; self.tcp = tcp; self.tokenFile = tokenFile
    }
    enum CodingKeys: String, CodingKey { case v, name, pid, framework, started, socket, tcp, tokenFile = "token_file" }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(v, forKey: .v)
        try c.encode(name, forKey: .name)
        try c.encode(pid, forKey: .pid)
        try c.encode(framework, forKey: .framework)
        try c.encode(started, forKey: .started)
        try c.encode(socket, forKey: .socket)
        try c.encode(tcp, forKey: .tcp)
        try c.encode(tokenFile, forKey: .tokenFile)
    }
    /// Reads a discovery file's bytes; throws `DecodeError` when they are not one.
    public static func decode(_ bytes: [UInt8]) throws -> DiscoveryEntry {
        do { return try AttachProtocol.decoder().decode(DiscoveryEntry.self, from: Data(bytes)) } catch {
            throw AttachProtocol.DecodeError("not a discovery file: \(AttachProtocol.describe(error))")
        }
    }
}
