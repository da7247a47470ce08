/// Which sides of a `Block` have a border line.
///
/// Thread-safety: a value; safe to send between threads.
public struct Borders: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let top = Borders(rawValue: 1)
    public static let bottom = Borders(rawValue: 2)
    public static let left = Borders(rawValue: 4)
    public static let right = Borders(rawValue: 8)
    /// All four sides.
    public static let all: Borders = [.top, .bottom, .left, .right]
    /// No border.
    public static let none: Borders = []
}
