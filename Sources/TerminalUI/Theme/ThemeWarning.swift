/// A non-fatal problem in a theme file (an unknown key), returned by the parser rather than printed.
/// `description` reads `FILE:LINE: MESSAGE`.
///
/// Thread-safety: a value; safe to send between threads.
public struct ThemeWarning: Hashable, Sendable, CustomStringConvertible {
    /// The file name or path as given to the parser.
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// What is wrong / the text shown.
    public var message: String

    /// A message about `file` at 1-based `line`.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// Human-readable form (for messages and logs).
    public var description: String { "\(file):\(line): warning: \(message)" }
}
