#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses
import TerminalUI

extension Terminal {
    /// Shows `buffer`: diffs it against the buffer shown last, writes only the changed cells, and refreshes.
    /// A buffer of another size than the last one (or after a resize / `invalidate()`) is a full redraw, which
    /// erases the screen first. Cells outside the current screen are skipped; a buffer smaller than the screen leaves
    /// the rest blank (after a full redraw). Does nothing when the terminal is not active.
    /// Returns the number of cells written.
    @discardableResult
    public func present(_ buffer: CellBuffer) -> Int {
        guard isActive else { return 0 }
        refreshSize()
        let diff = BufferDiff(previous: previous, next: buffer)
        var written = 0
        if !diff.isEmpty || needsClear {
            var result = flush(diff)
            if result.pairsExhausted {
                // Every colour pair is in use. Redefining pairs would recolour cells already on screen, so start
                // over: fresh pairs and a full redraw of this frame.
                pairs.reset()
                result = flush(BufferDiff(previous: nil, next: buffer))
            }
            written = result.written
        }
        previous = buffer
        refreshScreen()
        return written
    }

    /// Writes the cells of `diff` as they are (low level; `present` is the usual entry point) and refreshes.
    /// A full-redraw diff erases the screen first. The terminal no longer knows what is on screen afterwards, so the
    /// next `present` redraws fully. Does nothing when the terminal is not active.
    public func draw(_ diff: BufferDiff) {
        guard isActive else { return }
        refreshSize()
        if flush(diff).pairsExhausted { pairs.reset() }
        previous = nil
        refreshScreen()
    }

    // MARK: - Internals

    struct FlushResult {
        var written = 0
        var pairsExhausted = false
    }

    /// Writes the changes into ncurses' virtual screen (no refresh).
    ///
    /// Double-width characters: `BufferDiff` gives a character and its continuation cell together, left half first.
    /// When the character was drawn two columns wide the continuation is skipped (ncurses filled it); otherwise (an
    /// ASCII locale, or the C library's `wcwidth` disagrees with `CharacterWidth`) it gets `?` where the character
    /// got `?`, else a space, so every column is written and nothing shifts.
    func flush(_ diff: BufferDiff) -> FlushResult {
        var result = FlushResult()
        guard let win = tb_stdscr() else { return result }
        if diff.isFullRedraw || needsClear { _ = werase(win) }
        let cols = size.columns, rows = size.rows
        // The last left half written: where, how many columns it took, and whether it was drawn as `?`.
        var lastLead: (x: Int, y: Int, columns: Int, question: Bool)?
        for change in diff.changes {
            // Never write outside the screen.
            guard change.x >= 0, change.y >= 0, change.x < cols, change.y < rows else { continue }
            var cell = change.cell
            if cell.isContinuation {
                let lead = lastLead.flatMap { $0.x == change.x - 1 && $0.y == change.y ? $0 : nil }
                if let lead, lead.columns == 2 { continue }
                cell = Cell((lead?.question ?? !isUTF8) ? "?" : " ", style: cell.style)
            } else if cell.width == 2 && change.x + 1 >= cols {
                // The right half would fall off the screen (a buffer wider than the screen): never split it.
                cell = Cell(" ", style: cell.style)
            }
            let pair: Int32
            if colorMode == .none {
                pair = 0
            } else if let p = colorPair(for: cell.style) {
                pair = p
            } else {
                result.pairsExhausted = true
                pair = 0
            }
            let drawn = put(cell, x: Int32(change.x), y: Int32(change.y), pair: pair, window: win)
            lastLead = (change.x, change.y, drawn.columns, drawn.question)
            result.written += 1
        }
        return result
    }

    /// `wnoutrefresh` + `doupdate`, clearing the physical screen first when needed (after a resize).
    func refreshScreen() {
        guard let win = tb_stdscr() else { return }
        if needsClear {
            _ = clearok(win, true)
            needsClear = false
        }
        _ = wnoutrefresh(win)
        _ = doupdate()
    }

    func colorPair(for style: Style) -> Int32? {
        let fg = ColorMapping.index(for: style.foreground, mode: colorMode).map(Int32.init) ?? -1
        let bg = ColorMapping.index(for: style.background, mode: colorMode).map(Int32.init) ?? -1
        return pairs.pair(
            fg: fg == -1 && !hasDefaultColors ? 7 : fg,
            bg: bg == -1 && !hasDefaultColors ? 0 : bg)
    }

    static func attributes(for modifiers: Modifiers) -> attr_t {
        var a = tb_a_normal()
        if modifiers.contains(.bold) { a |= tb_a_bold() }
        if modifiers.contains(.dim) { a |= tb_a_dim() }
        if modifiers.contains(.underline) { a |= tb_a_underline() }
        if modifiers.contains(.reverse) { a |= tb_a_reverse() }
        if modifiers.contains(.italic) { a |= tb_a_italic() }
        return a
    }

    /// Fills `wideScratch` with the characters to draw for `symbol` (0-terminated) and returns how many columns they
    /// take and whether `?` replaced the symbol. In ASCII mode: printable ASCII, else `?`. In UTF-8 mode: the scalars
    /// of the grapheme (a base and up to CCHARW_MAX - 1 combining marks) when the C library's `wcwidth` of its first
    /// scalar is 1 or 2 and not wider than `CharacterWidth.of(symbol)` (the cells the buffer gave it), else `?`.
    func encode(_ symbol: Character) -> (columns: Int, question: Bool) {
        let question = wchar_t(UInt8(ascii: "?"))
        let scalars = symbol.unicodeScalars
        guard let first = scalars.first else {
            wideScratch[0] = wchar_t(UInt8(ascii: " ")); wideScratch[1] = 0
            return (1, false)
        }
        if first.value >= 0x20 && first.value < 0x7F {
            wideScratch[0] = wchar_t(first.value)
            wideScratch[1] = 0
            if !isUTF8 || scalars.count == 1 { return (1, false) }
        }
        let columns = isUTF8 ? Int(tb_wcwidth(wchar_t(bitPattern: first.value))) : -1
        guard columns >= 1, columns <= CharacterWidth.of(symbol) else {
            wideScratch[0] = question; wideScratch[1] = 0
            return (1, true)
        }
        // A spacing character plus up to CCHARW_MAX - 1 combining characters.
        let maxChars = max(1, Int(tb_ccharw_max()))
        var n = 0
        for s in scalars where n < maxChars {
            wideScratch[n] = wchar_t(bitPattern: s.value)
            n += 1
        }
        wideScratch[n] = 0
        return (columns, false)
    }

    /// Writes `cell` at `(x, y)`; returns what `encode` drew (columns taken, `?` or not).
    @discardableResult
    func put(_ cell: Cell, x: Int32, y: Int32, pair: Int32, window: UnsafeMutablePointer<WINDOW>)
        -> (columns: Int, question: Bool) {
        let drawn = encode(cell.symbol)
        var cc = cchar_t()
        var extendedPair = pair
        let attrs = Terminal.attributes(for: cell.style.modifiers)
        let ok = wideScratch.withUnsafeBufferPointer { buf -> Bool in
            guard let base = buf.baseAddress else { return false }
            // The last argument (an int *) carries the pair number beyond the 16-bit short (ncurses >= 6.1).
            return setcchar(&cc, base, attrs, Int16(truncatingIfNeeded: min(pair, Int32(Int16.max))), &extendedPair)
                != tb_err()
        }
        guard ok else { return (1, true) }
        // The bottom-right cell can return ERR (the cursor cannot advance); the cell is still drawn. Ignore it.
        _ = mvwadd_wch(window, y, x, &cc)
        return drawn
    }
}
