/// One terminal cell: a grapheme and its style.
///
/// A double-width character (`CharacterWidth.of(symbol) == 2`: CJK, fullwidth forms, most emoji) takes two cells in
/// a `CellBuffer`: the character in the left one and a *continuation* cell (`isContinuation`, symbol `" "`, same style)
/// to its right. Only `CellBuffer` makes continuation cells, and it keeps the pair together: overwriting either half
/// blanks the other. A combining mark is part of its base's `Character`, so it never has a cell of its own.
///
/// Thread-safety: a value; safe to send between threads.
public struct Cell: Hashable, Sendable {
    /// The character shown (a whole grapheme cluster, combining marks included). `" "` in a continuation cell.
    public var symbol: Character
    /// Style of the drawn text / glyphs.
    public var style: Style
    /// True for the right half of a double-width character (the character is in the cell to the left). Backends
    /// draw nothing for it when they drew the character two cells wide.
    public internal(set) var isContinuation: Bool

    /// A cell showing `symbol` in `style`.
    public init(_ symbol: Character = " ", style: Style = .plain) {
        self.symbol = symbol
        self.style = style
        self.isContinuation = false
    }

    /// The right half of a double-width character drawn in `style`.
    static func continuation(style: Style) -> Cell {
        var c = Cell(" ", style: style)
        c.isContinuation = true
        return c
    }

    /// Columns this cell's symbol takes: 0 for a continuation cell, otherwise `CharacterWidth.of(symbol)` (0, 1, 2).
    public var width: Int { isContinuation ? 0 : CharacterWidth.of(symbol) }

    /// A space in the default style.
    public static let blank = Cell()
}
