/// The cells that differ between the previous frame and the next one, in row-major order: what a backend writes to
/// the terminal. When the sizes differ the whole next buffer is the diff (a full redraw).
///
/// Thread-safety: a value; safe to send between threads.
public struct BufferDiff: Sendable {
    /// A changed cell at absolute `(x, y)`.
    public struct Change: Equatable, Sendable {
        /// Column (absolute, cells).
        public var x: Int
        /// Row (absolute, cells).
        public var y: Int
        /// The new content of the cell.
        public var cell: Cell
    }

    /// Changes in row-major order.
    public let changes: [Change]
    /// True when the sizes differed and everything must be redrawn (the backend should clear first).
    public let isFullRedraw: Bool

    /// The difference from `previous` to `next`. `previous == nil` means "nothing is known on screen": full redraw.
    public init(previous: CellBuffer?, next: CellBuffer) {
        var out: [Change] = []
        let w = next.area.width
        if let prev = previous, prev.area == next.area {
            for (i, (a, b)) in zip(prev.cells, next.cells).enumerated() where a != b {
                out.append(Change(x: next.area.x + i % w, y: next.area.y + i / w, cell: b))
            }
            isFullRedraw = false
        } else {
            out.reserveCapacity(next.cells.count)
            for (i, c) in next.cells.enumerated() {
                out.append(Change(x: next.area.x + i % w, y: next.area.y + i / w, cell: c))
            }
            isFullRedraw = true
        }
        changes = out
    }

    /// True when nothing changed.
    public var isEmpty: Bool { changes.isEmpty }
}
