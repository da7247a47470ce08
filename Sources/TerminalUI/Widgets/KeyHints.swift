/// A one-line list of `key: action` hints, e.g. `q: quit  p: pause  +/-: lr`.
///
/// Truncation: hints are kept whole, left to right, while they fit; when some are dropped an ellipsis is drawn
/// after the last kept one (if room). If not even the first fits it is cut with the ellipsis. Only the first
/// row of the area is used.
/// Thread-safety: a value; safe to send between threads.
public struct KeyHints: Widget {
    /// `(key, action)` pairs in display order.
    public var hints: [(key: String, action: String)]
    /// Style of `key:`.
    public var keyStyle: Style
    /// Style of the action text and separators.
    public var actionStyle: Style
    /// Text between hints (default two spaces).
    public var separator: String
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// Hints in display order.
    public init(_ hints: [(key: String, action: String)], keyStyle: Style = .plain, actionStyle: Style = .plain,
                separator: String = "  ", symbols: Symbols = .unicode) {
        self.hints = hints
        self.keyStyle = keyStyle
        self.actionStyle = actionStyle
        self.separator = separator
        self.symbols = symbols
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty, !hints.isEmpty else { return }
        let width = area.width
        var x = area.x
        let y = area.y
        for (i, h) in hints.enumerated() {
            let sep = i == 0 ? "" : separator
            let keyText = h.key + ":", actionText = " " + h.action
            let len = sep.cellWidth + keyText.cellWidth + actionText.cellWidth
            let used = x - area.x
            let isLast = i == hints.count - 1
            // Keep one cell for the ellipsis unless this is the last hint.
            let room = width - used - (isLast ? 0 : 1)
            if len <= room || (isLast && len <= width - used) {
                x += buffer.write(sep, x: x, y: y, style: actionStyle)
                x += buffer.write(keyText, x: x, y: y, style: keyStyle)
                x += buffer.write(actionText, x: x, y: y, style: actionStyle)
                continue
            }
            if i == 0 {
                let full = TextFormatting.truncate(keyText + actionText, width: width, ellipsis: symbols.ellipsis)
                let (key, k) = TextFormatting.prefix(full, width: min(keyText.cellWidth, full.cellWidth))
                buffer.write(key, x: x, y: y, style: keyStyle)
                buffer.write(String(full.dropFirst(key.count)), x: x + k, y: y, style: actionStyle)
            } else if x < area.right {
                buffer.set(x: x + (x + 1 < area.right ? 1 : 0), y: y, symbol: symbols.ellipsis, style: actionStyle)
            }
            return
        }
    }
}
