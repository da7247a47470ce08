import TerminalUI

/// The themes the dashboard cycles through with `t`: the requested one first, then every other theme found
/// (`ThemeLibrary.standard()`: `$TRAINBOARD_THEMES`, `./themes`, next to the executable, the source tree's
/// `themes/`, built-ins).
///
/// Thread-safety: a value; safe to send between threads.
public struct ResolvedTheme: Sendable {
    public var themes: [Theme]
    /// Warnings about unknown keys (requested theme) and themes that were skipped because they do not parse, each
    /// starting with or containing `warning:` (`FILE:LINE: warning: ...`), ready to print.
    public var warnings: [String]

    /// Loads `requested` (a name or a path; `nil` = "default") strictly — a missing theme or a malformed line is a
    /// `ConfigurationError` for key `theme` naming the file and line — and the other available themes leniently.
    public static func load(_ requested: String?, library: ThemeLibrary = .standard()) throws -> ResolvedTheme {
        let name = requested ?? "default"
        var warnings: [String] = []
        let first: Theme
        do {
            let (t, w) = try library.load(name)
            first = t
            warnings += w.map(\.description)
        } catch {
            throw ConfigurationError(key: "theme", "\(error)")
        }
        var themes = [first]
        for other in library.availableNames() where other != first.name && other != name {
            do { themes.append(try library.load(other).theme) } catch {
                warnings.append("warning: skipping theme \(other): \(error)")
            }
        }
        return ResolvedTheme(themes: themes, warnings: warnings)
    }
}
