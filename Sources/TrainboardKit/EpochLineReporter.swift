import Foundation
import SafeIO
import NeuralEngine

/// Prints one line per epoch in Keras's `verbose=2` style (Keras 3 `ProgbarLogger`):
///
///     Epoch 3/60
///     469/469 - 1s - 2ms/step - accuracy: 0.8712 - learning_rate: 0.0994 - loss: 0.3561 - val_accuracy: 0.8571 - val_loss: 0.4003
///
/// Metrics are sorted by name, as Keras prints them; values with |v| > 1e-3 use 4 decimals, smaller ones scientific
/// notation (Keras's `format_value`). Writes to `output` (stdout by default) and flushes every line, so piped output
/// stays live.
///
/// Thread-safety: not thread-safe; training thread only.
public final class EpochLineReporter: Callback {
    private let epochs: Int
    private let stepsPerEpoch: Int
    private let write: (String) -> Void
    private var pending: [String] = []
    private let writeMessage: (String) -> Void
    private var epochStart = Date()
    private var steps = 0

    /// - Parameters: `epochs` total (for "Epoch i/N"), `stepsPerEpoch` batches per epoch, `write` receives each line
    ///   without the newline (default: stdout, flushed); `writeMessage` receives the callback messages queued with
    ///   `message(_:)` right after the epoch line they belong to (default: stderr), as Keras prints
    ///   "Epoch 16: early stopping" after epoch 16's line.
    public init(epochs: Int, stepsPerEpoch: Int, write: ((String) -> Void)? = nil,
                writeMessage: ((String) -> Void)? = nil) {
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.writeMessage = writeMessage ?? { StandardError.write("trainboard: \($0)\n") }
        self.write = write ?? { line in
            print(line)
            fflush(nil)
        }
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) {
        epochStart = Date()
        steps = 0
        write("Epoch \(epoch + 1)/\(epochs)")
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) { steps = batch + 1 }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        let seconds = Date().timeIntervalSince(epochStart)
        write(Self.line(steps: steps, of: stepsPerEpoch, seconds: seconds, logs: logs))
        flushMessages()
    }

    public override func onTrainEnd(logs: Logs) { flushMessages() }

    /// Queues a message to print after the current epoch's line (training thread).
    public func message(_ text: String) { pending.append(text) }

    private func flushMessages() {
        for m in pending { writeMessage(m) }
        pending.removeAll()
    }

    /// The Keras-style summary line for one epoch.
    public static func line(steps: Int, of total: Int, seconds: Double, logs: Logs) -> String {
        let perStep = steps > 0 ? seconds / Double(steps) : 0
        let stepText = perStep >= 1 ? "\(Int(perStep.rounded()))s/step"
            : perStep >= 1e-3 ? "\(Int((perStep * 1e3).rounded()))ms/step" : "\(Int((perStep * 1e6).rounded()))us/step"
        var parts = ["\(steps)/\(total)", "\(Int(seconds.rounded()))s", stepText]
        for key in logs.keys.sorted() where !["batch_loss", "size"].contains(key) {
            parts.append("\(key): \(formatValue(logs[key] ?? .nan))")
        }
        return parts.joined(separator: " - ")
    }

    /// Keras's `format_value`: `%.4f` when |v| > 1e-3, else `%.4e`; NaN as `nan`, infinities as `inf`/`-inf`.
    public static func formatValue(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return abs(v) > 1e-3 ? String(format: "%.4f", v) : String(format: "%.4e", v)
    }
}

/// Appends one JSON object per line to a file: `{"event":"epoch","epoch":0,"loss":...}` at every epoch end and
/// `{"event":"train_end",...}` at the end; other components add their own events through `append`. Each line is
/// written with a single `write(2)` and flushed, so a crash loses at most the line being written.
/// NaN and infinities are written as `null` (JSON has no NaN), with the raw value as a string in `"<key>_raw"`.
///
/// Thread-safety: `append` is safe from any thread (serialised by a lock); the callback hooks run on the training
/// thread.
public final class JSONLinesLogger: ReportingCallback, @unchecked Sendable {
    private var file: AppendingFile
    private let lock = NSLock()
    /// The file written.
    public let path: String

    /// Opens (creates or truncates, or appends when `append`) `path` through `SafeIO.AppendingFile`: a line is
    /// written whole or not at all, `/dev/null` and FIFOs are written through, symbolic links followed. Throws a
    /// `ConfigurationError` for `--log-jsonl` naming the path when it cannot be opened.
    public init(path: String, append: Bool = false) throws {
        self.path = path
        do { file = try AppendingFile(path: path, truncate: !append, syncEachRecord: false) } catch {
            throw ConfigurationError(key: "log-jsonl", "\(error)")
        }
        super.init()
    }

    /// Appends one object. Values: numbers, strings, booleans; non-finite numbers become `null`.
    public func append(_ fields: [(String, Any)]) {
        var parts: [String] = []
        for (k, v) in fields {
            let key = Self.quote(k)
            switch v {
            case let d as Double:
                if d.isFinite { parts.append("\(key):\(Self.number(d))") } else {
                    parts.append("\(key):null"); parts.append("\(Self.quote(k + "_raw")):\(Self.quote("\(d)"))")
                }
            case let i as Int: parts.append("\(key):\(i)")
            case let b as Bool: parts.append("\(key):\(b)")
            case let s as String: parts.append("\(key):\(Self.quote(s))")
            default: parts.append("\(key):\(Self.quote("\(v)"))")
            }
        }
        let line = "{" + parts.joined(separator: ",") + "}\n"
        lock.lock(); defer { lock.unlock() }
        guard file.isOpen else { return }
        // A failed write (a full disk) ends the run cleanly: exit 1 with the path named, as for the CSV log.
        do { try file.append(line) } catch { fail("JSON-lines log: \(error)") }
    }

    /// The largest log read back on resume (64 MiB; a line per epoch is far less).
    static let maximumResumedBytes = 64 << 20

    /// On resume (`fit(..., resume:)`), the log continues the stopped run's as `CSVLogger`'s does: the lines of
    /// epochs before the resumed one are kept; the stopped run's later epoch lines and its `train_end` line are
    /// dropped (one atomic rewrite), so that the file equals an uninterrupted run's log.
    public override func onTrainBegin(logs: Logs) {
        guard let r = model?.resumedFrom, FileKind(path: path) == .regular else { return }
        lock.lock(); defer { lock.unlock() }
        do {
            let bytes = try SafeFile.read(path, limit: Self.maximumResumedBytes)
            var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
                .map(String.init)
            let before = lines.count
            lines = lines.filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    return true       // not ours to judge: kept as it was
                }
                if object["event"] as? String == "train_end" { return false }
                if object["event"] as? String == "epoch", let e = object["epoch"] as? Int { return e < r.resumeEpoch }
                return true
            }
            guard lines.count < before else { return }
            try file.close()
            try SafeFile.write(Array(lines.map { $0 + "\n" }.joined().utf8), to: path)
            file = try AppendingFile(path: path, truncate: false, syncEachRecord: false)
        } catch {
            fail("JSON-lines log: cannot resume the log: \(error)")
        }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        var fields: [(String, Any)] = [("event", "epoch"), ("epoch", epoch)]
        for k in logs.keys.sorted() { fields.append((k, logs[k] ?? .nan)) }
        append(fields)
    }

    public override func onTrainEnd(logs: Logs) {
        append([("event", "train_end"), ("epoch", model?.currentEpoch ?? -1)])
        lock.lock(); defer { lock.unlock() }
        do { try file.close() } catch { fail("JSON-lines log: \(error)") }
    }

    static func number(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    static func quote(_ s: String) -> String { TextCheck.jsonQuoted(s) }
}
