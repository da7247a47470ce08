import Foundation
import SafeIO

/// The per-epoch logs of a finished run, read back from its log file: a CSVLogger file (Trainboard's `--csv-log`
/// or Keras's `keras.callbacks.CSVLogger`, any columns) or a JSON-lines log (Trainboard's `--log-jsonl`).
///
/// Rows are kept in file order (a file appended to by a resumed run keeps both parts); `epochs[i]` is the `epoch`
/// value of row `i` as written (Keras logs count from 0). Values are `nil` where the file has no value (`NA`, an
/// empty cell, a key missing from a JSON line) and keep `nan`, `inf` and `-inf` as written.
///
/// Thread-safety: a value; safe to send between threads.
public struct RunLog: Sendable, Equatable {
    /// Which writer's format the file was read as.
    public enum Format: String, Sendable { case csv, jsonLines = "json-lines" }

    /// The path given.
    public var path: String
    /// The file name (last path component): how summaries name the run.
    public var name: String
    public var format: Format
    /// Log keys (`loss`, `val_loss`, `accuracy`, `auc`, `learning_rate`, ...) in file order, without `epoch`.
    public var keys: [String]
    /// The `epoch` value of each row.
    public var epochs: [Int]
    /// Per key, one value per row (`nil` = not logged in that row).
    public var values: [String: [Double?]]

    public init(path: String, format: Format, keys: [String], epochs: [Int], values: [String: [Double?]]) {
        self.path = path; self.name = SafeFile.baseName(of: path); self.format = format
        self.keys = keys; self.epochs = epochs; self.values = values
    }

    /// Number of rows (epochs logged).
    public var count: Int { epochs.count }

    /// The largest log file read (32 MiB: some 150,000 epochs of a 10-column CSV log).
    public static let maximumFileBytes = 32 << 20
    /// The most columns a log may have.
    public static let maximumColumns = 4_096

    /// Reads `path` as a JSON-lines log when its first non-blank character is `{`, else as a CSV log.
    ///
    /// CSV: the first line is the header and must have an `epoch` column; the separator is `,` (Keras's default), or
    /// `;` or a tab when the header has no comma; `\r\n` (Python's csv module) and `\n` line ends; fields may be
    /// quoted (`csv.QUOTE_MINIMAL`). Every row has as many fields as the header; `epoch` is a whole number; other
    /// cells are numbers (`repr(float)`, `nan`, `inf`, `-inf`), or `NA` / empty for a missing value.
    /// JSON lines: one object per line; lines with an `"event"` other than `"epoch"` (`train_end`) are skipped; each
    /// other line needs a whole-number `"epoch"`; its number fields are the logs, `null` with a `"<key>_raw"` string
    /// (`"nan"`, `"inf"`) is that non-finite value (Trainboard's `JSONLinesLogger`); strings and booleans are ignored.
    ///
    /// - Throws: `RunLogError` naming the file, and the line where there is one: unreadable (missing, not a regular
    ///   file, larger than `maximumFileBytes`, not UTF-8), empty, no `epoch` column, a ragged row, a cell that is not
    ///   a number, no numeric column besides `epoch`, a JSON line that is not an object.
    public static func read(_ path: String) throws -> RunLog {
        let bytes: [UInt8]
        do { bytes = try SafeFile.read(path, limit: maximumFileBytes) } catch let e as FileError {
            throw RunLogError(path: path, line: nil, e.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = TextCheck.firstInvalidUTF8Offset(bytes) ?? 0
            throw RunLogError(path: path, line: nil, "not UTF-8 text (invalid byte at offset \(offset))")
        }
        return try parse(text, path: path)
    }

    /// Parses log text (see `read`); `path` names the file in errors.
    public static func parse(_ text: String, path: String) throws -> RunLog {
        let first = text.first { !$0.isWhitespace }
        guard let first else { throw RunLogError(path: path, line: nil, "empty file: expected a CSV header line "
                                                  + "(epoch,loss,...) or JSON lines") }
        return first == "{" ? try parseJSONLines(text, path: path) : try parseCSV(text, path: path)
    }

    // MARK: - CSV

    static func parseCSV(_ text: String, path: String) throws -> RunLog {
        // "\r\n" (what Python's csv module writes) is one Character in Swift: split on both.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        guard let headerLine = lines.first else { throw RunLogError(path: path, line: 1, "empty file") }
        let separator: Character = headerLine.contains(",") ? "," : headerLine.contains("\t") ? "\t"
            : headerLine.contains(";") ? ";" : ","
        let header = try splitFields(headerLine, separator: separator, path: path, line: 1)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard header.count <= maximumColumns else {
            throw RunLogError(path: path, line: 1, "\(header.count) columns: at most \(maximumColumns) are read")
        }
        guard let epochColumn = header.firstIndex(of: "epoch") else {
            throw RunLogError(path: path, line: 1, "no 'epoch' column: expected a CSVLogger header such as "
                              + "'epoch,loss,val_loss', got '\(TextCheck.excerpt(String(headerLine), limit: 60))'")
        }
        var seen = Set<String>()
        for (i, name) in header.enumerated() {
            if name.isEmpty { throw RunLogError(path: path, line: 1, "column \(i + 1) has no name") }
            if !seen.insert(name).inserted { throw RunLogError(path: path, line: 1, "column '\(TextCheck.excerpt(name))' appears twice") }
        }
        let keys = header.enumerated().filter { $0.offset != epochColumn }.map(\.element)
        var columns = [[Double?]](repeating: [], count: header.count)
        var epochs: [Int] = []
        for (index, line) in lines.enumerated().dropFirst() {
            let lineNo = index + 1
            if line.allSatisfy(\.isWhitespace) {
                throw RunLogError(path: path, line: lineNo, "empty line inside the log (expected \(header.count) fields)")
            }
            let fields = try splitFields(line, separator: separator, path: path, line: lineNo)
            guard fields.count == header.count else {
                throw RunLogError(path: path, line: lineNo, "\(fields.count) fields, expected \(header.count) as in the "
                                  + "header (a ragged row)")
            }
            for (c, raw) in fields.enumerated() {
                let cell = raw.trimmingCharacters(in: .whitespaces)
                if c == epochColumn {
                    guard let e = Int(cell), e >= 0 else {
                        throw RunLogError(path: path, line: lineNo, "column 'epoch': expected a whole number >= 0, "
                                          + "got '\(TextCheck.excerpt(cell))'")
                    }
                    epochs.append(e)
                    continue
                }
                if cell.isEmpty || cell == "NA" { columns[c].append(nil); continue }
                guard let v = number(cell) else {
                    throw RunLogError(path: path, line: lineNo, "column '\(TextCheck.excerpt(header[c]))': expected a "
                                      + "number (or nan, inf, NA), got '\(TextCheck.excerpt(cell))'")
                }
                columns[c].append(v)
            }
        }
        guard !epochs.isEmpty else { throw RunLogError(path: path, line: 1, "a header but no rows (no epoch logged)") }
        var values: [String: [Double?]] = [:]
        for (c, name) in header.enumerated() where c != epochColumn { values[name] = columns[c] }
        // A column with no number at all (every cell NA or empty) is not a metric.
        let numeric = keys.filter { values[$0]?.contains { $0 != nil } == true }
        guard !numeric.isEmpty else {
            throw RunLogError(path: path, line: 1, "no numeric columns besides 'epoch' (columns: "
                              + "\(TextCheck.excerpt(header.joined(separator: ","), limit: 60)))")
        }
        return RunLog(path: path, format: .csv, keys: numeric, epochs: epochs, values: values.filter { numeric.contains($0.key) })
    }

    /// A CSV number: Python's `repr(float)` and `float()` spellings (`0.25`, `1e-05`, `nan`, `inf`, `-inf`,
    /// `Infinity`), as `Double` reads them; hexadecimal and other non-decimal forms are refused.
    static func number(_ s: String) -> Double? {
        switch s.lowercased() {
        case "nan", "-nan", "+nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard s.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
        return Double(s)
    }

    /// Splits one CSV line at `separator`, honouring double quotes (`""` inside a quoted field is a quote).
    static func splitFields(_ line: Substring, separator: Character, path: String, line lineNo: Int) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false, atStart = true
        var it = line.makeIterator()
        while let ch = it.next() {
            if quoted {
                if ch == "\"" {
                    // Either the closing quote or the first of a doubled quote.
                    var rest = it
                    if rest.next() == "\"" { field.append("\""); it = rest } else { quoted = false }
                } else { field.append(ch) }
            } else if ch == "\"" && atStart {
                quoted = true; atStart = false
            } else if ch == separator {
                fields.append(field); field = ""; atStart = true
                if fields.count > maximumColumns {
                    throw RunLogError(path: path, line: lineNo, "more than \(maximumColumns) fields")
                }
            } else {
                field.append(ch); atStart = false
            }
        }
        if quoted { throw RunLogError(path: path, line: lineNo, "a quoted field is not closed") }
        fields.append(field)
        return fields
    }

    // MARK: - JSON lines

    /// The deepest nesting of `[`/`{` a JSON line may have (log lines are flat objects).
    static let maximumJSONDepth = 16

    static func parseJSONLines(_ text: String, path: String) throws -> RunLog {
        var keys: [String] = []
        var known = Set<String>()
        var rows: [[String: Double]] = []
        var epochs: [Int] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false,
                                           whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let lineNo = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard line.first == "{", depth(of: line) <= maximumJSONDepth,
                  let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8))
            else {
                throw RunLogError(path: path, line: lineNo, "not a JSON object (a JSON-lines log has one object per "
                                  + "line, e.g. {\"event\":\"epoch\",\"epoch\":0,\"loss\":0.5})")
            }
            if let event = object["event"] {
                guard case .text(let e) = event else {
                    throw RunLogError(path: path, line: lineNo, "field 'event': expected text")
                }
                if e != "epoch" { continue }
            }
            guard let epochValue = object["epoch"] else {
                throw RunLogError(path: path, line: lineNo, "missing field 'epoch'")
            }
            guard case .number(let d) = epochValue, d == d.rounded(), d >= 0, d < 1e15 else {
                throw RunLogError(path: path, line: lineNo, "field 'epoch': expected a whole number >= 0, got "
                                  + "\(epochValue)")
            }
            var row: [String: Double] = [:]
            for (k, v) in object.sorted(by: { $0.key < $1.key }) where k != "epoch" && k != "event" && !k.hasSuffix("_raw") {
                var value: Double?
                switch v {
                case .number(let n): value = n
                case .null: if case .text(let raw)? = object[k + "_raw"] { value = number(raw) }
                default: break
                }
                guard let value else { continue }
                if !known.contains(k) {
                    guard keys.count < maximumColumns else {
                        throw RunLogError(path: path, line: lineNo, "more than \(maximumColumns) keys")
                    }
                    known.insert(k); keys.append(k)
                }
                row[k] = value
            }
            rows.append(row)
            epochs.append(Int(d))
        }
        guard !rows.isEmpty else { throw RunLogError(path: path, line: nil, "no epoch lines (no \"epoch\" field)") }
        guard !keys.isEmpty else {
            throw RunLogError(path: path, line: nil, "no numeric fields besides 'epoch' in any line")
        }
        var values: [String: [Double?]] = [:]
        for k in keys { values[k] = rows.map { $0[k] } }
        return RunLog(path: path, format: .jsonLines, keys: keys, epochs: epochs, values: values)
    }

    /// The deepest bracket nesting of a JSON text (strings skipped), so that hostile input cannot recurse deeply.
    static func depth(of s: String) -> Int {
        var d = 0, deepest = 0, inString = false, escaped = false
        for u in s.utf8 {
            if inString {
                if escaped { escaped = false } else if u == UInt8(ascii: "\\") { escaped = true }
                else if u == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch u {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): d += 1; deepest = max(deepest, d)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): d -= 1
            default: break
            }
        }
        return deepest
    }
}

/// One value of a flat JSON object: what a log line's fields can be.
enum JSONValue: Decodable, CustomStringConvertible {
    case number(Double), text(String), bool(Bool), null, other

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .text(s) }
        else { self = .other }
    }

    var description: String {
        switch self {
        case .number(let d): return NumberFormatting.plain(d)
        case .text(let s): return "'\(TextCheck.excerpt(s))'"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        case .other: return "an array or object"
        }
    }
}

enum NumberFormatting {
    /// `d` as Python's `repr` writes it (shortest round-trip), for messages.
    static func plain(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    }
}

/// A log file that cannot be replayed: the file, the line (1-based) when there is one, and what was expected.
/// Bad input: the commands exit with status 2.
public struct RunLogError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let line: Int?
    public let message: String
    public init(path: String, line: Int?, _ message: String) { self.path = path; self.line = line; self.message = message }
    /// `FILE:LINE: message` (or `FILE: message`).
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}
