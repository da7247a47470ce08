import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a socket could not be set up (listen, connect): the address and the system's reason.
public struct AttachError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where a run listens or a client connects (`--listen`, `trainboard attach`).
///
/// Thread-safety: a value.
public enum AttachAddress: Equatable, Sendable, CustomStringConvertible {
    /// A Unix domain socket; nil: `<private dir>/<name>-<pid>.sock`.
    case unix(String?)
    /// TCP; the run accepts only loopback hosts (`127.0.0.1`, `::1`, `localhost`).
    case tcp(host: String, port: UInt16)

    /// Reads `auto` (or an empty text) as the default socket, `HOST:PORT` / `[V6]:PORT` as TCP, anything else as a
    /// socket path. Throws `AttachError` for a port that is not 0...65535.
    public static func parse(_ text: String) throws -> AttachAddress {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "auto" { return .unix(nil) }
        if t.contains("/") { return .unix(t) }
        if t.hasPrefix("["), let close = t.firstIndex(of: "]") {
            let host = String(t[t.index(after: t.startIndex)..<close])
            let rest = t[t.index(after: close)...]
            guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()) else {
                throw AttachError("'\(text)': expected [HOST]:PORT with a port in 0...65535")
            }
            return .tcp(host: host, port: p)
        }
        if let colon = t.lastIndex(of: ":") {
            let host = String(t[..<colon]), port = String(t[t.index(after: colon)...])
            guard !host.isEmpty, let p = UInt16(port) else {
                throw AttachError("'\(text)': expected HOST:PORT with a port in 0...65535, or a socket path")
            }
            return .tcp(host: host, port: p)
        }
        return .unix(t)
    }

    /// Whether `host` is a loopback address the run may listen on.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host.lowercased())
    }

    public var description: String {
        switch self {
        case .unix(let p): return p ?? "(default socket)"
        case .tcp(let h, let p): return h.contains(":") ? "[\(h)]:\(p)" : "\(h):\(p)"
        }
    }
}

/// Small POSIX socket helpers shared by the server and the client.
enum Socket {
    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Monotonic seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// Fills a `sockaddr_un` for `path`; throws when the path is longer than the system allows (107 bytes).
    static func unixAddress(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else {
            throw AttachError("\(path): a socket path may have at most \(capacity - 1) bytes, this one has \(bytes.count); give a shorter path")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    /// A connected, non-blocking stream socket to `address` (a Unix path or host:port), or an error. Waits up to
    /// `timeout` seconds for a TCP connection.
    static func connect(_ address: AttachAddress, timeout: Double = 5) throws -> Int32 {
        switch address {
        case .unix(let p):
            guard let path = p else { throw AttachError("no socket path given") }
            var addr = try unixAddress(path)
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw AttachError("cannot create a socket: \(errnoText())") }
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if r != 0 {
                let e = errno
                close(fd)
                throw AttachError("cannot connect to \(path): \(errnoText(e))")
            }
            setNonBlocking(fd)
            return fd
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            var res: UnsafeMutablePointer<addrinfo>?
            let g = getaddrinfo(host, String(port), &hints, &res)
            guard g == 0, let first = res else {
                throw AttachError("cannot resolve \(host): \(String(cString: gai_strerror(g)))")
            }
            defer { freeaddrinfo(res) }
            var lastError = "no address"
            var ai: UnsafeMutablePointer<addrinfo>? = first
            while let a = ai {
                ai = a.pointee.ai_next
                let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
                if fd < 0 { lastError = errnoText(); continue }
                setNonBlocking(fd)
                if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
                if errno == EINPROGRESS {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&p, 1, Int32(timeout * 1000)) == 1 {
                        var err: Int32 = 0
                        var len = socklen_t(MemoryLayout<Int32>.size)
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                        if err == 0 { return fd }
                        lastError = errnoText(err)
                    } else {
                        lastError = "timed out after \(Int(timeout)) s"
                    }
                } else {
                    lastError = errnoText()
                }
                close(fd)
            }
            throw AttachError("cannot connect to \(address): \(lastError)")
        }
    }

    /// Writes as much of `bytes[offset...]` as the socket takes now; returns the bytes written, 0 when it would
    /// block, -1 on an error (the peer is gone).
    static func send(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> Int {
        guard offset < bytes.count else { return 0 }
        let n = bytes.withUnsafeBytes { raw in
            Glibc.send(fd, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if n >= 0 { return n }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1
    }

    /// Reads what is there now into `buffer`: the byte count, 0 at EOF, nil when it would block, -1 on an error.
    static func receive(_ fd: Int32, _ buffer: inout [UInt8]) -> Int? {
        let n = buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) }
        if n >= 0 { return n }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? nil : -1
    }

    /// The peer's uid of a connected Unix socket (SO_PEERCRED), nil when it cannot be read.
    static func peerUID(_ fd: Int32) -> uid_t? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (Linux; Glibc exposes it only with _GNU_SOURCE).
        var cred: (Int32, UInt32, UInt32) = (0, 0, 0)
        var len = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0, len == 12 else { return nil }
        return cred.1
    }

    /// True when `a` and `b` are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }
}
