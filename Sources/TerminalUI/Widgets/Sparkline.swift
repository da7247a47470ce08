/// A one-glyph-per-value bar chart of a `Double` series, drawn left to right; when the series is longer than the
/// area is wide, the newest values that fit are shown (the rightmost cell is the newest value).
///
/// Scaling (see `Sparkline+Scaling.swift`): finite values are mapped from `min...max` (given, or the finite data's
/// range) onto `levelCount = 8 * height` levels, level = round((v - min) / (max - min) * (levelCount - 1)); so with
/// one row `[1, 5, 22, 13, 5]` draws `▁▂█▅▂` and `0...7` draws `▁▂▃▄▅▆▇█`. Every finite value draws at least the
/// lowest glyph. A constant series (max == min) draws the middle level. NaN and infinities draw `symbols.invalid`
/// in `invalidStyle` on the bottom row and do not affect the scale. With `logScale`, values are compared by
/// log10; values <= 0 then draw the lowest level.
///
/// Height: with more than one row, full cells stack below a partial top glyph.
/// Thread-safety: a value; safe to send between threads.
public struct Sparkline: Widget {
    /// The series, oldest first (any Double).
    public var data: [Double]
    /// Style of the drawn text / glyphs.
    public var style: Style
    /// Style of the marker drawn for NaN / infinite values.
    public var invalidStyle: Style
    /// Fixed lower bound of the scale (else the smallest finite value shown).
    public var min: Double?
    /// Fixed upper bound of the scale (else the largest finite value shown).
    public var max: Double?
    /// Scale by log10 (good for losses spanning decades).
    public var logScale: Bool
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// A sparkline; by default auto-scaled, linear.
    public init(data: [Double], style: Style = .plain, invalidStyle: Style = .plain, min: Double? = nil,
                max: Double? = nil, logScale: Bool = false, symbols: Symbols = .unicode) {
        self.data = data
        self.style = style
        self.invalidStyle = invalidStyle
        self.min = min
        self.max = max
        self.logScale = logScale
        self.symbols = symbols
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty, !data.isEmpty else { return }
        let shown = data.suffix(area.width)
        let levels = levelIndices(for: shown, height: area.height)
        let glyphs = symbols.levels
        let perRow = glyphs.count                      // 8
        for (i, level) in levels.enumerated() {
            let x = area.x + i
            guard let level else {
                buffer.set(x: x, y: area.bottom - 1, symbol: symbols.invalid, style: invalidStyle)
                continue
            }
            // level in 0..<(perRow * height): the value fills (level + 1) eighths counted from the bottom row.
            let filled = level + 1
            for row in 0..<area.height {
                let eighths = filled - row * perRow
                if eighths <= 0 { break }
                let ch = eighths >= perRow ? glyphs[perRow - 1] : glyphs[eighths - 1]
                buffer.set(x: x, y: area.bottom - 1 - row, symbol: ch, style: style)
            }
        }
    }
}
