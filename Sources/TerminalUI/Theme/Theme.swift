/// A colour theme: one `ThemeEntry` per `ThemeRole`, resolved to `Style`s with `theme[.loss]`.
///
/// `Theme.dark` (name "default") is built in, so the app works without theme files; `Theme.mono` uses only the
/// terminal's default colours and modifiers (for `NO_COLOR` / monochrome terminals). Files are read by
/// `ThemeParser`, found by `ThemeLibrary`; roles a file does not set keep the base (default) theme's entry.
///
/// Thread-safety: a value; safe to send between threads.
public struct Theme: Hashable, Sendable {
    /// The theme name (for a file: its name without `.theme`).
    public var name: String
    /// Every role has an entry (the initialiser fills missing ones with `.default` colours).
    public private(set) var entries: [ThemeRole: ThemeEntry]

    /// A theme from `entries`; roles missing from it get a plain entry (terminal default colours).
    public init(name: String, entries: [ThemeRole: ThemeEntry]) {
        self.name = name
        var all = entries
        for role in ThemeRole.allCases where all[role] == nil { all[role] = ThemeEntry() }
        self.entries = all
    }

    /// The entry of `role`.
    public func entry(_ role: ThemeRole) -> ThemeEntry { entries[role] ?? ThemeEntry() }

    /// Replaces the entry of `role`.
    public mutating func set(_ role: ThemeRole, _ entry: ThemeEntry) { entries[role] = entry }

    /// The screen background colour.
    public var backgroundColor: Color { entry(.background).foreground }

    /// The resolved style of `role`: its foreground, its own background or the theme's, its modifiers.
    /// `.background` resolves to the `text` foreground on the background colour (the style to clear the screen with).
    public subscript(role: ThemeRole) -> Style {
        if role == .background {
            let e = entry(.background)
            return Style(foreground: entry(.text).foreground, background: e.background ?? e.foreground,
                         modifiers: e.modifiers)
        }
        let e = entry(role)
        return Style(foreground: e.foreground, background: e.background ?? backgroundColor, modifiers: e.modifiers)
    }

    /// The built-in dark theme (named "default"); `themes/default.theme` spells out the same values.
    public static let dark: Theme = {
        func hex(_ s: String) -> Color { Color(hex: s) ?? .default }
        return Theme(name: "default", entries: [
            .background: ThemeEntry(.default),
            .text: ThemeEntry(hex("#d0d0d0")),
            .muted: ThemeEntry(hex("#808080")),
            .title: ThemeEntry(hex("#5fafff"), modifiers: .bold),
            .border: ThemeEntry(hex("#585858")),
            .loss: ThemeEntry(hex("#ff875f")),
            .valLoss: ThemeEntry(hex("#ffd75f")),
            .accuracy: ThemeEntry(hex("#5fd787")),
            .valAccuracy: ThemeEntry(hex("#5fd7d7")),
            .lr: ThemeEntry(hex("#af87ff")),
            .lrPlanned: ThemeEntry(hex("#8787af")),
            .running: ThemeEntry(hex("#5fd75f"), modifiers: .bold),
            .paused: ThemeEntry(hex("#ffaf00"), modifiers: .bold),
            .warning: ThemeEntry(hex("#ffaf00")),
            .error: ThemeEntry(hex("#ff5f5f"), modifiers: .bold),
            .highlight: ThemeEntry(hex("#ffffff"), background: hex("#303a5f"), modifiers: .bold),
            .gauge: ThemeEntry(hex("#5f87d7")),
            .marker: ThemeEntry(hex("#d7d75f")),
            .key: ThemeEntry(hex("#5fafff"), modifiers: .bold),
            .run1: ThemeEntry(hex("#5fafff")),
            .run2: ThemeEntry(hex("#ff875f")),
            .run3: ThemeEntry(hex("#5fd787")),
            .run4: ThemeEntry(hex("#d787d7")),
        ])
    }()

    /// The built-in monochrome theme (named "mono"): terminal default colours, meaning carried by modifiers.
    public static let mono: Theme = Theme(name: "mono", entries: [
        .title: ThemeEntry(modifiers: .bold),
        .muted: ThemeEntry(modifiers: .dim),
        .border: ThemeEntry(modifiers: .dim),
        .valLoss: ThemeEntry(modifiers: .bold),
        .valAccuracy: ThemeEntry(modifiers: .bold),
        .lrPlanned: ThemeEntry(modifiers: .dim),
        .running: ThemeEntry(modifiers: .bold),
        .paused: ThemeEntry(modifiers: [.bold, .reverse]),
        .warning: ThemeEntry(modifiers: .bold),
        .error: ThemeEntry(modifiers: [.bold, .underline]),
        .highlight: ThemeEntry(modifiers: .reverse),
        .marker: ThemeEntry(modifiers: .dim),
        .key: ThemeEntry(modifiers: .bold),
        // Without colour, runs differ by their weight and underline (and by the legend's order).
        .run2: ThemeEntry(modifiers: .bold),
        .run3: ThemeEntry(modifiers: .dim),
        .run4: ThemeEntry(modifiers: .underline),
    ])

    /// The built-in themes by name.
    public static let builtIn: [String: Theme] = ["default": .dark, "mono": .mono]
}
