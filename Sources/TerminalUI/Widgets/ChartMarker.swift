/// A vertical line across a `LineChart` at data coordinate `x` (e.g. "best epoch", an LR drop, a checkpoint).
///
/// Markers outside the x bounds or with a non-finite `x` are not drawn. Drawn beneath the series.
/// Thread-safety: a value; safe to send between threads.
public struct ChartMarker: Hashable, Sendable {
    /// Data x coordinate of the line.
    public var x: Double
    /// The line glyph; `nil` uses `Symbols.markerLine` (`┊` / `:`). Use an ASCII glyph in ASCII mode.
    public var symbol: Character?
    /// Style of the drawn text / glyphs.
    public var style: Style
    /// Short text drawn at the top of the line, to its right, when room (truncated to the plot).
    public var label: String?

    /// A marker at data `x`.
    public init(x: Double, symbol: Character? = nil, style: Style = .plain, label: String? = nil) {
        self.x = x
        self.symbol = symbol
        self.style = style
        self.label = label
    }
}
