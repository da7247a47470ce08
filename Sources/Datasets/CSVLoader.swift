import NeuralEngine
import SafeIO

/// How a CSV file is read: header, label column, target kind, delimiter, missing values.
///
/// Defaults: the header is auto-detected (a first row with any cell that is neither a number nor a missing-value
/// marker is a header); the label column is the one named `label` (case-insensitive) when the header has one,
/// otherwise the **last** column; targets are classes when every label is a non-negative integer below
/// `autoClassLimit`, real values otherwise; a row with a missing or non-finite cell is an error.
public struct CSVOptions: Sendable, Equatable {
    /// Whether the first row holds column names.
    public enum Header: Sendable, Equatable {
        /// A first row containing any non-numeric cell is a header.
        case auto
        /// The first row is a header.
        case present
        /// There is no header; every row is data.
        case absent
    }

    /// Which column holds the target.
    public enum LabelColumn: Sendable, Equatable {
        /// The column named `label` (case-insensitive) if the header has one, otherwise the last column.
        case auto
        /// The first column (Kaggle's MNIST/Fashion-MNIST CSVs).
        case first
        /// The last column.
        case last
        /// The column at this 0-based index; a negative index counts from the end (-1 is the last column).
        case index(Int)
        /// The column with this header name (case-sensitive first, then case-insensitive); needs a header.
        case name(String)
    }

    /// How labels are turned into targets.
    public enum TargetKind: Sendable, Equatable {
        /// `.classes` when every label is a non-negative integer below `autoClassLimit`, else `.values`.
        case auto
        /// Class indices: every label must be a non-negative integer; `classCount` is `max + 1`.
        case classes
        /// Real-valued (regression) targets of width 1.
        case values
    }

    /// Header handling (default `.auto`).
    public var header: Header
    /// The label column (default `.auto`: the column named `label`, else the last).
    public var label: LabelColumn
    /// Classes or regression values (default `.auto`).
    public var target: TargetKind
    /// The field separator (one ASCII byte), `,` by default.
    public var delimiter: UInt8
    /// Largest number of classes `.auto` accepts before treating integer labels as regression targets.
    public var autoClassLimit: Int
    /// Drop rows that have a missing or non-finite cell (see `CSVLoader.isMissing`) instead of throwing
    /// `DataError.csvMissing` (default false). The number dropped is in `CSVLoader.Report.droppedRows`.
    public var dropMissing: Bool

    /// Options with the documented defaults.
    public init(header: Header = .auto, label: LabelColumn = .auto, target: TargetKind = .auto,
                delimiter: UInt8 = UInt8(ascii: ","), autoClassLimit: Int = 1000, dropMissing: Bool = false) {
        self.header = header
        self.label = label
        self.target = target
        self.delimiter = delimiter
        self.autoClassLimit = autoClassLimit
        self.dropMissing = dropMissing
    }

    /// Parses a `--label-column` value: a whole number (optionally negative) is a 0-based index, anything else a
    /// column name. Returns nil for empty text.
    public static func labelColumn(parsing text: String) -> LabelColumn? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        if let i = Int(t) { return .index(i) }
        return .name(t)
    }
}

/// Loader for numeric CSV files (optionally gzipped): one sample per row, one label column, every other column a
/// feature.
///
/// Quoted fields (`"1.5"`, with `""` for a quote) are accepted; blank lines are skipped; `\r\n` line ends are fine.
///
/// Missing values: an empty cell, a non-finite number (`nan`, `inf`, `-Infinity`, or a value beyond Float's range such
/// as `1e39`) and pandas' missing-value markers (`NA`, `N/A`, `null`, `None`, `#N/A`, `<NA>`, `?`, ...; see
/// `isMissing`) are rejected with `DataError.csvMissing` naming the file, line and column, or, with
/// `CSVOptions.dropMissing`, drop their row.
///
/// Image-like files: when every feature is an integer in 0...255 and there are at least 64 features or every feature
/// column's name starts with `pixel` (Kaggle's `label,pixel0,...,pixel783`), the features are kept as bytes scaled by
/// 1/255 (`Dataset.Features.bytes(_, scale: 1/255)`, as IDX files are) and `Report.imageLike` is true; a square
/// feature count (784 = 28 x 28) also sets `Dataset.imageShape`. Every other file keeps its values as they are.
///
/// Thread-safety: stateless; every function may be called from any thread.
public enum CSVLoader {
    /// A parsed CSV file before it becomes a `Dataset`.
    public struct Table: Sendable {
        /// Column names, when the file has a header.
        public var columnNames: [String]?
        /// The label column's 0-based index.
        public var labelColumn: Int
        /// Features, `[rows, columns - 1]` row-major.
        public var features: [Float]
        /// One label per row.
        public var labels: [Float]
        /// The 1-based line each kept row starts on (for error messages), one per row.
        public var lines: [Int] = []
        /// Rows dropped for a missing or non-finite cell (`CSVOptions.dropMissing`).
        public var droppedRows: Int = 0
    }

    /// What the loader decided about a file, for the data line a user sees.
    public struct Report: Sendable, Equatable {
        /// The label column's 0-based index (the value `--label-column` takes).
        public var labelColumn: Int
        /// The label column's header name, when the file has a header.
        public var labelName: String?
        /// Whether the first row was a header.
        public var hasHeader: Bool
        /// Columns per row (label included).
        public var columnCount: Int
        /// Rows dropped for a missing or non-finite cell (`CSVOptions.dropMissing`).
        public var droppedRows: Int
        /// Features are 0...255 integers kept as bytes scaled by 1/255 (see the type's notes).
        public var imageLike: Bool

        /// "label column 0 ("label")", "label column 784 (the last; no header)".
        public var labelDescription: String {
            var s = "label column \(labelColumn)"
            if let labelName { s += " (\"\(labelName)\")" } else if !hasHeader {
                s += labelColumn == columnCount - 1 ? " (the last; no header)" : " (no header)"
            }
            return s
        }
    }

    /// Loads the CSV file at `path` (gzip is detected by its magic bytes) as a data set: `.bytes` scaled by 1/255 for
    /// image-like files, `.floats` otherwise (see the type's notes).
    ///
    /// - Throws: `DataError.csvRaggedRow` (file, line, expected and actual column counts), `.csvNonNumeric` (file,
    ///   line, 1-based column, cell text), `.csvMissing` (file, line, 1-based column, cell text; not with
    ///   `dropMissing`), `.csvLabel` (file, line, label column, value: a non-integer or negative label with
    ///   `.classes`), `.csv` (no data rows, fewer than two columns, unknown label column, a label column holding a
    ///   single value), plus `.notFound`, `.unreadable`, `.gzip`.
    public static func load(_ path: String, options: CSVOptions = CSVOptions()) throws -> Dataset {
        try loadReporting(path, options: options).dataset
    }

    /// `load`, also returning what was decided (label column, header, rows dropped, image-like). Throws as `load`.
    public static func loadReporting(_ path: String, options: CSVOptions = CSVOptions()) throws
        -> (dataset: Dataset, report: Report) {
        let table = try parse(bytes: try Gzip.readFile(path), path: path, options: options)
        return try datasetReporting(from: table, path: path, options: options)
    }

    /// Parses CSV `bytes`; `path` is only used in error messages.
    public static func parse(bytes: [UInt8], path: String, options: CSVOptions = CSVOptions()) throws -> Table {
        var rows = RowReader(bytes: bytes, delimiter: options.delimiter)
        guard let first = rows.next() else { throw DataError.csv(path: path, reason: "no rows") }
        let width = first.cells.count
        guard width >= 2 else {
            throw DataError.csv(path: path, reason: "line \(first.line) has \(width) column; need a label and at least one feature")
        }
        var firstIsHeader: Bool
        switch options.header {
        case .present: firstIsHeader = true
        case .absent: firstIsHeader = false
        case .auto: firstIsHeader = first.cells.contains { classify(bytes, $0) == .text }
        }
        var names: [String]?
        if firstIsHeader {
            names = first.cells.map { String(decoding: bytes[$0.range], as: UTF8.self) }
        }
        let labelColumn: Int
        switch options.label {
        case .auto:
            labelColumn = names?.firstIndex { $0.lowercased() == "label" } ?? width - 1
        case .first: labelColumn = 0
        case .last: labelColumn = width - 1
        case .index(let i):
            guard i >= -width && i < width else {
                throw DataError.csv(path: path, reason: "label column index \(i) is outside 0..<\(width) (or -\(width)...-1 from the end); the file has \(width) columns")
            }
            labelColumn = i < 0 ? width + i : i
        case .name(let n):
            guard let names else {
                throw DataError.csv(path: path, reason: "label column '\(n)' requested but the file has no header row")
            }
            guard let i = names.firstIndex(of: n) ?? names.firstIndex(where: { $0.lowercased() == n.lowercased() }) else {
                throw DataError.csv(path: path, reason: "no column named '\(n)' (columns: \(names.joined(separator: ", ")))")
            }
            labelColumn = i
        }

        var features: [Float] = []
        var labels: [Float] = []
        var lines: [Int] = []
        var dropped = 0
        features.reserveCapacity(bytes.count / 3)
        var row: Row? = firstIsHeader ? rows.next() : first
        while let r = row {
            guard r.cells.count == width else {
                throw DataError.csvRaggedRow(path: path, line: r.line, expected: width, actual: r.cells.count)
            }
            let rowStart = features.count
            var label: Float = 0
            var missing = false
            for (c, cell) in r.cells.enumerated() {
                let v: Float
                switch classify(bytes, cell) {
                case .number(let x): v = x
                case .missing:
                    guard options.dropMissing else {
                        throw DataError.csvMissing(path: path, line: r.line, column: c + 1,
                                                   value: String(decoding: bytes[cell.range], as: UTF8.self))
                    }
                    missing = true
                    v = 0
                case .text:
                    let value = String(decoding: bytes[cell.range], as: UTF8.self)
                    if c == labelColumn {
                        // Say what a label must be: a text class name needs mapping to an index first.
                        throw DataError.csv(path: path, reason: "line \(r.line): the label column (index \(c), --label-column \(c)) "
                            + "holds '\(TextCheck.excerpt(value))', but labels must be numbers: class indices 0, 1, 2, ... "
                            + "(map text class names to indices first) or real values for regression")
                    }
                    throw DataError.csvNonNumeric(path: path, line: r.line, column: c + 1, value: value)
                }
                if c == labelColumn { label = v } else { features.append(v) }
            }
            if missing {
                features.removeSubrange(rowStart...)
                dropped += 1
            } else {
                labels.append(label)
                lines.append(r.line)
            }
            row = rows.next()
        }
        guard !labels.isEmpty else {
            throw DataError.csv(path: path, reason: dropped > 0 ? "no data rows left after dropping \(dropped) with missing values" : "no data rows")
        }
        return Table(columnNames: names, labelColumn: labelColumn, features: features, labels: labels, lines: lines,
                     droppedRows: dropped)
    }

    /// Turns a parsed table into a data set according to `options.target` (see `CSVOptions.TargetKind`). Throws as
    /// `load` does for the labels.
    public static func dataset(from table: Table, path: String, options: CSVOptions = CSVOptions()) throws -> Dataset {
        try datasetReporting(from: table, path: path, options: options).dataset
    }

    /// `dataset(from:path:options:)`, also returning the `Report`.
    public static func datasetReporting(from table: Table, path: String, options: CSVOptions = CSVOptions()) throws
        -> (dataset: Dataset, report: Report) {
        let width = table.features.count / table.labels.count + 1
        let report0 = Report(labelColumn: table.labelColumn, labelName: table.columnNames?[table.labelColumn],
                             hasHeader: table.columnNames != nil, columnCount: width, droppedRows: table.droppedRows,
                             imageLike: false)
        let line: (Int) -> Int = { table.lines.indices.contains($0) ? table.lines[$0] : $0 + 1 }
        // A constant label column (a pixel that is always 0, taken as the label of a label-first file) has nothing to
        // learn; it used to train "1 classes" to loss 0.
        if let first = table.labels.first, table.labels.allSatisfy({ $0 == first }) {
            let rows = table.labels.count
            throw DataError.csv(path: path, reason: "\(report0.labelDescription) has the single value \(text(first)) in \(rows == 1 ? "the only row" : "all \(rows) rows"): there is nothing to learn; choose the label column with --label-column NAME|INDEX (0-based; -1 is the last)")
        }
        let isClassLabel: (Float) -> Bool = { $0 >= 0 && $0 == $0.rounded() && $0 < 16_777_216 }
        let maxLabel = table.labels.max() ?? 0
        let useClasses: Bool
        switch options.target {
        case .values: useClasses = false
        case .classes:
            if let bad = table.labels.firstIndex(where: { !isClassLabel($0) }) {
                let v = table.labels[bad]
                throw DataError.csvLabel(path: path, line: line(bad), labelColumn: table.labelColumn, value: text(v),
                                         reason: v < 0 ? "is negative; class labels are integers 0, 1, 2, ..."
                                             : "is not an integer class index (0, 1, 2, ...)")
            }
            useClasses = true
        case .auto:
            useClasses = table.labels.allSatisfy(isClassLabel) && Int(maxLabel) < options.autoClassLimit
        }
        let targets: Dataset.Targets = useClasses
            ? .classes(table.labels.map { Int32($0) }, classCount: Int(maxLabel) + 1)
            : .values(table.labels, width: 1)
        let featureCount = width - 1
        var report = report0
        let features: Dataset.Features
        var imageShape: (rows: Int, cols: Int)?
        if looksLikeImages(table) {
            features = .bytes(table.features.map { UInt8($0) }, scale: 1 / 255)
            report.imageLike = true
            let side = Int(Double(featureCount).squareRoot().rounded())
            if side * side == featureCount { imageShape = (side, side) }
        } else {
            features = .floats(table.features)
        }
        do {
            return (try Dataset(features: features, featureCount: featureCount, targets: targets, imageShape: imageShape),
                    report)
        } catch let e as DatasetError {
            throw DataError.invalidData(path: path, error: e)
        }
    }

    /// Whether every feature is an integer in 0...255 and there are at least 64 features or every feature column's
    /// name starts with `pixel` (case-insensitive).
    static func looksLikeImages(_ table: Table) -> Bool {
        let featureCount = table.features.count / max(1, table.labels.count)
        guard featureCount > 0 else { return false }
        var pixelNames = false
        if let names = table.columnNames {
            pixelNames = names.enumerated().allSatisfy { i, n in i == table.labelColumn || n.lowercased().hasPrefix("pixel") }
        }
        guard featureCount >= 64 || pixelNames else { return false }
        return table.features.allSatisfy { $0 >= 0 && $0 <= 255 && $0 == $0.rounded(.towardZero) }
    }

    /// A label for messages: "5" for integral values, "2.5" otherwise.
    static func text(_ v: Float) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : "\(v)"
    }

    // MARK: Tokenising

    struct Cell { var range: Range<Int> }
    struct Row { var line: Int; var cells: [Cell] }

    /// Splits bytes into rows of cells (ranges into the buffer, quotes stripped from simple quoted cells).
    struct RowReader {
        let bytes: [UInt8]
        let delimiter: UInt8
        var i = 0
        var line = 1

        init(bytes: [UInt8], delimiter: UInt8) {
            self.bytes = bytes
            self.delimiter = delimiter
            // Skip a UTF-8 byte-order mark.
            if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        }

        /// The next non-blank row, or `nil` at the end.
        mutating func next() -> Row? {
            while i < bytes.count {
                let startLine = line
                var cells: [Cell] = []
                var blank = true
                while true {
                    // One cell.
                    while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) && bytes[i] != delimiter { i += 1 }
                    var cellStart = i, cellEnd = i
                    if i < bytes.count && bytes[i] == UInt8(ascii: "\"") {
                        i += 1
                        cellStart = i
                        while i < bytes.count {
                            if bytes[i] == UInt8(ascii: "\"") {
                                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                                break
                            }
                            if bytes[i] == 0x0A { line += 1 }
                            i += 1
                        }
                        cellEnd = i
                        if i < bytes.count { i += 1 } // closing quote
                        blank = false
                        while i < bytes.count && bytes[i] != delimiter && bytes[i] != 0x0A && bytes[i] != 0x0D { i += 1 }
                    } else {
                        while i < bytes.count && bytes[i] != delimiter && bytes[i] != 0x0A && bytes[i] != 0x0D { i += 1 }
                        cellEnd = i
                        while cellEnd > cellStart && (bytes[cellEnd - 1] == 0x20 || bytes[cellEnd - 1] == 0x09) { cellEnd -= 1 }
                        if cellEnd > cellStart { blank = false }
                    }
                    cells.append(Cell(range: cellStart..<cellEnd))
                    if i < bytes.count && bytes[i] == delimiter { i += 1; blank = false; continue }
                    break
                }
                // End of line.
                if i < bytes.count && bytes[i] == 0x0D { i += 1 }
                if i < bytes.count && bytes[i] == 0x0A { i += 1 }
                line += 1
                if !blank { return Row(line: startLine, cells: cells) }
            }
            return nil
        }
    }

    /// What a cell holds.
    enum CellValue: Equatable {
        /// A finite number.
        case number(Float)
        /// Empty, a missing-value marker, or a non-finite number (see `isMissing`).
        case missing
        /// Anything else (a header name, a typo).
        case text
    }

    /// Pandas' default missing-value markers (`read_csv`'s `na_values`) and `?` (UCI's marker), compared
    /// case-insensitively; `nan`, `inf` and their signed forms are caught as non-finite numbers.
    static let missingMarkers: Set<String> = [
        "na", "n/a", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>", "null",
        "none", "?",
    ]

    /// Whether `text` (one cell, surrounding blanks removed) counts as a missing value: empty, a marker of
    /// `missingMarkers`, or a number that is not finite as a `Float` (`nan`, `inf`, `-Infinity`, `1e39`).
    public static func isMissing(_ text: String) -> Bool {
        let b = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        return classify(b, Cell(range: 0..<b.count)) == .missing
    }

    static func classify(_ bytes: [UInt8], _ cell: Cell) -> CellValue {
        if cell.range.isEmpty { return .missing }
        if let v = parseNumber(bytes, cell) { return v.isFinite ? .number(v) : .missing }
        let text = String(decoding: bytes[cell.range], as: UTF8.self).lowercased()
        return missingMarkers.contains(text) ? .missing : .text
    }

    /// The number in `cell` (possibly NaN or infinite), or `nil`. Plain integers are parsed directly (the common case
    /// for pixel CSVs); anything else goes through `Float(_:)`, which is locale-independent.
    static func parseNumber(_ bytes: [UInt8], _ cell: Cell) -> Float? {
        let r = cell.range
        guard !r.isEmpty else { return nil }
        var j = r.lowerBound
        var negative = false
        if bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") { negative = bytes[j] == UInt8(ascii: "-"); j += 1 }
        if j < r.upperBound && r.upperBound - j <= 7 {
            var v = 0
            var k = j
            while k < r.upperBound, bytes[k] >= 0x30, bytes[k] <= 0x39 { v = v * 10 + Int(bytes[k] - 0x30); k += 1 }
            if k == r.upperBound { return Float(negative ? -v : v) }
        }
        // A NUL byte would end the C string Float(_:) parses, silently dropping the rest of the cell ("0\0.5" -> 0).
        if bytes[r].contains(0) { return nil }
        // Float(_:) gives NaN for "nan", infinity for "inf" and for values beyond Float's range ("1e39").
        return Float(String(decoding: bytes[r], as: UTF8.self))
    }
}
