#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Steers a running `LocalExecutor` from another thread (the dashboard's): stop the whole search, or cancel some fits
/// (a skipped candidate's). A cancelled or stopped fit that has not started never starts; one that is running is
/// killed with SIGKILL (it leaves no result file, so the ending is `.signaled(SIGKILL)`; a result already written
/// atomically stays).
///
/// Thread-safety: every method is safe from any thread (one lock). The executor registers its processes under the
/// same lock and only reaps a process after unregistering it, so a signal never reaches a reused process id.
public final class FitControl: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [pid_t: Int] = [:]
    private var cancelled: Set<Int> = []
    private var stopped = false

    public init() {}

    /// True once `stop` was called.
    public var isStopped: Bool { lock.withLock { stopped } }

    /// Whether fit `index` was cancelled (or the search stopped).
    public func isCancelled(_ index: Int) -> Bool { lock.withLock { stopped || cancelled.contains(index) } }

    /// The fits running now (fit numbers, ascending).
    public var runningFits: [Int] { lock.withLock { running.values.sorted() } }

    /// Stops the search: no fit starts any more and the running ones are killed. Returns the fits killed.
    @discardableResult
    public func stop() -> [Int] {
        lock.withLock {
            stopped = true
            return killLocked { _ in true }
        }
    }

    /// Cancels `fits`: those not started never start, those running are killed. Returns the fits killed.
    @discardableResult
    public func cancel(_ fits: Set<Int>) -> [Int] {
        lock.withLock {
            cancelled.formUnion(fits)
            return killLocked { fits.contains($0) }
        }
    }

    private func killLocked(_ which: (Int) -> Bool) -> [Int] {
        var killed: [Int] = []
        for (pid, i) in running where which(i) {
            kill(pid, SIGKILL)
            killed.append(i)
        }
        return killed.sorted()
    }

    /// Starts fit `index` with `start` unless it is cancelled; registers the process. Returns nil when cancelled.
    func start(_ index: Int, _ start: () throws -> pid_t) rethrows -> pid_t? {
        try lock.withLock {
            if stopped || cancelled.contains(index) { return nil }
            let pid = try start()
            running[pid] = index
            return pid
        }
    }

    /// Forgets process `pid` (before it is reaped).
    func finished(_ pid: pid_t) { lock.withLock { _ = running.removeValue(forKey: pid) } }
}
