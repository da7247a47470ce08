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

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
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
