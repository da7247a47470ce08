/// Reads btop-style theme files: one `theme[KEY]="VALUE"` per line.
///
/// - Keys: a `ThemeRole` raw value (`loss`, `val_loss`, ...) sets that role's foreground (for `background`, the
///   screen background); `KEY_bg` sets the role's own background (`""` here means "no own background: use the
///   theme's"); `KEY_mod` sets its modifiers as space-separated
///   words from `bold dim underline reverse italic` (`""` = none). A few btop keys are accepted as aliases
///   (`main_bg`, `main_fg`, `title`, `hi_fg`, `selected_fg`, `selected_bg`, `inactive_fg`, `div_line`).
/// - Colour values, always in double quotes: `"#RRGGBB"`, `"#GG"` (grey), `"R G B"` (decimal 0...255), or `""`
///   for the terminal default colour.
/// - Blank lines and lines starting with `#` are ignored; whitespace around `=` and the line is ignored.
/// - Unknown keys produce a `ThemeWarning` (returned) and are ignored; roles not set keep `base`'s entry.
/// - Anything else throws `ThemeParseError` naming the file, the 1-based line and what was expected.
///
/// Thread-safety: stateless; safe from any thread.
public enum ThemeParser {
    static let aliases: [String: String] = [
        "main_bg": "background", "main_fg": "text", "hi_fg": "key", "selected_fg": "highlight",
        "selected_bg": "highlight_bg", "inactive_fg": "muted", "div_line": "border",
    ]

    /// Parses `text` into a theme called `name`, starting from `base`. `file` is only used in messages.
    /// - Throws: `ThemeParseError` for the first malformed line.
    public static func parse(_ text: String, name: String, file: String = "<theme>", base: Theme = .dark)
        throws(ThemeParseError) -> (theme: Theme, warnings: [ThemeWarning]) {
        var theme = base
        theme.name = name
        var warnings: [ThemeWarning] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = i + 1
            let line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ msg: String) -> ThemeParseError { ThemeParseError(file: file, line: lineNo, message: msg) }
            guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]") else {
                throw fail("expected theme[key]=\"value\", got '\(line)'")
            }
            let rawKey = String(line[line.index(line.startIndex, offsetBy: 6)..<close]).trimmingSpaces()
            let afterKey = line[line.index(after: close)...].trimmingSpaces()
            guard afterKey.hasPrefix("=") else { throw fail("expected '=' after theme[\(rawKey)]") }
            let value = afterKey.dropFirst().trimmingSpaces()
            guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
                throw fail("expected a quoted value like \"#RRGGBB\", \"#GG\", \"R G B\" or \"\", got '\(value)'")
            }
            let inner = String(value.dropFirst().dropLast()).trimmingSpaces()
            let key = aliases[rawKey] ?? rawKey

            var roleName = key, part = "fg"
            if ThemeRole(rawValue: key) == nil {
                if key.hasSuffix("_bg") { roleName = String(key.dropLast(3)); part = "bg" }
                else if key.hasSuffix("_mod") { roleName = String(key.dropLast(4)); part = "mod" }
            }
            guard let role = ThemeRole(rawValue: roleName) else {
                warnings.append(ThemeWarning(file: file, line: lineNo, message: "unknown key '\(rawKey)' ignored"))
                continue
            }
            var entry = theme.entry(role)
            switch part {
            case "mod":
                var mods: Modifiers = []
                for word in inner.split(separator: " ") {
                    switch word.lowercased() {
                    case "bold": mods.insert(.bold)
                    case "dim": mods.insert(.dim)
                    case "underline": mods.insert(.underline)
                    case "reverse": mods.insert(.reverse)
                    case "italic": mods.insert(.italic)
                    default: throw fail("unknown modifier '\(word)'; expected bold, dim, underline, reverse or italic")
                    }
                }
                entry.modifiers = mods
            default:
                guard let color = parseColor(inner) else {
                    throw fail("expected a colour \"#RRGGBB\", \"#GG\", \"R G B\" (0-255) or \"\", got '\(value)'")
                }
                if part == "bg" { entry.background = inner.isEmpty ? nil : color } else { entry.foreground = color }
            }
            theme.set(role, entry)
        }
        return (theme, warnings)
    }

    /// A colour from the text between the quotes: "" -> `.default`, `#RRGGBB`, `#GG`, or `R G B` decimal.
    public static func parseColor(_ s: String) -> Color? {
        if s.isEmpty { return .default }
        if s.hasPrefix("#") { return Color(hex: s) }
        let parts = s.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 3 else { return nil }
        var v: [UInt8] = []
        for p in parts {
            guard let n = UInt8(p) else { return nil }
            v.append(n)
        }
        return .rgb(v[0], v[1], v[2])
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let s = firstIndex(where: { !isSpace($0) }), let e = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[s...e])
    }
}
