/// A horizontal progress bar filling `ratio` of the area's width, with a label centred on the middle row.
///
/// `ratio` is clamped to 0...1; NaN counts as 0. Unicode fills partial cells with eighth blocks (`▏`...`▉`),
/// ASCII fills with `#`. The label (default: the percentage, e.g. "42%") is truncated to the width; over the
/// filled part it is drawn with foreground/background swapped so it stays readable.
/// Every row of the area is filled (use a 1-row area for a thin bar).
/// Thread-safety: a value; safe to send between threads.
public struct Gauge: Widget {
    /// Fill fraction; clamped to 0...1 when drawn, NaN counts as 0.
    public var ratio: Double
    /// Text on the bar; `nil` shows the rounded percentage.
    public var label: String?
    /// Style of the filled part (its foreground colours the blocks).
    public var filledStyle: Style
    /// Style of the unfilled part and of the label over it.
    public var emptyStyle: Style
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// A gauge; the default label is the percentage.
    public init(ratio: Double, label: String? = nil, filledStyle: Style = .plain, emptyStyle: Style = .plain,
                symbols: Symbols = .unicode) {
        self.ratio = ratio
        self.label = label
        self.filledStyle = filledStyle
        self.emptyStyle = emptyStyle
        self.symbols = symbols
    }

    /// `ratio` clamped to 0...1 with NaN as 0.
    public var clampedRatio: Double { ratio.isNaN ? 0 : min(1, max(0, ratio)) }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let area = area.intersection(buffer.area)
        guard !area.isEmpty else { return }
        let r = clampedRatio
        let eighthsTotal = Int((r * Double(area.width * 8)).rounded(.down))    // 0 ... width*8, finite
        let fullCells = eighthsTotal / 8
        let rest = eighthsTotal % 8
        let partial: Character? = rest > 0 && !symbols.horizontalEighths.isEmpty ? symbols.horizontalEighths[rest - 1] : nil
        for y in area.y..<area.bottom {
            for i in 0..<area.width {
                let x = area.x + i
                if i < fullCells {
                    buffer.set(x: x, y: y, symbol: symbols.full, style: filledStyle)
                } else if i == fullCells, let partial {
                    buffer.set(x: x, y: y, symbol: partial, style: filledStyle)
                } else {
                    buffer.set(x: x, y: y, symbol: symbols.empty, style: emptyStyle)
                }
            }
        }
        let text = TextFormatting.truncate(label ?? "\(Int((r * 100).rounded()))%", width: area.width,
                                           ellipsis: symbols.ellipsis)
        guard !text.isEmpty else { return }
        let start = area.x + Alignment.center.offset(length: text.cellWidth, width: area.width)
        let y = area.y + (area.height - 1) / 2
        let inverted = Style(foreground: filledStyle.background, background: filledStyle.foreground,
                             modifiers: filledStyle.modifiers)
        var x = start
        for ch in text {
            defer { x += CharacterWidth.of(ch) }
            let covered = x - area.x < fullCells
            // On a terminal-default filled style, reverse video keeps the label readable.
            let style = covered ? (filledStyle.foreground == .default ? filledStyle.adding(.reverse) : inverted)
                                : emptyStyle
            buffer.set(x: x, y: y, symbol: ch, style: style)
        }
    }
}
