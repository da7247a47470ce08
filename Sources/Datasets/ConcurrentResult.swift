import Foundation

/// Runs a closure on its own `Thread` (not the cooperative pool: the work is long, blocking and CPU-bound) and hands
/// its result to whoever calls `wait()`.
///
/// Thread-safety: `wait()` may be called from any one thread; the result is published through a semaphore.
final class ConcurrentResult<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            self.result = Result(catching: body)
            self.done.signal()
        }
        thread.start()
    }

    /// Blocks until the closure has returned, then gives its result.
    func wait() -> Result<T, any Error> {
        done.wait()
        return result ?? .failure(CancellationError())
    }
}
