/// Something that draws itself into a rectangle of a `CellBuffer`.
///
/// Contract for every widget in this module:
/// - it writes only inside `area` (intersected with the buffer's own area), never traps, whatever the area
///   (zero size, 1x1, width 1) or data (empty, NaN, infinities, huge values);
/// - in ASCII mode (`Symbols.ascii`) every symbol it writes is ASCII.
///
/// Thread-safety: conforming types are `Sendable` values; rendering mutates only the buffer passed in.
public protocol Widget: Sendable {
    /// Draws into `area` of `buffer`.
    func render(_ area: Rect, into buffer: inout CellBuffer)
}

extension CellBuffer {
    /// Renders `widget` into `area` (defaults to the whole buffer).
    public mutating func render(_ widget: some Widget, in area: Rect? = nil) {
        widget.render(area ?? self.area, into: &self)
    }

    /// True when every cell's symbol is ASCII (used by tests of ASCII mode).
    public var isAllASCII: Bool { cells.allSatisfy { $0.symbol.isASCII } }
}
