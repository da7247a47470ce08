#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
/// Durability: each row is written with one `write(2)` and followed by `fsync(2)`, so finished epochs survive a
/// crash or a signal. Line terminator `\n` by default (Python's `csv.excel` writes `\r\n`; pass it to match).
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

    private var fd: Int32 = -1
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

    deinit { if fd >= 0 { close(fd) } }

    public override func onTrainBegin(logs: Logs) {
        if fd >= 0 { close(fd); fd = -1 }
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
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        fd = open(path, flags, 0o644)
        if fd < 0 {
            fail("CSVLogger: cannot open \(path): \(String(cString: strerror(errno)))")
        }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) {
        guard fd >= 0 else { return }
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
        if fd >= 0 { close(fd); fd = -1 }
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
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { b in
                write(fd, b.baseAddress.map { $0 + offset }, b.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                fail("CSVLogger: cannot write \(path): \(String(cString: strerror(errno)))")
                close(fd)
                fd = -1
                return
            }
            offset += n
        }
        _ = fsync(fd)
    }
}
