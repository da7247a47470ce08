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
    ///
    /// Double-width characters (`cell.width == 2`) take `(x, y)` and `(x + 1, y)` (a continuation cell); when
    /// `x + 1` is outside the area the character does not fit and a space in the same style is set instead (a wide
    /// character is never split). Overwriting either half of a double-width character already in the buffer turns its
    /// other half into a space in that half's style. A continuation cell (`Cell.isContinuation`, e.g. read back with
    /// `cell(x:y:)`) only restyles the right half of the character already to its left, as copying a pair cell by cell
    /// expects; anywhere else it is set as a space.
    public mutating func set(x: Int, y: Int, _ cell: Cell) {
        guard let i = index(x: x, y: y) else { return }
        if cell.isContinuation {
            if cells[i].isContinuation { cells[i].style = cell.style; return }
            clearPair(at: i, x: x)
            cells[i] = Cell(" ", style: cell.style)
            return
        }
        clearPair(at: i, x: x)
        guard cell.width == 2 else { cells[i] = cell; return }
        guard x + 1 < area.right else { cells[i] = Cell(" ", style: cell.style); return }
        clearPair(at: i + 1, x: x + 1)
        cells[i] = cell
        cells[i + 1] = .continuation(style: cell.style)
    }

    /// Before cell `i` (column `x`) is overwritten: if it is half of a double-width pair, blanks the other half.
    private mutating func clearPair(at i: Int, x: Int) {
        if cells[i].isContinuation {
            if x > area.x { cells[i - 1] = Cell(" ", style: cells[i - 1].style) }
        } else if x + 1 < area.right, cells[i + 1].isContinuation {
            cells[i + 1] = Cell(" ", style: cells[i + 1].style)
        }
    }

    /// Sets the symbol at `(x, y)` with `style`; ignored outside the area. A double-width symbol takes two cells (see
    /// `set(x:y:_:)`).
    public mutating func set(x: Int, y: Int, symbol: Character, style: Style) {
        set(x: x, y: y, Cell(symbol, style: style))
    }

    /// Writes `text` from `(x, y)` to the right, at most `maxWidth` cells (and never past the area's right edge).
    /// Returns the number of cells advanced (the text's `cellWidth` when it all fits).
    ///
    /// Widths follow `CharacterWidth`: a double-width character takes two cells; one that does not fit in what is
    /// left (of `maxWidth` or of the area) is not split: a space in `style` takes the remaining cell and writing stops.
    /// Zero-width characters (a combining mark with no base, format characters) take no cell and are dropped;
    /// combining marks after a base are part of its `Character` and stay with it.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int = .max) -> Int {
        guard y >= area.y, y < area.bottom else { return 0 }
        var col = x
        var written = 0
        for ch in text {
            let w = CharacterWidth.of(ch)
            if w == 0 { continue }
            if written >= maxWidth || col >= area.right { break }
            if w == 2 && (written + 2 > maxWidth || col + 1 >= area.right) {
                // No room for both halves: pad the last cell instead of splitting the character.
                if col >= area.x { set(x: col, y: y, Cell(" ", style: style)) }
                col += 1
                written += 1
                break
            }
            if col >= area.x {
                set(x: col, y: y, Cell(ch, style: style))
            } else if w == 2 && col + 1 == area.x {
                // The left half falls outside the area: the right half shows as a space.
                set(x: area.x, y: y, Cell(" ", style: style))
            }
            col += w
            written += w
        }
        return written
    }

    /// Fills `rect` (clipped to the area) with `cell`. Double-width characters cut by the rectangle's edges lose
    /// their outside half (it becomes a space); a double-width `cell` is set every second column (see `set`).
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        if cell.width == 2 || cell.isContinuation {
            for yy in r.y ..< r.bottom {
                for xx in stride(from: r.x, to: r.right, by: cell.isContinuation ? 1 : 2) {
                    // The last column of an odd-width rectangle gets a space: the character would cross the edge.
                    if xx + 1 < r.right || cell.isContinuation { set(x: xx, y: yy, cell) }
                    else { set(x: xx, y: yy, Cell(" ", style: cell.style)) }
                }
            }
            return
        }
        for yy in r.y ..< r.bottom {
            let row = (yy - area.y) * area.width - area.x
            clearPair(at: row + r.x, x: r.x)
            if r.right - 1 > r.x { clearPair(at: row + r.right - 1, x: r.right - 1) }
            for xx in r.x ..< r.right { cells[row + xx] = cell }
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

    /// The text of each row, trailing spaces kept (for tests and snapshots). Continuation cells are left out, so a
    /// row reads as a terminal shows it (`手写数字.npz` takes 12 cells and reads as those 8 characters).
    public var lines: [String] {
        guard area.width > 0 else { return [String](repeating: "", count: area.height) }
        return (0..<area.height).map { rowText($0) }
    }

    /// The text of row `y` (absolute), or "" outside the area; continuation cells left out as in `lines`.
    public func line(_ y: Int) -> String {
        guard y >= area.y, y < area.bottom, area.width > 0 else { return "" }
        return rowText(y - area.y)
    }

    private func rowText(_ r: Int) -> String {
        var s = ""
        for c in cells[r * area.width ..< (r + 1) * area.width] where !c.isContinuation { s.append(c.symbol) }
        return s
    }

    @inline(__always)
    private func index(x: Int, y: Int) -> Int? {
        guard x >= area.x, x < area.right, y >= area.y, y < area.bottom else { return nil }
        return (y - area.y) * area.width + (x - area.x)
    }
}
