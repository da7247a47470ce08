/// Why `ThemeLibrary.load` could not produce a theme (a parse error is thrown as `ThemeParseError` instead).
///
/// Thread-safety: a value; safe to send between threads.
public enum ThemeLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No `NAME.theme` in any searched directory and no built-in theme of that name.
    case notFound(name: String, searched: [String])
    /// The file exists but could not be read as UTF-8 text.
    case unreadable(path: String)
    /// A theme given as a file path (it contains `/` or ends in `.theme`) that does not exist.
    case noSuchFile(path: String)
    /// The file was not read: not a regular file (a FIFO, a device) or larger than the limit; `reason` says which.
    case refused(path: String, reason: String)

    /// Human-readable form (for messages and logs).
    public var description: String {
        switch self {
        case let .notFound(name, searched):
            return "theme '\(name)' not found (searched: \(searched.isEmpty ? "nothing" : searched.joined(separator: ", ")))"
        case let .unreadable(path):
            return "cannot read theme file \(path)"
        case let .noSuchFile(path):
            return "cannot read theme file \(path): no such file"
        case let .refused(path, reason):
            return "cannot read theme file \(path): \(reason)"
        }
    }
}
