/// Splits a byte stream into JSON Lines (`docs/attach-protocol.md`, "Framing"): each line ends with `\n`; a line longer
/// than `limit` bytes (without its newline) is an error, detected as soon as that many bytes without a newline have
/// arrived, so a peer can never make the buffer grow past `limit` plus one read.
///
/// Thread-safety: a value; use from one thread at a time.
public struct LineFramer: Sendable {
    /// A line over the limit: the connection must be closed (the run answers `error` first).
    public struct LineTooLong: Error, Equatable, CustomStringConvertible, Sendable {
        public let limit: Int
        public init(limit: Int) { self.limit = limit }
        public var description: String { "a line is longer than the protocol's limit of \(limit) bytes" }
    }

    /// The longest line accepted, in bytes, without its `\n`.
    public let limit: Int
    private var buffer: [UInt8] = []
    /// Where the next line starts in `buffer`.
    private var start = 0
    /// Where the newline search resumes (bytes before it hold none).
    private var scanned = 0

    /// - Parameter limit: `AttachProtocol.clientLineLimit` (the run reading clients) or `runLineLimit` (a client).
    public init(limit: Int) { self.limit = max(1, limit) }

    /// Bytes received but not yet returned as lines.
    public var pendingCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line without its `\n` (and without a `\r` before it), or nil when none is complete yet.
    /// Throws `LineTooLong` when a line, complete or not, has more than `limit` bytes; the framer is then unusable.
    public mutating func nextLine() throws -> [UInt8]? {
        var i = scanned
        while i < buffer.count {
            if buffer[i] == 0x0A {
                let length = i - start
                guard length <= limit else { throw LineTooLong(limit: limit) }
                var end = i
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[start..<end])
                start = i + 1
                scanned = start
                return line
            }
            i += 1
        }
        scanned = i
        if buffer.count - start > limit { throw LineTooLong(limit: limit) }
        return nil
    }
}
