/// Text attributes a terminal can show.
///
/// Thread-safety: a value; safe to send between threads.
public struct Modifiers: OptionSet, Hashable, Sendable {
    /// The bit set.
    public let rawValue: UInt8
    /// The set with bits `rawValue`.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Bold / bright.
    public static let bold = Modifiers(rawValue: 1 << 0)
    /// Dim / faint.
    public static let dim = Modifiers(rawValue: 1 << 1)
    /// Underlined.
    public static let underline = Modifiers(rawValue: 1 << 2)
    /// Foreground and background swapped.
    public static let reverse = Modifiers(rawValue: 1 << 3)
    /// Italic (not shown by every terminal).
    public static let italic = Modifiers(rawValue: 1 << 4)
}

/// Foreground, background and modifiers of a cell.
///
/// Thread-safety: a value; safe to send between threads.
public struct Style: Hashable, Sendable {
    /// Text / glyph colour.
    public var foreground: Color
    /// Cell background colour.
    public var background: Color
    /// Text attributes.
    public var modifiers: Modifiers

    /// A style; defaults are the terminal's own colours, no modifiers.
    public init(foreground: Color = .default, background: Color = .default, modifiers: Modifiers = []) {
        self.foreground = foreground
        self.background = background
        self.modifiers = modifiers
    }

    /// The terminal's default style.
    public static let plain = Style()

    /// This style with another foreground.
    public func fg(_ c: Color) -> Style { var s = self; s.foreground = c; return s }
    /// This style with another background.
    public func bg(_ c: Color) -> Style { var s = self; s.background = c; return s }
    /// This style with extra modifiers.
    public func adding(_ m: Modifiers) -> Style { var s = self; s.modifiers.formUnion(m); return s }
}
