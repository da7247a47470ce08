import AttachProtocol
import Dashboard
import Foundation
import SafeIO
#if canImport(Glibc)
import Glibc
#endif

/// The run's side of the attach protocol (`docs/attach-protocol.md`): listens on a Unix socket or on loopback TCP,
/// greets every client with `hello`, replays the history, then streams what `publish` is given; reads client lines
/// and hands commands to `onCommand`.
///
/// Threads: all socket work happens on the server's own I/O thread (non-blocking sockets, `poll(2)`, one output queue
/// per client). `publish`, `send(_:to:)` and `finish` only append to a locked inbox and wake that thread through a
/// pipe, so the trainer never waits for a socket. A client whose queue grows beyond `queueLimit` bytes (beyond the
/// history it was sent on attach) or that accepts no byte for `stallSeconds` while data waits is disconnected.
///
/// Security: the Unix socket is mode 0600 in a private 0700 directory, and connections from another uid
/// (`SO_PEERCRED`) are closed at once; TCP listens on loopback only and needs the token (32 random bytes, 64 hex
/// digits, compared in constant time) as the first line within `authSeconds`.
///
/// Files: the socket, the token file (TCP) and the discovery file `<dir>/<name>-<pid>.json`; `finish` removes them.
/// Call `finish` once the run ends: the I/O thread (and the server) lives until then.
///
/// Thread-safety: `publish`, `send`, `finish` and the read-only properties are safe from any thread; `onCommand`
/// and `hello` are called on the I/O thread.
public final class AttachServer: @unchecked Sendable {
    /// Tunables (the protocol's values by default; tests shorten them).
    public struct Limits: Sendable {
        /// Bytes a client may have waiting beyond its initial history before it is disconnected (16 MiB).
        public var queueLimit = 16 << 20
        /// Seconds a client may accept nothing while data waits (10).
        public var stallSeconds = 10.0
        /// Seconds a TCP client has to send `auth` (5).
        public var authSeconds = 5.0
        /// Batch messages kept in the history (older ones are thinned, keeping each epoch's last batch).
        public var historyBatches = 100_000
        public init() {}
    }

    /// The socket path (Unix), nil for TCP.
    public let socketPath: String?
    /// `127.0.0.1:PORT` (TCP), nil for a Unix socket.
    public let tcpAddress: String?
    /// The token a TCP client must send, nil for a Unix socket.
    public let token: String?
    /// The file holding the token (mode 0600), nil for a Unix socket.
    public let tokenFile: String?
    /// The discovery file (`trainboard ls` reads it).
    public let discoveryFile: String

    private let listenFD: Int32
    private let wakeRead: Int32, wakeWrite: Int32
    private let isTCP: Bool
    private let limits: Limits
    private let hello: @Sendable () -> Hello
    private let onCommand: @Sendable (CommandMessage, Int) -> Void
    private let inbox = Locked<[Outgoing]>([])
    private let done = DispatchSemaphore(value: 0)
    private let finished = Locked(false)
    private let clientCount = Locked(0)

    private enum Outgoing {
        case broadcast(RunMessage)
        case direct(RunMessage, Int)
        case finish(RunMessage, deadline: Double)
    }

    /// The private directory for sockets, tokens and discovery files: `$XDG_RUNTIME_DIR/trainboard`, else
    /// `<temp dir>/trainboard-<uid>`. `create` makes it (mode 0700) when missing; throws when it exists with another
    /// owner, as a symbolic link or another kind of file, or with group/other permissions.
    public static func privateDirectory(create: Bool) throws -> String {
        let dir = privateDirectoryPath
        try checkPrivate(dir, create: create)
        return dir
    }

    /// Where the private directory is (unchecked; it may not exist).
    public static var privateDirectoryPath: String {
        let env = ProcessInfo.processInfo.environment
        if let x = env["XDG_RUNTIME_DIR"], !x.isEmpty { return x + "/trainboard" }
        var tmp = env["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        while tmp.count > 1 && tmp.hasSuffix("/") { tmp.removeLast() }
        return "\(tmp)/trainboard-\(getuid())"
    }

    /// Checks (and with `create` makes) a private directory: owned by this user, mode 0700, not a link.
    static func checkPrivate(_ dir: String, create: Bool) throws {
        var st = stat()
        if lstat(dir, &st) != 0 {
            guard create, errno == ENOENT else {
                throw AttachError("\(dir): cannot use the private directory: \(Socket.errnoText())")
            }
            if mkdir(dir, 0o700) != 0 && errno != EEXIST {
                throw AttachError("\(dir): cannot create the private directory: \(Socket.errnoText())")
            }
            guard lstat(dir, &st) == 0 else { throw AttachError("\(dir): cannot use the private directory: \(Socket.errnoText())") }
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw AttachError("\(dir): expected a private directory, found \(FileKind(mode: st.st_mode).phrase); remove it or set XDG_RUNTIME_DIR")
        }
        guard st.st_uid == getuid() else {
            throw AttachError("\(dir): the private directory belongs to uid \(st.st_uid), not to this user (\(getuid())); refusing to use it")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw AttachError("\(dir): the private directory has mode \(String(st.st_mode & 0o777, radix: 8)); expected 700 (no access for group and others)")
        }
    }

    /// Run names: letters, digits, `-`, `_`, `.`; at most 40 characters (others replaced by `_`).
    public static func sanitizedName(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let s = String(name.prefix(40).map { allowed.contains($0) ? $0 : "_" })
        return s.isEmpty || s.allSatisfy({ $0 == "." }) ? "run" : s
    }

    /// Starts listening (the I/O thread starts too) and writes the discovery file (and the token file for TCP).
    /// - Parameters:
    ///   - address: `.unix(nil)` for `<dir>/<name>-<pid>.sock`, `.unix(path)`, or `.tcp` on a loopback host.
    ///   - name: the run's name (sanitized); `framework` goes into the discovery file.
    ///   - directory: the private directory (default `privateDirectory(create: true)`).
    ///   - hello: the `hello` message for a new connection (called on the I/O thread).
    ///   - onCommand: a client's command and its connection number (called on the I/O thread; must not block).
    /// - Throws: `AttachError` for a non-loopback TCP host, a socket path in use by a live run or held by another kind
    ///   of file, a path too long, an unusable private directory, or a socket call that fails.
    public init(address: AttachAddress, name: String, framework: String, directory: String? = nil, limits: Limits = Limits(),
                hello: @escaping @Sendable () -> Hello, onCommand: @escaping @Sendable (CommandMessage, Int) -> Void) throws {
        self.limits = limits
        self.hello = hello
        self.onCommand = onCommand
        let dir = try directory.map { d -> String in try Self.checkPrivate(d, create: true); return d }
            ?? Self.privateDirectory(create: true)
        let base = "\(dir)/\(Self.sanitizedName(name))-\(getpid())"
        discoveryFile = base + ".json"
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw AttachError("cannot create a pipe: \(Socket.errnoText())") }
        wakeRead = fds[0]; wakeWrite = fds[1]
        for fd in fds {
            Socket.setNonBlocking(fd)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        do {
            switch address {
            case .unix(let p):
                let path = p ?? base + ".sock"
                listenFD = try Self.listenUnix(path)
                socketPath = path; tcpAddress = nil; token = nil; tokenFile = nil; isTCP = false
            case .tcp(let host, let port):
                guard AttachAddress.isLoopback(host) else {
                    throw AttachError("\(address): a run listens on the loopback address only (127.0.0.1:PORT or [::1]:PORT); use an SSH tunnel to reach it from elsewhere")
                }
                let (fd, actual) = try Self.listenTCP(host: host, port: port)
                listenFD = fd
                socketPath = nil; isTCP = true
                tcpAddress = host.contains(":") ? "[\(host)]:\(actual)" : "\(host == "localhost" ? "127.0.0.1" : host):\(actual)"
                var rng = SystemRandomNumberGenerator()
                let t = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
                token = t
                tokenFile = base + ".token"
                do {
                    try SafeFile.write(Array((t + "\n").utf8), to: base + ".token")
                    chmod(base + ".token", 0o600)
                } catch {
                    close(fd)
                    throw AttachError("\(base).token: cannot write the token file: \(error)")
                }
            }
        } catch {
            close(wakeRead); close(wakeWrite)
            throw error
        }
        let entry = DiscoveryEntry(name: Self.sanitizedName(name), pid: Int(getpid()), framework: framework,
                                   started: Date().timeIntervalSince1970, socket: socketPath, tcp: tcpAddress,
                                   tokenFile: tokenFile)
        do {
            try SafeFile.write(AttachProtocol.encode(entry) + [0x0A], to: discoveryFile)
            chmod(discoveryFile, 0o600)
        } catch {
            removeFiles()
            close(listenFD); close(wakeRead); close(wakeWrite)
            throw AttachError("\(discoveryFile): cannot write the discovery file: \(error)")
        }
        let t = Thread { [self] in ioLoop() }
        t.name = "trainboard-attach-io"
        t.start()
    }

    private static func listenUnix(_ path: String) throws -> Int32 {
        var addr = try Socket.unixAddress(path)
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                throw AttachError("\(path): exists and is \(FileKind(mode: st.st_mode).phrase), not a socket; refusing to replace it")
            }
            // A socket left by a run that died is replaced; one that accepts connections belongs to a live run.
            if let fd = try? Socket.connect(.unix(path)) {
                close(fd)
                throw AttachError("\(path): another run is listening on this socket")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AttachError("cannot create a socket: \(Socket.errnoText())") }
        // The socket file is created 0600 (umask for the bind only, then chmod for the rare umask race).
        let old = umask(0o177)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindErrno = errno
        umask(old)
        guard r == 0 else {
            close(fd)
            throw AttachError("\(path): cannot create the socket: \(Socket.errnoText(bindErrno))")
        }
        chmod(path, 0o600)
        guard listen(fd, 16) == 0 else {
            let e = errno
            close(fd); unlink(path)
            throw AttachError("\(path): cannot listen: \(Socket.errnoText(e))")
        }
        Socket.setNonBlocking(fd)
        return fd
    }

    private static func listenTCP(host: String, port: UInt16) throws -> (Int32, UInt16) {
        let v6 = host == "::1"
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AttachError("cannot create a socket: \(Socket.errnoText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var r: Int32
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            a.sin6_addr = in6addr_loopback
            r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard r == 0, listen(fd, 16) == 0 else {
            let e = errno
            close(fd)
            throw AttachError("\(v6 ? "[::1]" : "127.0.0.1"):\(port): cannot listen: \(Socket.errnoText(e))")
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let actual: UInt16 = withUnsafePointer(to: &storage) { p in
            v6 ? p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
               : p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        Socket.setNonBlocking(fd)
        return (fd, actual)
    }

    /// The clients attached now (authenticated ones).
    public var connectionCount: Int { clientCount.withLock { $0 } }

    /// Sends `message` to every attached client and keeps it in the history for later ones (`hello`, `pong` and
    /// `error` are never kept). Any thread; never blocks on a socket.
    public func publish(_ message: RunMessage) { enqueue(.broadcast(message)) }

    /// Sends `message` to connection `id` only (not kept in the history).
    public func send(_ message: RunMessage, to id: Int) { enqueue(.direct(message, id)) }

    private func enqueue(_ o: Outgoing) {
        let accepted = finished.withLock { f -> Bool in
            if f { return false }
            if case .finish = o { f = true }
            return true
        }
        guard accepted else { return }
        inbox.withLock { $0.append(o) }
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)  // a full pipe already holds a wake-up
    }

    /// Sends `end` to every client, waits up to `flushSeconds` for their queues to drain, closes every connection,
    /// stops the I/O thread and removes the socket, token and discovery files. Later calls do nothing.
    public func finish(_ end: EndMessage, flushSeconds: Double = 2) {
        guard !finished.withLock({ $0 }) else { return }
        enqueue(.finish(.end(end), deadline: Socket.now() + flushSeconds))
        done.wait()
        removeFiles()
    }

    private func removeFiles() {
        if let p = socketPath { unlink(p) }
        if let t = tokenFile { unlink(t) }
        unlink(discoveryFile)
    }

    // MARK: - The I/O thread

    private final class Client {
        let fd: Int32
        let id: Int
        var framer = LineFramer(limit: AttachProtocol.clientLineLimit)
        var out: [UInt8] = []
        var offset = 0
        var authed: Bool
        let opened: Double
        var lastProgress: Double
        var closing = false
        var allowance = 0
        init(fd: Int32, id: Int, authed: Bool, now: Double) {
            self.fd = fd; self.id = id; self.authed = authed; opened = now; lastProgress = now
        }
        var pending: Int { out.count - offset }
        func queue(_ line: [UInt8]) {
            if out.isEmpty || offset == out.count { lastProgress = Socket.now() }
            if offset > 0 && offset >= out.count / 2 { out.removeFirst(offset); offset = 0 }
            out.append(contentsOf: line)
            out.append(0x0A)
        }
    }

    private struct Entry {
        var line: [UInt8]
        var isBatch: Bool
        var keep: Bool
    }

    private var clients: [Client] = []
    private var nextID = 1
    private var history: [Entry] = []
    private var historyBatches = 0
    private var lastBatchIndex: Int?

    private func remember(_ m: RunMessage, _ line: [UInt8]) {
        switch m {
        case .hello, .pong, .error, .historyEnd: return
        case .batch:
            lastBatchIndex = history.count
            history.append(Entry(line: line, isBatch: true, keep: false))
            historyBatches += 1
            if historyBatches > limits.historyBatches { thin() }
        case .epoch:
            if let i = lastBatchIndex { history[i].keep = true }
            history.append(Entry(line: line, isBatch: false, keep: true))
        default:
            history.append(Entry(line: line, isBatch: false, keep: true))
        }
    }

    /// Drops every other batch message that is not an epoch's last, oldest first.
    private func thin() {
        var drop = false
        var kept: [Entry] = []
        kept.reserveCapacity(history.count)
        historyBatches = 0
        lastBatchIndex = nil
        for e in history {
            if e.isBatch && !e.keep {
                drop.toggle()
                if drop { continue }
            }
            if e.isBatch { historyBatches += 1; lastBatchIndex = kept.count }
            kept.append(e)
        }
        history = kept
    }

    private func greet(_ c: Client) {
        c.queue(RunMessage.hello(hello()).line)
        var bytes = 0
        for e in history { c.queue(e.line); bytes += e.line.count + 1 }
        c.queue(RunMessage.historyEnd(count: history.count).line)
        c.allowance = bytes
        clientCount.withLock { $0 += 1 }
    }

    /// Closes and forgets a client; `why` (queue, stall, closed, eof, send) is for debugging.
    private func drop(_ c: Client, _ why: String = "") {
        close(c.fd)
        if c.authed { clientCount.withLock { $0 -= 1 } }
        clients.removeAll { $0 === c }
    }

    private func reply(_ c: Client, _ m: RunMessage, thenClose: Bool = false) {
        c.queue(m.line)
        if thenClose { c.closing = true }
    }

    private func handle(_ c: Client, line: [UInt8]) {
        let message: ClientMessage
        do { message = try ClientMessage.decode(line) } catch let e as AttachProtocol.DecodeError {
            if !c.authed {
                reply(c, .error(ErrorMessage(id: e.id, message: "the first line must be {\"v\":1,\"type\":\"auth\",\"token\":...} with the run's token")), thenClose: true)
            } else {
                reply(c, .error(ErrorMessage(id: e.id, message: e.message)))
            }
            return
        } catch {
            reply(c, .error(ErrorMessage(id: nil, message: "\(error)")))
            return
        }
        if !c.authed {
            guard case .auth(let t) = message, let token,
                  Socket.constantTimeEqual(Array(t.utf8), Array(token.utf8)) else {
                reply(c, .error(ErrorMessage(id: nil, message: "authentication failed: the first line must be auth with the run's token")), thenClose: true)
                return
            }
            c.authed = true
            greet(c)
            return
        }
        switch message {
        case .auth: reply(c, .error(ErrorMessage(id: nil, message: "already authenticated")))
        case .ping(let id): reply(c, .pong(id: id))
        case .command(let cmd): onCommand(cmd, c.id)
        }
    }

    private func accept() {
        while true {
            let fd = Glibc.accept(listenFD, nil, nil)
            if fd < 0 { return }
            Socket.setNonBlocking(fd)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if !isTCP {
                guard let uid = Socket.peerUID(fd), uid == geteuid() else { close(fd); continue }
            }
            let c = Client(fd: fd, id: nextID, authed: !isTCP, now: Socket.now())
            nextID += 1
            clients.append(c)
            if c.authed { greet(c) }
        }
    }

    private func read(_ c: Client, into buffer: inout [UInt8]) {
        while !c.closing {
            guard let n = Socket.receive(c.fd, &buffer) else { return }
            if n <= 0 { drop(c, "eof \(n)"); return }
            c.framer.append(buffer[0..<n])
            do {
                while !c.closing, let line = try c.framer.nextLine() { handle(c, line: line) }
            } catch {
                reply(c, .error(ErrorMessage(id: nil, message: "\(error); closing the connection")), thenClose: true)
                return
            }
        }
    }

    private func flush(_ c: Client) -> Bool {
        while c.pending > 0 {
            let n = Socket.send(c.fd, c.out, from: c.offset)
            if n < 0 { drop(c, "send"); return false }
            if n == 0 { break }
            c.offset += n
            c.lastProgress = Socket.now()
            c.allowance = max(0, c.allowance - n)
        }
        if c.pending == 0 { c.out.removeAll(keepingCapacity: c.out.count < 1 << 20); c.offset = 0 }
        return true
    }

    private func ioLoop() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var finishDeadline: Double?
        while true {
            let items = inbox.withLock { q -> [Outgoing] in let o = q; q.removeAll(); return o }
            for item in items {
                switch item {
                case .broadcast(let m):
                    let line = m.line
                    remember(m, line)
                    for c in clients where c.authed && !c.closing { c.queue(line) }
                case .direct(let m, let id):
                    if let c = clients.first(where: { $0.id == id && $0.authed && !$0.closing }) { c.queue(m.line) }
                case .finish(let m, let deadline):
                    let line = m.line
                    for c in clients where c.authed && !c.closing { c.queue(line) }
                    for c in clients { c.closing = true }
                    finishDeadline = deadline
                }
            }
            let now = Socket.now()
            for c in clients {
                if !c.authed && now - c.opened > limits.authSeconds && !c.closing {
                    reply(c, .error(ErrorMessage(id: nil, message: "authentication timed out after \(Int(limits.authSeconds)) s")), thenClose: true)
                }
                if c.pending > limits.queueLimit + c.allowance { drop(c, "queue"); continue }
                if c.pending > 0 && now - c.lastProgress > limits.stallSeconds { drop(c, "stall"); continue }
            }
            for c in clients where c.pending > 0 { _ = flush(c) }
            for c in clients where c.closing && c.pending == 0 { drop(c, "closed") }
            if let d = finishDeadline, clients.isEmpty || now > d {
                for c in clients { drop(c) }
                break
            }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if finishDeadline == nil { fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)) }
            let first = fds.count
            for c in clients {
                var ev = c.closing ? Int16(0) : Int16(POLLIN)
                if c.pending > 0 { ev |= Int16(POLLOUT) }
                fds.append(pollfd(fd: c.fd, events: ev, revents: 0))
            }
            _ = poll(&fds, nfds_t(fds.count), 50)
            if fds[0].revents != 0 {
                var sink = [UInt8](repeating: 0, count: 256)
                while Glibc.read(wakeRead, &sink, sink.count) > 0 {}
            }
            if finishDeadline == nil, fds[1].revents != 0 { accept() }
            let polled = Array(clients.prefix(fds.count - first))
            for (i, c) in polled.enumerated() {
                let ev = fds[first + i].revents
                guard ev != 0, clients.contains(where: { $0 === c }) else { continue }
                if c.closing, ev & Int16(POLLHUP | POLLERR) != 0 { drop(c); continue }
                if ev & Int16(POLLIN) != 0 || ev & Int16(POLLHUP) != 0 { read(c, into: &buffer) }
                guard clients.contains(where: { $0 === c }) else { continue }
                if ev & Int16(POLLERR) != 0 { drop(c); continue }
                if ev & Int16(POLLOUT) != 0 { _ = flush(c) }
            }
        }
        close(listenFD)
        close(wakeRead)
        close(wakeWrite)
        done.signal()
    }
}
