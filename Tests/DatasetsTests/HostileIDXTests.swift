import Datasets
import Foundation
import SafeIO
import XCTest

/// Hostile IDX files (issue 7): declared sizes are checked before allocation, inflation stops at what the header
/// declares, and non-regular files are refused without blocking.
final class HostileIDXTests: XCTestCase {
    var dir: TempDir!
    override func setUpWithError() throws { dir = try TempDir() }
    override func tearDown() { dir.cleanup() }

    /// Resident memory now, from /proc/self/statm (pages), in bytes.
    private func rss() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// One 8000x8000 image declared by a small gzip file (the report: 124 KB tried to allocate 16 GiB).
    func testHugeDeclaredImageIsRefusedBeforeInflating() throws {
        let p = try dir.writeGzip("big-idx3-ubyte.gz", be32(0x0803) + be32(1) + be32(8000) + be32(8000)
                                  + [UInt8](repeating: 0, count: 100_000))
        assertThrows(try IDX.readImages(p), contains: [p, "bad header", "image size 8000x8000 is larger than 4096x4096"])
    }

    /// A header declaring 10 images of 28x28 followed by 200 MB of zeros (a gzip bomb of about 200 KB): inflation stops
    /// one byte past the declared size and memory stays small.
    func testInflationStopsAtTheDeclaredSize() throws {
        var body = be32(0x0803) + be32(10) + be32(28) + be32(28)
        body += [UInt8](repeating: 0, count: 200 << 20)
        let p = try dir.writeGzip("bomb-idx3-ubyte.gz", body)
        body = []
        let before = rss()
        assertThrows(try IDX.readImages(p), contains: [p, "holds more data than its header declares (7840 bytes)"])
        XCTAssertLessThan(rss() - before, 64 << 20, "inflating must not build the 200 MB body")
    }

    /// A header declaring far more data than the compressed bytes can hold (deflate's 1032:1 bound).
    func testDeclaredSizeBeyondTheCompressionBoundIsRefused() throws {
        let p = try dir.writeGzip("lie-idx3-ubyte.gz", be32(0x0803) + be32(60_000) + be32(28) + be32(28) + [1, 2, 3])
        assertThrows(try IDX.readImages(p), contains: [p, "declared 47040000 data bytes cannot come from"])
    }

    /// Count 0 is bad data (exit 2), not a training failure.
    func testZeroCountIsABadHeader() throws {
        let images = try dir.write("zero-idx3-ubyte", be32(0x0803) + be32(0) + be32(28) + be32(28))
        assertThrows(try IDX.readImages(images), contains: [images, "the header declares 0 images"])
        let labels = try dir.write("zero-idx1-ubyte", be32(0x0801) + be32(0))
        assertThrows(try IDX.readLabels(labels), contains: [labels, "the header declares 0 labels"])
    }

    /// A symbolic link to /dev/zero and a FIFO are refused at once instead of reading forever or blocking in open.
    func testDevicesAndFIFOsAreRefusedWithoutReading() throws {
        let link = dir.file("zero-idx3-ubyte")
        XCTAssertEqual(symlink("/dev/zero", link), 0)
        assertThrows(try IDX.readImages(link), contains: [link, "not a regular file (a character device)"])
        let fifo = dir.file("fifo-idx3-ubyte")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        assertThrows(try IDX.readImages(fifo), contains: [fifo, "not a regular file (a FIFO)"])
        assertThrows(try Gzip.readFile(fifo), contains: ["not a regular file (a FIFO)"])
    }

    /// Inflating past the memory limit is refused with the limit named (here lowered to 1 MiB).
    func testInflationIsBoundedByTheMemoryLimit() throws {
        let p = try dir.writeGzip("zeros.csv.gz", [UInt8](repeating: 48, count: 4 << 20))
        MemoryLimit.override(1 << 20)
        defer { MemoryLimit.override(nil) }
        assertThrows(try Gzip.readFile(p), contains: [p, "gzip error: inflating the file needs about", "memory limit of 1 MiB"])
    }
}
