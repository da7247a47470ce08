#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import Foundation
import Synchronization

/// Shares work between the calling thread and one helper thread, so that it uses both cores of the 2-core machines
/// Trainboard is measured on: the two halves of a data-parallel training step, and the optimizer's update in chunks.
///
/// `run(count:_:)` calls `body(i)` once for every `i` in `0..<count`; the calling thread and the helper take indices
/// one at a time from a shared counter, so a helper that wakes late (the machine is busy) only means the caller does
/// more of the chunks itself: the caller never waits for the helper to start, only for a chunk the helper already
/// took. Results do not depend on which thread ran a chunk when chunks touch disjoint memory (the optimizer's chunks
/// are disjoint ranges of its element-wise update), so training stays bit-for-bit reproducible.
///
/// Between calls the helper first watches for the next job for about `spinNanoseconds` (a data-parallel training step
/// posts two jobs per step, a few microseconds apart: waking a sleeping thread costs more than that), then sleeps on a
/// condition variable (so it takes no time from the BLAS threads while the engine is not using it). One pthread mutex
/// guards all job state (ThreadSanitizer sees the hand-over); the watch only reads an atomic copy of the job counter.
///
/// Thread-safety: `run` may be called from any thread, but calls are serialised (one job at a time); `body` must be safe
/// to call concurrently for different indices.
final class ChunkPool: @unchecked Sendable {
    /// The pool the engine uses: a helper when more than one CPU is online.
    static let shared = ChunkPool(helper: sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1)

    /// Whether this process may use a second core: the helper exists and BLAS was given at least two threads
    /// (`OPENBLAS_NUM_THREADS`; a search's `--jobs 2` gives each fit one, so that two fits do not run four threads on
    /// two cores). Read at the start of `fit` and of each update, before `fit` lowers BLAS's threads itself.
    static var mayUseSecondCore: Bool { shared.hasHelper && tb_blas_get_threads() >= 2 }

    /// Whether a helper thread exists.
    let hasHelper: Bool
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private let idle: UnsafeMutablePointer<pthread_cond_t>
    /// Serialises `run` calls.
    private let runLock = NSLock()
    // Guarded by `mutex`.
    private var job: ((Int) -> Void)?
    private var total = 0
    private var next = 0
    private var generation = 0
    private var open = false
    private var active = 0
    /// `generation`, readable without the mutex (the helper's watch between jobs).
    private let posted = Atomic<Int>(0)
    /// How long the helper watches for the next job before sleeping.
    static let spinNanoseconds: UInt64 = 100_000

    init(helper: Bool) {
        hasHelper = helper
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        wake = .allocate(capacity: 1)
        wake.initialize(to: pthread_cond_t())
        pthread_cond_init(wake, nil)
        idle = .allocate(capacity: 1)
        idle.initialize(to: pthread_cond_t())
        pthread_cond_init(idle, nil)
        if helper {
            let t = Thread { [self] in helperLoop() }
            t.name = "trainboard-engine-helper"
            t.start()
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, on this thread and the helper; returns when all calls returned.
    func run(count: Int, _ body: @escaping (Int) -> Void) {
        guard hasHelper, count > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        runLock.lock()
        defer { runLock.unlock() }
        pthread_mutex_lock(mutex)
        job = body
        total = count
        next = 0
        open = true
        generation &+= 1
        posted.store(generation, ordering: .releasing)
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
        while let i = take() { body(i) }
        pthread_mutex_lock(mutex)
        open = false
        while active > 0 { pthread_cond_wait(idle, mutex) }
        job = nil
        pthread_mutex_unlock(mutex)
    }

    /// The next index of the current job, or nil when all are taken.
    private func take() -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard next < total else { return nil }
        next += 1
        return next - 1
    }

    private func helperLoop() {
        var seen = 0
        while true {
            let until = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
            var spins = 0
            while posted.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds > until { break }
            }
            pthread_mutex_lock(mutex)
            while !(open && generation != seen) { pthread_cond_wait(wake, mutex) }
            seen = generation
            active += 1
            let body = job
            pthread_mutex_unlock(mutex)
            if let body {
                while let i = take() { body(i) }
            }
            pthread_mutex_lock(mutex)
            active -= 1
            if active == 0 { pthread_cond_signal(idle) }
            pthread_mutex_unlock(mutex)
        }
    }
}
