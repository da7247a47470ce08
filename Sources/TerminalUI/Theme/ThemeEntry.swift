/// How a theme draws one role: a foreground colour, an optional background (nil = the theme's background) and
/// text modifiers.
///
/// Thread-safety: a value; safe to send between threads.
public struct ThemeEntry: Hashable, Sendable {
    public var foreground: Color
    /// `nil` uses the theme's `background` role colour.
    public var background: Color?
    public var modifiers: Modifiers

    public init(_ foreground: Color = .default, background: Color? = nil, modifiers: Modifiers = []) {
        self.foreground = foreground
        self.background = background
        self.modifiers = modifiers
    }
}
