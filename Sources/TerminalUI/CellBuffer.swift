/// An in-memory screen: `area.width x area.height` cells, row-major. Widgets render into a buffer, never into the
/// terminal; a backend flushes the difference between two buffers (`BufferDiff`). Tests render into a buffer and
/// compare its lines (`lines`).
///
/// Every write is clipped to `area`: writing outside it is a no-op, never a trap.
/// Thread-safety: a value; safe to send between threads, not to mutate from two at once.
public struct CellBuffer: Equatable, Sendable {
    /// The region this buffer covers (usually `x: 0, y: 0` and the terminal size).
    public private(set) var area: Rect
    /// Cells, row-major, `area.width * area.height` of them.
    public private(set) var cells: [Cell]

    /// A buffer of blank cells covering `area`.
    public init(area: Rect, fill: Cell = .blank) {
        self.area = area
        self.cells = [Cell](repeating: fill, count: area.area)
    }

    /// A buffer of `width x height` blank cells at the origin.
    public init(width: Int, height: Int) {
        self.init(area: Rect(x: 0, y: 0, width: width, height: height))
    }

    /// The cell at absolute column `x`, row `y`; `nil` outside the area.
    public func cell(x: Int, y: Int) -> Cell? {
        guard let i = index(x: x, y: y) else { return nil }
        return cells[i]
    }

    /// Sets the cell at `(x, y)`; ignored outside the area.
    public mutating func set(x: Int, y: Int, _ cell: Cell) {
        guard let i = index(x: x, y: y) else { return }
        cells[i] = cell
    }

    /// Sets the symbol at `(x, y)` with `style`; ignored outside the area.
    public mutating func set(x: Int, y: Int, symbol: Character, style: Style) {
        set(x: x, y: y, Cell(symbol, style: style))
    }

    /// Writes `text` from `(x, y)` to the right, at most `maxWidth` cells (and never past the area's right edge).
    /// Returns the number of cells written.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int = .max) -> Int {
        guard y >= area.y, y < area.bottom else { return 0 }
        var col = x
        var written = 0
        for ch in text {
            if written >= maxWidth || col >= area.right { break }
            if col >= area.x { set(x: col, y: y, Cell(ch, style: style)) }
            col += 1
            written += 1
        }
        return written
    }

    /// Fills `rect` (clipped to the area) with `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for yy in r.y ..< r.bottom {
            for xx in r.x ..< r.right { cells[(yy - area.y) * area.width + (xx - area.x)] = cell }
        }
    }

    /// Sets the style of every cell in `rect` (clipped), keeping the symbols.
    public mutating func setStyle(_ rect: Rect, style: Style) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for yy in r.y ..< r.bottom {
            for xx in r.x ..< r.right { cells[(yy - area.y) * area.width + (xx - area.x)].style = style }
        }
    }

    /// Resizes to `newArea`, clearing every cell.
    public mutating func resize(to newArea: Rect) {
        area = newArea
        cells = [Cell](repeating: .blank, count: newArea.area)
    }

    /// The text of each row, trailing spaces kept (for tests and snapshots).
    public var lines: [String] {
        guard area.width > 0 else { return [String](repeating: "", count: area.height) }
        return (0..<area.height).map { r in
            String(cells[r * area.width ..< (r + 1) * area.width].map(\.symbol))
        }
    }

    /// The text of row `y` (absolute), or "" outside the area.
    public func line(_ y: Int) -> String {
        guard y >= area.y, y < area.bottom, area.width > 0 else { return "" }
        let r = y - area.y
        return String(cells[r * area.width ..< (r + 1) * area.width].map(\.symbol))
    }

    @inline(__always)
    private func index(x: Int, y: Int) -> Int? {
        guard x >= area.x, x < area.right, y >= area.y, y < area.bottom else { return nil }
        return (y - area.y) * area.width + (x - area.x)
    }
}
