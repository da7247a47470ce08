/// A non-fatal problem in a theme file (an unknown key), returned by the parser rather than printed.
/// `description` reads `FILE:LINE: MESSAGE`.
///
/// Thread-safety: a value; safe to send between threads.
public struct ThemeWarning: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line number.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): warning: \(message)" }
}
