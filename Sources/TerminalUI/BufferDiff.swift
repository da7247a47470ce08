/// The cells that differ between the previous frame and the next one, in row-major order: what a backend writes to
/// the terminal. When the sizes differ the whole next buffer is the diff (a full redraw). A double-width character's
/// two cells are in the diff together or not at all.
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
            // A double-width character and its continuation cell are always emitted together (left half first), so
            // that a backend sees the character whenever either half changed.
            let a = prev.cells, b = next.cells
            var lastEmitted = -1
            func emit(_ i: Int) {
                guard i > lastEmitted else { return }
                out.append(Change(x: next.area.x + i % w, y: next.area.y + i / w, cell: b[i]))
                lastEmitted = i
            }
            for i in b.indices where a[i] != b[i] {
                if b[i].isContinuation && i % w > 0 { emit(i - 1) }
                emit(i)
                if i % w + 1 < w && b[i + 1].isContinuation { emit(i + 1) }
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
