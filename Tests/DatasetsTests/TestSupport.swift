import CGzip
import Foundation
import XCTest

/// A fresh temporary directory, removed by `cleanup()`.
final class TempDir {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/trainboard-ds-XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw XCTSkip("cannot create a temporary directory")
        }
        path = String(cString: p)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// Writes `bytes` gzip-compressed with zlib's gz* functions.
    @discardableResult
    func writeGzip(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        guard let gz = gzopen(p, "wb6") else { throw XCTSkip("gzopen failed") }
        let written = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        XCTAssertEqual(Int(written), bytes.count)
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

/// An idx3-ubyte image file image.
func idxImages(count: Int, rows: Int, cols: Int, pixel: (Int, Int) -> UInt8, magic: Int = 0x0803) -> [UInt8] {
    var b = be32(magic) + be32(count) + be32(rows) + be32(cols)
    for i in 0..<count { for j in 0..<(rows * cols) { b.append(pixel(i, j)) } }
    return b
}

/// An idx1-ubyte label file image.
func idxLabels(_ labels: [UInt8], magic: Int = 0x0801) -> [UInt8] { be32(magic) + be32(labels.count) + labels }

/// Runs `python3 -c script` in `directory`; skips the test when python3 or NumPy is missing.
func runPython(_ script: String, in directory: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script]
    p.currentDirectoryURL = URL(fileURLWithPath: directory)
    let err = Pipe()
    p.standardError = err
    do { try p.run() } catch { throw XCTSkip("python3 not available") }
    p.waitUntilExit()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    if p.terminationStatus != 0 {
        if message.contains("No module named") || p.terminationStatus == 127 { throw XCTSkip("python3/numpy missing: \(message)") }
        XCTFail("python3 failed: \(message)")
    }
}

/// Asserts that `body` throws an error whose description contains every string in `fragments`.
func assertThrows<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch {
        let text = "\(error)"
        for f in fragments {
            XCTAssertTrue(text.contains(f), "error '\(text)' does not contain '\(f)'", file: file, line: line)
        }
    }
}
