#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a POSIX mutex (`pthread_mutex_t`).
///
/// Why not `Synchronization.Mutex`: on Linux it is built on a futex that ThreadSanitizer cannot see, so TSan reports
/// accesses made under it as races (observed with Swift 6.3.1 on `TrainingChannel`'s inbox). A pthread mutex is
/// intercepted by TSan, so the channel can be checked under `swift test --sanitize=thread`.
///
/// Thread-safety: `withLock` is safe from any thread; the closure runs with the lock held (do not re-enter).
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
