#if canImport(Glibc)
import Glibc
#endif

/// A fixed-capacity heap buffer of `Float`, the training loop's workspace (no copy-on-write, no bounds checks on the
/// hot path). Zero-filled on allocation.
///
/// Thread-safety: not thread-safe; owned by one layer or optimizer on the training thread.
final class FloatBuffer {
    let capacity: Int
    let pointer: UnsafeMutablePointer<Float>
    /// False for a view into another buffer's memory (`init(viewing:capacity:)`), which is not freed with it.
    private let owned: Bool

    /// Buffers start on a 64-byte boundary (a cache line, one AVX-512 register): BLAS kernels and vector loops then
    /// never split a load across lines, and timings do not depend on where malloc happened to place a buffer.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: self.capacity * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
        owned = true
    }

    /// A view of `capacity` floats of another buffer's memory (a data-parallel replica's rows of its layer's
    /// workspaces); valid while that buffer lives and is not reallocated.
    init(viewing pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        self.capacity = max(1, capacity)
        self.pointer = pointer
        owned = false
    }

    convenience init(_ values: [Float]) {
        self.init(capacity: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { if owned { pointer.deallocate() } }

    func array(count: Int) -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    func zero(count: Int) { pointer.update(repeating: 0, count: count) }
}

@inline(__always) func fexp(_ x: Float) -> Float { expf(x) }
@inline(__always) func flog(_ x: Float) -> Float { logf(x) }
@inline(__always) func ftanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func dexp(_ x: Double) -> Double { exp(x) }
@inline(__always) func dlog(_ x: Double) -> Double { log(x) }
@inline(__always) func dlog1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func dcos(_ x: Double) -> Double { cos(x) }

extension FloatBuffer {
    /// A view of `count` rows from row `offset` on, of this buffer taken as `[rows, width]` row-major (a replica's
    /// workspace: see `Layer.replica`). Not freed with the view; valid while this buffer is.
    func rows(from offset: Int, count: Int, width: Int) -> FloatBuffer {
        FloatBuffer(viewing: pointer + offset * width, capacity: count * width)
    }
}
