import Foundation

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

/// Appends journal entries to a file, one JSON object a line, written with one `write` per line. The file is created
/// (truncating an old one) on the first entry, so a run without manual actions leaves no file behind.
///
/// Thread-safety: `append` is serialised by a lock and safe from any thread.
public final class ControlJournalWriter: @unchecked Sendable {
    private var handle: FileHandle?
    private let lock = NSLock()
    /// The journal file.
    public let path: String
    /// The error of the last failed write, if any (a journal failure never stops training).
    public private(set) var lastError: String?

    public init(path: String) { self.path = path }

    deinit { try? handle?.close() }

    /// Appends one entry, creating the file on first use.
    public func append(_ entry: JournalEntry) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        guard let data = try? enc.encode(entry) else { return }
        lock.lock(); defer { lock.unlock() }
        if handle == nil {
            let url = URL(fileURLWithPath: path)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let h = try? FileHandle(forWritingTo: url) else {
                lastError = "\(path): cannot create the control journal"
                return
            }
            handle = h
        }
        handle?.write(data + Data("\n".utf8))
    }
}

/// Reading a journal back.
public enum ControlJournal {
    /// Parses a journal file. Throws `JournalError` naming the file and line of a malformed entry.
    public static func read(_ path: String) throws -> [JournalEntry] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw JournalError.cannotRead(path: path, reason: error.localizedDescription)
        }
        var out: [JournalEntry] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            do { out.append(try JSONDecoder().decode(JournalEntry.self, from: Data(t.utf8))) } catch {
                throw JournalError.malformed(path: path, line: i + 1, reason: "\(error)")
            }
        }
        return out
    }
}

public enum JournalError: Error, CustomStringConvertible {
    case cannotWrite(path: String)
    case cannotRead(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let p): return "\(p): cannot create the control journal"
        case .cannotRead(let p, let r): return "\(p): cannot read the journal: \(r)"
        case .malformed(let p, let l, let r): return "\(p):\(l): not a journal entry: \(r)"
        }
    }
}
