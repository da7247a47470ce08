import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs libhdf5's parsing of untrusted bytes in a child process (`fork`), so that a damaged file that makes the
/// library crash (libhdf5 1.10 reads global-heap objects of a corrupted file without bounds checks: `H5HG_read`)
/// becomes an error instead of taking Trainboard down. The child runs `work` and sends its result (or its error's
/// message) back through a pipe; the parent waits at most `timeout` seconds (a library stuck in a loop is killed).
///
/// Cost: one `fork` per file read (about a millisecond); the child's pages are shared copy-on-write.
/// Thread-safety: call from any thread; the child uses only the forking thread (`work` must not wait for other
/// threads).
public enum HDF5Isolation {
    /// Why the isolated work failed: `message` is the child's error text, `kind` its error type.
    enum Kind: UInt8 { case ok = 0, format = 1, hdf5 = 2, other = 3 }

    /// The time allowed to parse a file of `bytes` bytes: `baseSeconds` plus one second per 16 MiB (a 1 GiB model
    /// gets about 74 s; parsing it takes a few).
    static func deadline(forBytes bytes: Int) -> Double { baseSeconds + Double(bytes) / Double(16 << 20) }

    /// The base of `deadline(forBytes:)` (10 s). The fuzzer lowers it to stay within its per-input time limit.
    nonisolated(unsafe) public static var baseSeconds = 10.0

    static func run(timeout: Double, _ work: () throws -> [UInt8]) throws -> [UInt8] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return try work() }
        let pid = fork()
        if pid < 0 {
            close(fds[0]); close(fds[1])
            return try work()
        }
        if pid == 0 {
            close(fds[0])
            // A crash ends the child quietly (no runtime backtrace on the user's terminal); the parent reports it.
            for sig in [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP] { signal(sig, SIG_DFL) }
            let devNull = open("/dev/null", O_WRONLY)
            if devNull >= 0 { dup2(devNull, 2) }
            var out: [UInt8]
            do { out = [Kind.ok.rawValue] + (try work()) } catch let e as ModelFormatError {
                out = [Kind.format.rawValue] + Array(e.message.utf8)
            } catch let e as HDF5Error {
                out = [Kind.hdf5.rawValue] + Array(e.message.utf8)
            } catch {
                out = [Kind.other.rawValue] + Array("\(error)".utf8)
            }
            var sent = 0
            while sent < out.count {
                let n = out.withUnsafeBytes { write(fds[1], $0.baseAddress! + sent, out.count - sent) }
                if n <= 0 { if n < 0 && errno == EINTR { continue }; _exit(1) }
                sent += n
            }
            _exit(0)
        }
        close(fds[1])
        defer { close(fds[0]) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while true {
            var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { timedOut = true; break }
            let r = poll(&p, 1, Int32(min(left, 1) * 1000))
            if r < 0 { if errno == EINTR { continue }; break }
            if r == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { throw HDF5Error("libhdf5 did not finish reading the HDF5 data within \(timeout < 10 ? String(format: "%.1f", timeout) : String(Int(timeout))) s (a damaged file)") }
        let signal = status & 0x7F
        if signal != 0 {
            throw HDF5Error("libhdf5 crashed (signal \(signal)) reading the HDF5 data: the file is damaged")
        }
        guard let tag = data.first.flatMap(Kind.init(rawValue:)) else {
            throw HDF5Error("reading the HDF5 data failed (the reader exited with status \((status >> 8) & 0xFF))")
        }
        let body = Array(data.dropFirst())
        let text = String(decoding: body, as: UTF8.self)
        switch tag {
        case .ok: return body
        case .format: throw ModelFormatError(text)
        case .hdf5: throw HDF5Error(text)
        case .other: throw ModelFormatError(text)
        }
    }
}
