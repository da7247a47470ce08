import NeuralEngine

/// How a CSV file is read: header, label column, target kind, delimiter.
///
/// Defaults: the header is auto-detected (a first row with any non-numeric cell is a header); the label column is the
/// one named `label` (case-insensitive) when the header has one, otherwise the **last** column; targets are classes
/// when every label is a non-negative integer below `autoClassLimit`, real values otherwise.
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
        /// The column at this 0-based index.
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

    /// Options with the documented defaults.
    public init(header: Header = .auto, label: LabelColumn = .auto, target: TargetKind = .auto,
                delimiter: UInt8 = UInt8(ascii: ","), autoClassLimit: Int = 1000) {
        self.header = header
        self.label = label
        self.target = target
        self.delimiter = delimiter
        self.autoClassLimit = autoClassLimit
    }
}

/// Loader for numeric CSV files (optionally gzipped): one sample per row, one label column, every other column a
/// feature.
///
/// Quoted fields (`"1.5"`, with `""` for a quote) are accepted; blank lines are skipped; `\r\n` line ends are fine.
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
    }

    /// Loads the CSV file at `path` (gzip is detected by its magic bytes) as a data set with `.floats` features.
    ///
    /// - Throws: `DataError.csvRaggedRow` (file, line, expected and actual column counts), `.csvNonNumeric` (file,
    ///   line, 1-based column, cell text), `.csv` (no data rows, fewer than two columns, unknown label column,
    ///   non-integer or negative labels with `.classes`), plus `.notFound`, `.unreadable`, `.gzip`.
    public static func load(_ path: String, options: CSVOptions = CSVOptions()) throws -> Dataset {
        let table = try parse(bytes: try Gzip.readFile(path), path: path, options: options)
        return try dataset(from: table, path: path, options: options)
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
        case .auto: firstIsHeader = first.cells.contains { parseNumber(bytes, $0) == nil }
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
            guard i >= 0 && i < width else {
                throw DataError.csv(path: path, reason: "label column index \(i) is outside 0..<\(width)")
            }
            labelColumn = i
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
        features.reserveCapacity(bytes.count / 3)
        var row: Row? = firstIsHeader ? rows.next() : first
        while let r = row {
            guard r.cells.count == width else {
                throw DataError.csvRaggedRow(path: path, line: r.line, expected: width, actual: r.cells.count)
            }
            for (c, cell) in r.cells.enumerated() {
                guard let v = parseNumber(bytes, cell) else {
                    throw DataError.csvNonNumeric(path: path, line: r.line, column: c + 1,
                                                  value: String(decoding: bytes[cell.range], as: UTF8.self))
                }
                if c == labelColumn { labels.append(v) } else { features.append(v) }
            }
            row = rows.next()
        }
        guard !labels.isEmpty else { throw DataError.csv(path: path, reason: "no data rows") }
        return Table(columnNames: names, labelColumn: labelColumn, features: features, labels: labels)
    }

    /// Turns a parsed table into a data set according to `options.target` (see `CSVOptions.TargetKind`).
    public static func dataset(from table: Table, path: String, options: CSVOptions = CSVOptions()) throws -> Dataset {
        let isClassLabel: (Float) -> Bool = { $0 >= 0 && $0 == $0.rounded() && $0 < 16_777_216 }
        let maxLabel = table.labels.max() ?? 0
        let useClasses: Bool
        switch options.target {
        case .values: useClasses = false
        case .classes:
            if let bad = table.labels.firstIndex(where: { !isClassLabel($0) }) {
                throw DataError.csv(path: path, reason: "label \(table.labels[bad]) of sample \(bad) is not a non-negative integer class index")
            }
            useClasses = true
        case .auto:
            useClasses = table.labels.allSatisfy(isClassLabel) && Int(maxLabel) < options.autoClassLimit
        }
        let targets: Dataset.Targets = useClasses
            ? .classes(table.labels.map { Int32($0) }, classCount: Int(maxLabel) + 1)
            : .values(table.labels, width: 1)
        do {
            return try Dataset(features: .floats(table.features), featureCount: table.features.count / table.labels.count,
                               targets: targets)
        } catch let e as DatasetError {
            throw DataError.invalidData(path: path, error: e)
        }
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

    /// The number in `cell`, or `nil`. Plain integers are parsed directly (the common case for pixel CSVs); anything
    /// else goes through `Float(_:)`, which is locale-independent.
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
        let text = String(decoding: bytes[r], as: UTF8.self)
        guard let v = Float(text), v.isFinite || text.lowercased().contains("inf") || text.lowercased().contains("nan") else {
            return nil
        }
        return v
    }
}
