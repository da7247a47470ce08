/// How many colours the terminal shows, from none (monochrome: modifiers only) to 24-bit.
///
/// Thread-safety: a value; safe to send between threads.
public enum ColorMode: Int, Hashable, Sendable, Comparable {
    case none = 0
    case ansi8 = 8
    case ansi256 = 256
    case truecolor = 16_777_216

    /// Orders modes by the number of colours.
    public static func < (a: ColorMode, b: ColorMode) -> Bool { a.rawValue < b.rawValue }

    /// True when `NO_COLOR` is set to a non-empty value (https://no-color.org). Pure: pass the environment.
    public static func noColorRequested(environment: [String: String]) -> Bool {
        guard let v = environment["NO_COLOR"] else { return false }
        return !v.isEmpty
    }

    /// The mode to use. `terminalColors` is what the terminal reports (ncurses `COLORS`; 0 if `has_colors()` is
    /// false). Rules, in order: `NO_COLOR` (non-empty) or `TERM=dumb` -> `.none`; fewer than 8 colours -> `.none`;
    /// `COLORTERM` = `truecolor` / `24bit` and at least 256 colours -> `.truecolor`; >= 256 -> `.ansi256`;
    /// else `.ansi8`. `override` (e.g. from a command-line flag) wins over everything except `NO_COLOR`.
    public static func detect(environment: [String: String], terminalColors: Int, override: ColorMode? = nil) -> ColorMode {
        if noColorRequested(environment: environment) { return .none }
        if let override { return override }
        if environment["TERM"] == "dumb" || terminalColors < 8 { return .none }
        let ct = (environment["COLORTERM"] ?? "").lowercased()
        if (ct == "truecolor" || ct == "24bit"), terminalColors >= 256 { return .truecolor }
        return terminalColors >= 256 ? .ansi256 : .ansi8
    }
}

extension ColorMode: CustomStringConvertible {
    /// "none", "8", "256" or "truecolor".
    public var description: String {
        switch self {
        case .none: return "none"
        case .ansi8: return "8"
        case .ansi256: return "256"
        case .truecolor: return "truecolor"
        }
    }
}
