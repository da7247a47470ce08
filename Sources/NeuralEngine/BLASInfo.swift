import CBLAS
import Foundation

/// The BLAS library behind the engine, and a GEMM speed probe for benchmarks.
///
/// Thread-safety: every member is safe from any thread (loading is done once under `pthread_once`).
public enum BLASInfo {
    /// Loads the library if needed; returns a description ("OpenBLAS 0.3.21 ... (core SkylakeX, chosen by
    /// Trainboard from cpuid)"), or throws `ModelError.invalidArgument` with the loader's error when none loads.
    public static func load() throws -> String {
        guard tb_blas_load() == 0 else {
            throw ModelError.invalidArgument("no BLAS library could be loaded: \(String(cString: tb_blas_error()))")
        }
        return String(cString: tb_blas_description())
    }

    /// Threads the library uses.
    public static var threads: Int { Int(tb_blas_get_threads()) }

    /// Runs `body` with the library on `threads` threads (at least 1), then gives it its count back. A `fit` inside
    /// trains on one core when `threads` is 1 (`ChunkPool.mayUseSecondCore` reads this count). Not for use while
    /// another thread trains: the count is the whole process's.
    public static func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let before = tb_blas_get_threads()
        tb_blas_set_threads(Int32(max(1, threads)))
        defer { tb_blas_set_threads(before) }
        return try body()
    }

    /// Measures single-precision GEMM speed, C[m,n] = A[m,k] · B[k,n] (row-major), as the best of `repeats` timed
    /// runs of about `seconds` each. Returns GFLOP/s (2·m·n·k floating-point operations per GEMM).
    public static func sgemmGFLOPS(m: Int, k: Int, n: Int, seconds: Double = 0.5, repeats: Int = 5,
                                   transposeA: Bool = false) -> Double {
        var g = SeededGenerator(seed: 1)
        // The engine's own aligned buffers, so the probe sees the same memory layout as training.
        let a = FloatBuffer(capacity: m * k), b = FloatBuffer(capacity: k * n), c = FloatBuffer(capacity: m * n)
        for i in 0..<m * k { a.pointer[i] = g.nextUnitFloat() - 0.5 }
        for i in 0..<k * n { b.pointer[i] = g.nextUnitFloat() - 0.5 }
        var best = 0.0
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let ap = UnsafeBufferPointer(start: a.pointer, count: m * k), bp = UnsafeBufferPointer(start: b.pointer, count: k * n)
        let cp = UnsafeMutableBufferPointer(start: c.pointer, count: m * n)
        do {
            for _ in 0..<max(1, repeats) {
                var count = 0
                let start = DispatchTime.now().uptimeNanoseconds
                var elapsed = 0.0
                repeat {
                    if transposeA {
                        tb_sgemm(Int32(TB_TRANS), Int32(TB_NO_TRANS), Int32(m), Int32(n), Int32(k), 1, ap.baseAddress, Int32(m),
                                 bp.baseAddress, Int32(n), 0, cp.baseAddress, Int32(n))
                    } else {
                        tb_sgemm(Int32(TB_NO_TRANS), Int32(TB_NO_TRANS), Int32(m), Int32(n), Int32(k), 1, ap.baseAddress, Int32(k),
                                 bp.baseAddress, Int32(n), 0, cp.baseAddress, Int32(n))
                    }
                    count += 1
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                } while elapsed < seconds
                best = max(best, flops * Double(count) / elapsed / 1e9)
            }
        }
        return best
    }
}
