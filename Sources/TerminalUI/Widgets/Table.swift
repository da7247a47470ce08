/// A table: a header row and data rows, in columns separated by `columnSpacing` cells.
///
/// Column widths (`Table.Width`): `.fixed(n)`, `.fit` (widest of header and cells), `.fill` (shares the space
/// left after the others). Columns are laid out left to right; a column that would pass the right edge is cut to
/// what remains, and later columns are dropped. Cell text longer than its column is truncated with `…` (`~` in
/// ASCII). Missing cells are blank; extra cells are ignored. Columns may be right-aligned (numbers).
///
/// Scrolling: `.newest` shows the last rows that fit (live epoch tables), `.offset(n)` starts at row `n`
/// (clamped). In both cases the highlighted row, if any, is scrolled into view.
/// Thread-safety: a value; safe to send between threads.
public struct Table: Widget {
    /// How wide a column is.
    public enum Width: Hashable, Sendable {
        case fixed(Int)
        case fit
        case fill
    }

    /// Which rows are visible when they do not all fit.
    public enum Scroll: Hashable, Sendable {
        case newest
        case offset(Int)
    }

    /// Column titles (may be empty: no header row).
    public var header: [String]
    /// Cell texts, row by row (ragged rows allowed).
    public var rows: [[String]]
    /// One per column; missing entries mean `.fit`.
    public var widths: [Width]
    /// One per column; missing entries mean `.left`.
    public var alignments: [Alignment]
    /// Blank cells between columns (>= 0).
    public var columnSpacing: Int
    /// Style of the header row.
    public var headerStyle: Style
    /// Style of ordinary rows.
    public var rowStyle: Style
    /// Index into `rows` of the highlighted row, if any.
    public var highlightedRow: Int?
    /// Style of the highlighted row.
    public var highlightStyle: Style
    /// Which rows are shown when they do not all fit.
    public var scroll: Scroll
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// A table; by default fit-width columns, newest rows shown, reverse-video highlight.
    public init(header: [String], rows: [[String]], widths: [Width] = [], alignments: [Alignment] = [],
                columnSpacing: Int = 1, headerStyle: Style = .plain, rowStyle: Style = .plain,
                highlightedRow: Int? = nil, highlightStyle: Style = Style(modifiers: .reverse),
                scroll: Scroll = .newest, symbols: Symbols = .unicode) {
        self.header = header
        self.rows = rows
        self.widths = widths
        self.alignments = alignments
        self.columnSpacing = max(0, columnSpacing)
        self.headerStyle = headerStyle
        self.rowStyle = rowStyle
        self.highlightedRow = highlightedRow
        self.highlightStyle = highlightStyle
        self.scroll = scroll
        self.symbols = symbols
    }

    /// Resolved column widths (>= 0) for a total width of `total` cells; trailing zero-width columns are dropped.
    public func columnWidths(total: Int) -> [Int] {
        let n = max(header.count, rows.map(\.count).max() ?? 0)
        guard n > 0, total > 0 else { return [] }
        var natural = [Int](repeating: 0, count: n)
        for c in 0..<n {
            var w = c < header.count ? header[c].cellWidth : 0
            for r in rows where c < r.count { w = max(w, r[c].cellWidth) }
            natural[c] = min(w, total)
        }
        let spacingEach = min(columnSpacing, total)
        var base = [Int](repeating: 0, count: n)
        var fills: [Int] = []
        for c in 0..<n {
            switch c < widths.count ? widths[c] : .fit {
            case .fixed(let v): base[c] = min(max(0, v), total)
            case .fit: base[c] = natural[c]
            case .fill: fills.append(c)
            }
        }
        let spacing = spacingEach * min(n - 1, total)
        let free = max(0, total - spacing - base.reduce(0, +))
        for (k, c) in fills.enumerated() { base[c] = free / fills.count + (k < free % fills.count ? 1 : 0) }
        var out: [Int] = []
        var left = total
        for c in 0..<n {
            let w = min(base[c], left)
            if w <= 0 { break }
            out.append(w)
            left -= w + spacingEach
        }
        return out
    }

    /// Index of the first visible row for `visible` rows of room.
    public func firstVisibleRow(visible: Int) -> Int {
        let maxStart = max(0, rows.count - max(0, visible))
        var start: Int
        switch scroll {
        case .newest: start = maxStart
        case .offset(let o): start = min(max(0, o), maxStart)
        }
        if let h = highlightedRow, h >= 0, h < rows.count, visible > 0 {
            if h < start { start = h } else if h >= start + visible { start = h - visible + 1 }
        }
        return start
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let area = area.intersection(buffer.area)
        guard !area.isEmpty else { return }
        let cols = columnWidths(total: area.width)
        guard !cols.isEmpty else { return }
        var y = area.y
        if !header.isEmpty {
            buffer.fill(Rect(x: area.x, y: y, width: area.width, height: 1), with: Cell(" ", style: headerStyle))
            drawRow(header, y: y, cols: cols, area: area, style: headerStyle, into: &buffer)
            y += 1
        }
        let visible = area.bottom - y
        guard visible > 0 else { return }
        let start = firstVisibleRow(visible: visible)
        for r in start..<min(rows.count, start + visible) {
            let style = r == highlightedRow ? highlightStyle : rowStyle
            buffer.fill(Rect(x: area.x, y: y, width: area.width, height: 1), with: Cell(" ", style: style))
            drawRow(rows[r], y: y, cols: cols, area: area, style: style, into: &buffer)
            y += 1
        }
    }

    private func drawRow(_ cells: [String], y: Int, cols: [Int], area: Rect, style: Style,
                         into buffer: inout CellBuffer) {
        var x = area.x
        for (c, w) in cols.enumerated() {
            let text = TextFormatting.truncate(c < cells.count ? cells[c] : "", width: w, ellipsis: symbols.ellipsis)
            let align = c < alignments.count ? alignments[c] : .left
            buffer.write(text, x: x + align.offset(length: text.cellWidth, width: w), y: y, style: style, maxWidth: w)
            x += w + min(columnSpacing, area.width)
        }
    }
}
