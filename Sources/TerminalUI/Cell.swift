/// One terminal cell: a grapheme (one column wide) and its style.
///
/// Thread-safety: a value; safe to send between threads.
public struct Cell: Hashable, Sendable {
    /// The character shown. Trainboard only draws single-column characters (ASCII, block elements, braille).
    public var symbol: Character
    public var style: Style

    public init(_ symbol: Character = " ", style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }

    /// A space in the default style.
    public static let blank = Cell()
}
