/// Text in an area: split on `\n`, optionally word-wrapped to the width, aligned per line, clipped to the height.
///
/// Without `wrap`, long lines are truncated with the ellipsis. `scroll` skips that many leading lines.
/// Thread-safety: a value; safe to send between threads.
public struct Paragraph: Widget {
    /// The text; `\n` starts a new line.
    public var text: String
    /// Style of the drawn text / glyphs.
    public var style: Style
    /// Horizontal alignment of each line.
    public var alignment: Alignment
    /// Word-wrap to the width (else truncate with the ellipsis).
    public var wrap: Bool
    /// Lines skipped at the top (>= 0).
    public var scroll: Int
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// A paragraph of `text`.
    public init(_ text: String, style: Style = .plain, alignment: Alignment = .left, wrap: Bool = true,
                scroll: Int = 0, symbols: Symbols = .unicode) {
        self.text = text
        self.style = style
        self.alignment = alignment
        self.wrap = wrap
        self.scroll = max(0, scroll)
        self.symbols = symbols
    }

    /// The lines drawn for a width of `width` cells (before scrolling and height clipping).
    public func lines(width: Int) -> [String] {
        guard width > 0 else { return [] }
        if wrap { return TextFormatting.wrap(text, width: width) }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { TextFormatting.truncate(String($0), width: width, ellipsis: symbols.ellipsis) }
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        for (i, line) in lines(width: area.width).dropFirst(scroll).prefix(area.height).enumerated() {
            let x = area.x + alignment.offset(length: line.cellWidth, width: area.width)
            buffer.write(line, x: x, y: area.y + i, style: style, maxWidth: area.width)
        }
    }
}
