import CGzip
import SafeIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading whole files, transparently inflating gzip.
///
/// Thread-safety: stateless; every function may be called from any thread.
public enum Gzip {
    /// The first two bytes of every gzip stream.
    public static let magic: (UInt8, UInt8) = (0x1F, 0x8B)

    /// The bytes of the file at `path`, inflated when the file starts with the gzip magic `1f 8b`, raw otherwise.
    ///
    /// Concatenated gzip members are inflated one after another, as `gzip -d` does.
    /// Throws `DataError.notFound` / `.unreadable` for file-system problems and `DataError.gzip` (naming `path`) for a
    /// corrupt or truncated gzip stream.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let raw = try readRawFile(path)
        guard isGzip(raw) else { return raw }
        return try inflate(raw, path: path)
    }

    /// The most bytes a deflate stream can expand to per compressed byte (RFC 1951: a 258-byte match costs at least
    /// two bits, about 1032:1); a header declaring more data than this allows is refused before inflating.
    public static let maximumRatio = 1032

    /// Like `readFile(_:)`, but returns the first `headerSize` bytes apart from the rest. For a gzipped file the body
    /// is inflated straight into its own array, so a 47 MB image block is never copied to drop a 16-byte header.
    ///
    /// `declaredBody` reads the header and returns the body size it declares (nil: unknown). A gzipped body is then
    /// inflated to at most that size plus one byte: a small file declaring little but inflating to gigabytes stops
    /// there, and a header declaring more than the compressed bytes can hold (`maximumRatio`) is refused at once.
    /// Throws `DataError.badHeader` in both cases.
    ///
    /// `bodyLimit` reads the header (after `declaredBody` accepted it) and returns the most body bytes wanted. When
    /// the header declares more, a gzipped body is inflated only that far (the rest of the stream is neither read nor
    /// checked; a stream that ends sooner is left to the caller's length check) and a raw body is cut there. Only the
    /// start of a gzipped file is read then: 1 MiB, then 4 times more until the wanted bytes inflate.
    static func readFile(_ path: String, headerSize: Int,
                         declaredBody: ((_ header: [UInt8]) throws -> Int?)? = nil,
                         bodyLimit: ((_ header: [UInt8]) -> Int)? = nil) throws -> (header: [UInt8], body: [UInt8]) {
        var chunks: [[UInt8]]
        var readSize = bodyLimit == nil ? Int.max : 1 << 20
        while true {
            let (raw, fileSize) = try readRawFile(path, maxBytes: readSize)
            let whole = raw.count >= fileSize
            guard isGzip(raw) else {
                if whole { chunks = [raw]; break }
                readSize = Int.max; continue    // a raw file is read whole and cut below
            }
            do {
                chunks = try inflateChunks(raw, path: path, firstChunk: headerSize, declaredBody: declaredBody,
                                           bodyLimit: bodyLimit, partialOf: whole ? nil : fileSize)
                break
            } catch is NeedMoreInput {
                readSize = readSize > Int.max / 4 ? Int.max : readSize * 4
            }
        }
        if chunks.count == 2 && chunks[0].count == headerSize
            && chunks[1].count <= bodyLimit.map({ $0(chunks[0]) }) ?? Int.max { return (chunks[0], chunks[1]) }
        if chunks.count == 1 && chunks[0].count <= headerSize { return (chunks[0], []) }
        let all = chunks.count == 1 ? chunks[0] : joined(chunks)
        let h = min(headerSize, all.count)
        let header = Array(all[..<h])
        // A raw file is read whole; its body is cut here (a gzipped one already stopped inflating there).
        var end = all.count
        if let bodyLimit, h == headerSize { end = min(end, h + max(0, bodyLimit(header))) }
        return (header, Array(all[h..<end]))
    }

    /// Whether `bytes` starts with the gzip magic.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == magic.0 && bytes[1] == magic.1
    }

    /// The raw bytes of the file at `path`. Throws `DataError.notFound` or `DataError.unreadable`.
    ///
    /// Only regular files are read (symbolic links followed): a FIFO, `/dev/zero` or another device is refused before
    /// any read (`DataError.unreadable` "not a regular file"), so nothing blocks or reads forever; a file larger than
    /// the memory limit (`MemoryLimit`) is refused before it is read.
    public static func readRawFile(_ path: String) throws -> [UInt8] { try readRawFile(path, maxBytes: Int.max).bytes }

    /// The first `maxBytes` bytes of the file at `path` (all of it when smaller) and the file's size; checks and
    /// throws as `readRawFile(_:)`.
    static func readRawFile(_ path: String, maxBytes: Int) throws -> (bytes: [UInt8], fileSize: Int) {
        // O_NONBLOCK: opening a FIFO without a writer would block before fstat could refuse it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT { throw DataError.notFound(path: path) }
            throw DataError.unreadable(path: path, reason: String(cString: strerror(e)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let kind = FileKind(mode: st.st_mode)
        if kind == .directory { throw DataError.unreadable(path: path, reason: "is a directory") }
        guard kind == .regular else { throw DataError.unreadable(path: path, reason: "not a regular file (\(kind.phrase))") }
        let size = Int(st.st_size)
        guard size <= MemoryLimit.bytes else {
            throw DataError.unreadable(path: path, reason: MemoryLimit.refusal("reading the file", needs: size))
        }
        var failure: Int32 = 0
        let wanted = min(size, max(0, maxBytes))
        let bytes = [UInt8](unsafeUninitializedCapacity: wanted) { buf, initialized in
            var done = 0
            while done < wanted, let base = buf.baseAddress {
                let n = read(fd, base + done, wanted - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failure != 0 { throw DataError.unreadable(path: path, reason: String(cString: strerror(failure))) }
        // A regular file that grew since fstat is read as it was then: one more byte read tells, and is refused.
        var extra: UInt8 = 0
        while bytes.count == size {
            let n = read(fd, &extra, 1)
            if n < 0 && errno == EINTR { continue }
            if n > 0 { throw DataError.unreadable(path: path, reason: "the file grew while it was read") }
            break
        }
        return (bytes, size)
    }

    /// Inflating a file's first bytes needs more of them (internal to `readFile`).
    struct NeedMoreInput: Error {}

    /// Inflates the gzip (or zlib) stream `compressed`; `path` is only used in error messages.
    /// Throws `DataError.gzip` when the stream is corrupt or ends before its end marker.
    ///
    /// The output is bounded by the memory limit (`MemoryLimit`): a gzip bomb is refused with `DataError.gzip` once it
    /// inflates past it, before more is allocated.
    public static func inflate(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        let chunks = try inflateChunks(compressed, path: path, firstChunk: nil, declaredBody: nil, bodyLimit: nil,
                                       partialOf: nil)
        return chunks.count == 1 ? chunks[0] : joined(chunks)
    }

    private static func joined(_ chunks: [[UInt8]]) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
        for c in chunks { output += c }
        return output
    }

    /// Inflates into arrays built in place (no zero-filling): `firstChunk` bytes (when given), then the rest of the
    /// size promised by the gzip trailer, then 1 MB+ chunks if the trailer understated it. With `bodyLimit` below
    /// the declared body, inflating stops after `firstChunk + bodyLimit` bytes. `partialOf`: `compressed` is only the
    /// start of a file of this many bytes; running out of it throws `NeedMoreInput` (not a truncation error).
    private static func inflateChunks(_ compressed: [UInt8], path: String, firstChunk: Int?,
                                      declaredBody: ((_ header: [UInt8]) throws -> Int?)?,
                                      bodyLimit: ((_ header: [UInt8]) -> Int)?, partialOf fileSize: Int?) throws -> [[UInt8]] {
        let isPartial = fileSize != nil
        var needMore = false
        // The most output accepted: the memory limit, then (once the header is read) what the header declares + 1,
        // or the first `bodyLimit` body bytes when the caller wants no more.
        var cap = MemoryLimit.bytes
        var capIsDeclared = false
        var stopsAtLimit = false
        // ISIZE (the last four bytes) is the uncompressed size modulo 2^32 of the last member: a good first guess.
        var capacity = compressed.count * 4
        if compressed.count >= 18 && !isPartial {
            let n = compressed.count
            let isize = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16
                | Int(compressed[n - 1]) << 24
            if isize > 0 && isize < compressed.count * 1100 { capacity = isize }
        }
        capacity = min(max(capacity, 1 << 16), cap)

        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw DataError.gzip(path: path, reason: "zlib initialisation failed (\(initStatus))") }
        defer { inflateEnd(&stream) }

        var chunks: [[UInt8]] = []
        var thrown: Error?
        var declaredFailure = false
        var overflow = false
        var consumed = 0
        var finished = false
        var error: String?
        compressed.withUnsafeBufferPointer { input in
            guard let inBase = input.baseAddress else { error = "empty input"; return }
            var chunkSize = capacity
            if let firstChunk, firstChunk > 0 { chunkSize = firstChunk }
            var total = 0
            while !finished && error == nil {
                if total >= cap { break }
                chunkSize = min(chunkSize, cap - total)
                let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { out, initialized in
                    var produced = 0
                    defer { initialized = produced }
                    guard let outBase = out.baseAddress else { return }
                    while produced < out.count {
                        stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                        stream.avail_in = UInt32(clamping: input.count - consumed)
                        stream.next_out = outBase + produced
                        stream.avail_out = UInt32(clamping: out.count - produced)
                        let availIn = stream.avail_in, availOut = stream.avail_out
                        let status = CGzip.inflate(&stream, Z_NO_FLUSH)
                        consumed += Int(availIn - stream.avail_in)
                        produced += Int(availOut - stream.avail_out)
                        switch status {
                        case Z_STREAM_END:
                            // Another member may follow (trailing zero padding is ignored, as gzip does).
                            var next = consumed
                            while next < input.count && input[next] == 0 { next += 1 }
                            if isPartial && input.count - next < 2 { needMore = true; error = "partial"; return }
                            if next >= input.count { finished = true; return }
                            guard input.count - next >= 2, input[next] == magic.0, input[next + 1] == magic.1 else {
                                error = "trailing garbage after the gzip stream at byte \(next)"
                                return
                            }
                            consumed = next
                            guard inflateReset(&stream) == Z_OK else { error = "zlib reset failed"; return }
                        case Z_OK:
                            continue
                        case Z_BUF_ERROR:
                            if consumed >= input.count {
                                if isPartial { needMore = true; error = "partial"; return }
                                error = "truncated gzip stream: input ended after \(input.count) compressed bytes "
                                    + "before the end marker"
                                return
                            }
                            continue // output space ran out; the next chunk provides more
                        default:
                            let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                            error = "corrupt gzip data after \(consumed) compressed bytes: \(message)"
                            return
                        }
                    }
                }
                chunks.append(chunk)
                total += chunk.count
                if chunks.count == 1, let firstChunk, let declaredBody, chunk.count == firstChunk, !finished {
                    do {
                        if let body = try declaredBody(chunk) {
                            let compressedSize = fileSize ?? compressed.count
                            guard body <= compressedSize * maximumRatio else {
                                error = "declared \(body) data bytes cannot come from \(compressedSize) compressed bytes"
                                declaredFailure = true
                                break
                            }
                            if let wanted = bodyLimit?(chunk), body > wanted {
                                cap = min(cap, firstChunk + max(0, wanted))
                                stopsAtLimit = true
                                capacity = cap
                            } else {
                                cap = min(cap, firstChunk + body + 1)
                                capIsDeclared = true
                                capacity = firstChunk + body
                            }
                        }
                    } catch let e {
                        thrown = e
                        break
                    }
                }
                chunkSize = total < capacity ? max(capacity - total, 1 << 16) : max(1 << 20, capacity / 4)
            }
            if !finished && !stopsAtLimit && error == nil && thrown == nil && total >= cap {
                overflow = true
            }
        }
        if needMore { throw NeedMoreInput() }
        if let thrown { throw thrown }
        if declaredFailure, let error { throw DataError.badHeader(path: path, reason: error) }
        if let error { throw DataError.gzip(path: path, reason: error) }
        if overflow {
            if capIsDeclared {
                throw DataError.badHeader(path: path, reason: "the file holds more data than its header declares "
                                          + "(\(cap - 1 - (firstChunk ?? 0)) bytes)")
            }
            throw DataError.gzip(path: path, reason: MemoryLimit.refusal("inflating the file", needs: cap + 1))
        }
        return chunks
    }
}
