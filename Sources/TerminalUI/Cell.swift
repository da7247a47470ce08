/// One terminal cell: a grapheme (one column wide) and its style.
///
/// Thread-safety: a value; safe to send between threads.
public struct Cell: Hashable, Sendable {
    /// The character shown. Trainboard only draws single-column characters (ASCII, block elements, braille).
    public var symbol: Character
    /// Style of the drawn text / glyphs.
    public var style: Style

    /// A cell showing `symbol` in `style`.
    public init(_ symbol: Character = " ", style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }

    /// A space in the default style.
    public static let blank = Cell()
}
