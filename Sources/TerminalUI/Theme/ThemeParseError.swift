/// A malformed line in a theme file. `description` reads `FILE:LINE: MESSAGE`, e.g.
/// `themes/x.theme:7: expected a quoted value like "#RRGGBB", "#GG", "R G B" or "", got '#ff00'`.
///
/// Thread-safety: a value; safe to send between threads.
public struct ThemeParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file name or path as given to the parser.
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// What was wrong and what was expected.
    public var message: String

    /// A message about `file` at 1-based `line`.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// Human-readable form (for messages and logs).
    public var description: String { "\(file):\(line): \(message)" }
}
