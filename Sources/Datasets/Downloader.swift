import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Downloads files into a cache, verifying a SHA-256 and publishing them atomically.
///
/// Uses `URLSession` (FoundationNetworking on Linux, backed by libcurl). The body is held in memory, hashed, written
/// to a temporary file in the destination's directory and renamed into place, so a reader never sees a partial file
/// and a hash mismatch leaves nothing behind.
/// Thread-safety: stateless; blocks the calling thread until the transfer ends. Do not call it from the cooperative
/// thread pool.
public enum Downloader {
    /// Downloads `url` to `destination`.
    ///
    /// - Parameters:
    ///   - sha256: the expected lowercase or uppercase hex SHA-256 of the body; `nil` skips the check.
    ///   - timeout: seconds without progress before the request fails.
    /// - Throws: `DataError.download` (network error, HTTP status other than 2xx, cannot create the directory or write
    ///   the file) and `DataError.hashMismatch` (nothing is written then).
    public static func download(_ url: String, to destination: String, sha256: String?,
                                timeout: TimeInterval = 60) throws {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), ["http", "https", "file"].contains(scheme) else {
            throw DataError.download(url: url, reason: "not an http(s) URL")
        }
        let body = try fetch(u, timeout: timeout)
        let actual = hexDigest(body)
        if let expected = sha256, actual != expected.lowercased() {
            throw DataError.hashMismatch(url: url, destination: destination, expected: expected.lowercased(), actual: actual)
        }
        let directory = (destination as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory,
                                                    withIntermediateDirectories: true)
        } catch {
            throw DataError.download(url: url, reason: "cannot create directory \(directory): \(error.localizedDescription)")
        }
        try writeAtomically(body, to: destination, url: url)
    }

    /// The lowercase hex SHA-256 of the file at `path`. Throws `DataError.notFound` / `.unreadable`.
    public static func sha256Hex(ofFile path: String) throws -> String {
        let bytes = try Gzip.readRawFile(path)
        return SHA256Digest.hex(bytes)
    }

    static func hexDigest(_ data: Data) -> String {
        SHA256Digest.hex(data)
    }

    // MARK: Helpers

    private final class Box: @unchecked Sendable {
        let lock = NSLock()
        var data: Data?
        var response: URLResponse?
        var error: (any Error)?
    }

    private static func fetch(_ url: URL, timeout: TimeInterval) throws -> Data {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: url) { data, response, error in
            box.lock.lock()
            box.data = data
            box.response = response
            box.error = error
            box.lock.unlock()
            done.signal()
        }
        task.resume()
        done.wait()
        box.lock.lock()
        defer { box.lock.unlock() }
        if let error = box.error { throw DataError.download(url: url.absoluteString, reason: error.localizedDescription) }
        if let http = box.response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw DataError.download(url: url.absoluteString, reason: "HTTP status \(http.statusCode)")
        }
        guard let data = box.data else { throw DataError.download(url: url.absoluteString, reason: "no data received") }
        return data
    }

    private static func writeAtomically(_ data: Data, to destination: String, url: String) throws {
        var template = Array((destination + ".download-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw DataError.download(url: url, reason: "cannot create a temporary file next to \(destination): \(String(cString: strerror(errno)))")
        }
        let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: String?
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count, let base = raw.baseAddress {
                let n = write(fd, base + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); return
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil {
            _ = fchmodPath(tempPath)
            if rename(tempPath, destination) != 0 { failure = String(cString: strerror(errno)) }
        }
        if let failure {
            unlink(tempPath)
            throw DataError.download(url: url, reason: "cannot write \(destination): \(failure)")
        }
    }

    /// mkstemp creates 0600 files; a cached data set should be readable like any other download (0644).
    private static func fchmodPath(_ path: String) -> Int32 { chmod(path, 0o644) }
}
