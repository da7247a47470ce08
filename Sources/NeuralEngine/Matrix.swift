/// A dense row-major matrix of `Float`, shape `[rows, cols]`: element `(r, c)` is `storage[r * cols + c]`.
///
/// Value type (copy-on-write through `Array`). Used at the engine's public edges (weights, `predict` output,
/// test fixtures); the training loop works on preallocated buffers instead.
/// Thread-safety: a value; safe to send between threads.
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    /// Number of rows (the batch dimension for activations, `input features` for a kernel).
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// Row-major elements, `rows * cols` of them.
    public var storage: [Float]

    /// A `[rows, cols]` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// A `[rows, cols]` matrix over `storage` (row-major). Traps when `storage.count != rows * cols` (programmer error).
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "Matrix storage has \(storage.count) elements, expected \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows; all rows must have the same length (programmer error otherwise).
    public init(_ nested: [[Float]]) {
        let r = nested.count
        let c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "ragged rows")
        self.init(rows: r, cols: c, storage: nested.flatMap { $0 })
    }

    /// Element `(r, c)`.
    @inlinable public subscript(r: Int, c: Int) -> Float {
        get { storage[r * cols + c] }
        set { storage[r * cols + c] = newValue }
    }

    /// Row `r` as an array.
    public func row(_ r: Int) -> [Float] { Array(storage[r * cols ..< (r + 1) * cols]) }

    /// The number of elements, `rows * cols`.
    public var count: Int { storage.count }

    public var description: String {
        "Matrix[\(rows)x\(cols)](" + (0..<min(rows, 4)).map { row($0).prefix(6).map { "\($0)" }.joined(separator: ", ") }.joined(separator: "; ") + ")"
    }
}
