#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SafeIO

/// Streams epoch results to a CSV file (Keras `keras.callbacks.CSVLogger`, `keras/src/callbacks/csv_logger.py`).
/// One row per epoch.
///
/// Columns: `epoch` (0-based, as Keras writes it), then the keys of the first epoch's logs, sorted. Later epochs
/// are written in those columns: a missing key is written `NA`, an extra key is dropped (Keras's `DictWriter`
/// raises on extra keys; a key appearing later should not kill training). Keras also adds `val_` copies of all
/// keys when the first epoch has no validation keys (for `validation_freq > 1`); Trainboard validates every epoch
/// or never, so that is not done.
///
/// Values: Python's `repr(float)` form (shortest round-trip: `0.25`, `1e-05`, `1e+16`), NaN as `nan`, infinities
/// as `inf`/`-inf`. Fields containing the separator, a quote or a line break are quoted (`csv.QUOTE_MINIMAL`).
///
/// Header: written when the file is created or truncated, or when appending to a file that is missing or whose
/// first line is empty (Keras). With `append` and a non-empty file, no header is written.
///
/// Durability: each row goes through `SafeIO.AppendingFile`: one `write(2)` followed by `fsync(2)`, so finished
/// epochs survive a crash or a signal, and a row that fails part-way (a full disk) is cut off again: a row is in the
/// file whole or not at all. `/dev/null`, a FIFO or a symbolic link are written through, never replaced. Line terminator `\n` by default (Python's `csv.excel` writes `\r\n`; pass it to match).
///
/// Resume (`fit(..., resume:)`, whatever `append` says): the log continues the stopped run's. Its header and the rows
/// of the epochs before the resumed one are kept (rows of later epochs, written after the checkpoint was taken, are
/// dropped: the resumed run writes them again), with one atomic rewrite (`SafeFile.write`) when anything is dropped.
/// New rows use the header's columns; when the resumed run logs keys the header lacks (e.g. a schedule added), the
/// file is rewritten once with those columns appended to the header (sorted) and `NA` in the earlier rows, so
/// columns never shift. A missing or empty log starts with a header, as usual.
///
/// Errors: a file that cannot be opened or written is recorded as an `.error` and stops training (Keras raises).
///
/// Thread-safety: not thread-safe; training thread only.
public final class CSVLogger: ReportingCallback {
    /// The file written.
    public let path: String
    /// The field separator (Keras `separator`, default ",").
    public let separator: String
    /// Append to an existing file instead of truncating it.
    public let append: Bool
    /// The line terminator.
    public let lineTerminator: String
    /// The columns after `epoch`, fixed by the first epoch logged in this `fit` (nil before it).
    public private(set) var keys: [String]?

    private var file: AppendingFile?
    private var writeHeader = true
    /// On resume: the kept lines (header first) and their columns, until the first epoch end checks for new keys.
    private var resumedLines: [String]?

    /// The largest log read back on resume (64 MiB; a row per epoch is far less).
    static let maximumResumedBytes = 64 << 20

    /// - Parameters:
    ///   - path: the CSV file.
    ///   - separator: field separator.
    ///   - append: append to an existing file.
    ///   - lineTerminator: end of each line (default "\n").
    public init(path: String, separator: String = ",", append: Bool = false, lineTerminator: String = "\n") {
        self.path = path
        self.separator = separator
        self.append = append
        self.lineTerminator = lineTerminator
        super.init()
    }

    public override func onTrainBegin(logs: Logs) {
        try? file?.close()
        file = nil
        keys = nil
        writeHeader = true
        resumedLines = nil
        if let r = model?.resumedFrom {
            resume(before: r.resumeEpoch)
            return
        }
        if append {
            let r = open(path, O_RDONLY)
            if r >= 0 {
                var c: UInt8 = 0
                let n = read(r, &c, 1)
                // Keras: header unless the first line has content (`not bool(len(f.readline()))`).
                writeHeader = !(n == 1)
                close(r)
            }
        }
        do { file = try AppendingFile(path: path, truncate: !append) } catch {
            fail("CSVLogger: \(error)")
        }
    }

    /// Keeps the header and the rows of epochs before `epoch`, then opens the file for appending.
    private func resume(before epoch: Int) {
        if FileKind(path: path) == .regular {
            let bytes: [UInt8]
            do { bytes = try SafeFile.read(path, limit: Self.maximumResumedBytes) } catch {
                fail("CSVLogger: cannot resume the log: \(error)")
                return
            }
            var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            lines = lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
            if let header = lines.first, !header.isEmpty {
                var kept = [header]
                for line in lines.dropFirst() {
                    let first = line.prefix { String($0) != separator }
                    if let e = Int(first), e >= epoch { break }
                    kept.append(line)
                }
                if kept.count < lines.count {
                    let text = kept.map { $0 + lineTerminator }.joined()
                    do { try SafeFile.write(Array(text.utf8), to: path) } catch {
                        fail("CSVLogger: cannot resume the log: \(error)")
                        return
                    }
                }
                keys = Array(split(header).dropFirst())
                writeHeader = false
                resumedLines = kept
            }
        }
        do { file = try AppendingFile(path: path, truncate: false) } catch {
            fail("CSVLogger: \(error)")
        }
    }

    /// The fields of one line (`quote`'s inverse: `"` quoting with doubled quotes).
    private func split(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var chars = Array(line)[...]
        let sep = Array(separator)
        while let c = chars.first {
            if quoted {
                chars.removeFirst()
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
                chars.removeFirst()
            } else if !sep.isEmpty, chars.starts(with: sep) {
                fields.append(field)
                field = ""
                chars.removeFirst(sep.count)
            } else {
                field.append(c)
                chars.removeFirst()
            }
        }
        fields.append(field)
        return fields
    }

    /// On the first epoch of a resumed run: adds the keys the header lacks (rewriting the file once, `NA` in the
    /// earlier rows).
    private func widenResumedLog(for logs: Logs) {
        guard let lines = resumedLines, let columns = keys else { return }
        resumedLines = nil
        let added = logs.keys.filter { !columns.contains($0) }.sorted()
        guard !added.isEmpty else { return }
        let header = lines[0] + separator + added.map(quote).joined(separator: separator)
        let pad = String(repeating: separator + "NA", count: added.count)
        let text = ([header] + lines.dropFirst().map { $0 + pad }).map { $0 + lineTerminator }.joined()
        do {
            try file?.close()
            file = nil
            try SafeFile.write(Array(text.utf8), to: path)
            file = try AppendingFile(path: path, truncate: false)
            keys = columns + added
        } catch {
            fail("CSVLogger: cannot add the columns \(added.joined(separator: ", ")) to the resumed log: \(error)")
            file = nil
        }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        widenResumedLog(for: logs)
        guard file != nil else { return }
        var text = ""
        if keys == nil { keys = logs.keys.sorted() }
        let columns = keys ?? []
        if writeHeader {
            text += (["epoch"] + columns).map(quote).joined(separator: separator) + lineTerminator
            writeHeader = false
        }
        let row = [String(epoch)] + columns.map { logs[$0].map(CSVLogger.format) ?? "NA" }
        text += row.map(quote).joined(separator: separator) + lineTerminator
        writeAll(text)
    }

    public override func onTrainEnd(logs: Logs) {
        do { try file?.close() } catch { fail("CSVLogger: \(error)") }
        file = nil
    }

    /// Python's `repr` of a float: shortest round-trip digits, `nan`, `inf`, `-inf`.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        return v.description
    }

    private func quote(_ field: String) -> String {
        guard field.contains(separator) || field.contains("\"") || field.contains("\n") || field.contains("\r")
        else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func writeAll(_ text: String) {
        do { try file?.append(text) } catch {
            fail("CSVLogger: \(error)")
            file = nil
        }
    }
}
