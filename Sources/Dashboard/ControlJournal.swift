import Foundation
import SafeIO

/// One manual action taken during training, as recorded in the JSON-lines control journal
/// (`{"action":"lr_scale","epoch":3,"update":1406,"time":12.5,"learning_rate":0.125,"factor":1.25}`).
///
/// `learningRate` is the base learning rate after the action (for `lr_scale`/`lr_set`); replaying a journal sets
/// exactly that rate before update `update`, which reproduces a hand-steered run as a schedule.
/// Thread-safety: a value; safe to send between threads.
public struct JournalEntry: Codable, Equatable, Sendable {
    /// `pause`, `resume`, `checkpoint` (requested; the file is written in the background), `checkpoint_failed` (that
    /// write failed; same epoch, update and path), `stop`, `lr_scale`, `lr_set`.
    public var action: String
    /// Epoch (0-based) when it was applied.
    public var epoch: Int
    /// Optimizer updates already done when it was applied: the change affects update `update` onwards.
    public var update: Int
    /// Seconds since training started.
    public var time: Double
    /// Base learning rate after the action.
    public var learningRate: Double?
    /// The factor for `lr_scale`.
    public var factor: Double?
    /// The file written by `checkpoint`.
    public var path: String?

    enum CodingKeys: String, CodingKey {
        case action, epoch, update, time, learningRate = "learning_rate", factor, path
    }

    public init(action: String, epoch: Int, update: Int, time: Double, learningRate: Double? = nil,
                factor: Double? = nil, path: String? = nil) {
        self.action = action; self.epoch = epoch; self.update = update; self.time = time
        self.learningRate = learningRate; self.factor = factor; self.path = path
    }
}

/// Appends journal entries to a file, one JSON object a line, through `SafeIO.AppendingFile` (one `write` and an
/// `fsync` per line; a line that fails part-way is cut off again). The file is created (truncating an old one) on the
/// first entry, so a run without manual actions leaves no file behind. `/dev/null` and FIFOs are written through and a
/// symbolic link is followed, never replaced.
///
/// Thread-safety: `append` is serialised by a lock and safe from any thread.
public final class ControlJournalWriter: @unchecked Sendable {
    private var file: AppendingFile?
    private let lock = NSLock()
    /// The journal file.
    public let path: String
    /// The error of the last failed write, if any.
    public private(set) var lastError: String?

    public init(path: String) { self.path = path }

    /// Appends one entry, creating the file on first use.
    ///
    /// - Throws: `JournalError.cannotWrite` naming the path and the reason (a full disk, no permission) when the line
    ///   could not be written; the file then holds only whole earlier lines, and later appends throw too.
    public func append(_ entry: JournalEntry) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        // JournalEntry holds only numbers and strings; with non-finite numbers written as strings it always encodes.
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? enc.encode(entry) else { return }
        lock.lock(); defer { lock.unlock() }
        if let lastError { throw JournalError.cannotWrite(path: path, reason: lastError) }
        do {
            if file == nil { file = try AppendingFile(path: path, truncate: true) }
            try file?.append([UInt8](data) + [10])
        } catch let e as FileError {
            lastError = e.reason
            file = nil
            throw JournalError.cannotWrite(path: path, reason: e.reason)
        }
    }
}

/// Reading a journal back.
public enum ControlJournal {
    /// The largest journal read (16 MiB, about 100,000 entries).
    public static let maximumFileBytes = 16 << 20

    /// Parses and validates a journal file: every line a JSON object with a known `action`, `epoch` and `update`
    /// non-negative, `time` finite, `learning_rate` finite and >= 0 (as `--lr` is checked), `factor` finite and > 0.
    ///
    /// - Throws: `JournalError.cannotRead` (missing, not a regular file, larger than `maximumFileBytes`, not UTF-8
    ///   text: with the byte offset) or `.malformed` naming the file, line and field.
    public static func read(_ path: String) throws -> [JournalEntry] {
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path, limit: maximumFileBytes) } catch let e as FileError {
            throw JournalError.cannotRead(path: path, reason: e.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = TextCheck.firstInvalidUTF8Offset(bytes) ?? 0
            throw JournalError.cannotRead(path: path, reason: "not UTF-8 text (invalid byte at offset \(offset))")
        }
        var out: [JournalEntry] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            let entry: JournalEntry
            do { entry = try JSONDecoder().decode(JournalEntry.self, from: Data(t.utf8)) } catch {
                throw JournalError.malformed(path: path, line: i + 1, reason: describe(error))
            }
            if let problem = problem(in: entry) { throw JournalError.malformed(path: path, line: i + 1, reason: problem) }
            out.append(entry)
        }
        return out
    }

    /// The actions a journal may hold.
    public static let actions: Set<String> = ["pause", "resume", "checkpoint", "checkpoint_failed", "stop", "lr_scale", "lr_set"]

    /// What is wrong with `entry`, or nil.
    static func problem(in entry: JournalEntry) -> String? {
        if !actions.contains(entry.action) {
            return "action: expected one of \(actions.sorted().joined(separator: ", ")), got '\(TextCheck.excerpt(entry.action))'"
        }
        if entry.epoch < 0 { return "epoch: expected a whole number >= 0, got \(entry.epoch)" }
        if entry.update < 0 { return "update: expected a whole number >= 0, got \(entry.update)" }
        if !entry.time.isFinite { return "time: expected a finite number of seconds, got \(entry.time)" }
        if let lr = entry.learningRate, !(lr.isFinite && lr >= 0) {
            return "learning_rate: expected a finite number >= 0, got \(lr)"
        }
        if let f = entry.factor, !(f.isFinite && f > 0) { return "factor: expected a finite number > 0, got \(f)" }
        if (entry.action == "lr_scale" || entry.action == "lr_set") && entry.learningRate == nil {
            return "learning_rate: missing for action \(entry.action)"
        }
        return nil
    }

    /// A decoding error in plain words: the field and what was wrong, not a Swift dump.
    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .typeMismatch(let type, let c), .valueNotFound(let type, let c):
            let field = c.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(field.isEmpty ? "entry" : field): expected \(type == String.self ? "text" : "a number")"
        case .dataCorrupted(let c):
            let field = c.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? "not a JSON object" : "\(field): invalid value"
        default: return "not a JSON object"
        }
    }
}

public enum JournalError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let p, let r): return "\(p): cannot write the control journal: \(r)"
        case .cannotRead(let p, let r): return "\(p): cannot read the journal: \(r)"
        case .malformed(let p, let l, let r): return "\(p):\(l): not a journal entry: \(r)"
        }
    }
}
