/// A message centred horizontally and vertically in an area, e.g. "Terminal too small (need 80x24)".
/// The area is cleared to `style` first; the text is word-wrapped and each line centred. With `border` and enough
/// room (text width + 4 columns, lines + 2 rows) a box is drawn around the text, else the text alone.
///
/// Works in any area size, including 1x1 (shows the first character of the wrapped text).
/// Thread-safety: a value; safe to send between threads.
public struct Notice: Widget {
    /// What is wrong / the text shown.
    public var message: String
    /// Style of the drawn text / glyphs.
    public var style: Style
    /// Draw a box around the message when it fits.
    public var border: Bool
    /// Style of the border lines.
    public var borderStyle: Style
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// A notice showing `message`.
    public init(_ message: String, style: Style = .plain, border: Bool = true, borderStyle: Style = .plain,
                symbols: Symbols = .unicode) {
        self.message = message
        self.style = style
        self.border = border
        self.borderStyle = borderStyle
        self.symbols = symbols
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let area = area.intersection(buffer.area)
        guard !area.isEmpty else { return }
        buffer.fill(area, with: Cell(" ", style: style))
        // Try with a box (2 cells of frame + 1 of padding each side), else without.
        let boxedWidth = area.width - 4
        if border, boxedWidth > 0 {
            let lines = TextFormatting.wrap(message, width: boxedWidth)
            let boxW = (lines.map(\.cellWidth).max() ?? 0) + 4, boxH = lines.count + 2
            if boxH <= area.height {
                let box = Rect(x: area.x + (area.width - boxW) / 2, y: area.y + (area.height - boxH) / 2,
                               width: boxW, height: boxH)
                Block(borderStyle: borderStyle, symbols: symbols).render(box, into: &buffer)
                draw(lines, in: Rect(x: box.x + 2, y: box.y + 1, width: boxW - 4, height: lines.count), into: &buffer)
                return
            }
        }
        let lines = TextFormatting.wrap(message, width: area.width)
        let h = min(lines.count, area.height)
        draw(Array(lines.prefix(h)), in: Rect(x: area.x, y: area.y + (area.height - h) / 2, width: area.width, height: h),
             into: &buffer)
    }

    private func draw(_ lines: [String], in r: Rect, into buffer: inout CellBuffer) {
        for (i, line) in lines.enumerated() where i < r.height {
            buffer.write(line, x: r.x + Alignment.center.offset(length: line.cellWidth, width: r.width), y: r.y + i,
                         style: style, maxWidth: r.width)
        }
    }
}
