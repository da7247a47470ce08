/// How a theme draws one role: a foreground colour, an optional background (nil = the theme's background) and
/// text modifiers.
///
/// Thread-safety: a value; safe to send between threads.
public struct ThemeEntry: Hashable, Sendable {
    /// Text / glyph colour.
    public var foreground: Color
    /// `nil` uses the theme's `background` role colour.
    public var background: Color?
    /// Text attributes.
    public var modifiers: Modifiers

    /// An entry; defaults: terminal colours, no modifiers.
    public init(_ foreground: Color = .default, background: Color? = nil, modifiers: Modifiers = []) {
        self.foreground = foreground
        self.background = background
        self.modifiers = modifiers
    }
}
