import Datasets
import Foundation
import NeuralEngine
import XCTest

final class IDXTests: XCTestCase {
    var dir: TempDir!

    override func setUpWithError() throws { dir = try TempDir() }
    override func tearDown() { dir.cleanup() }

    private func pixel(_ i: Int, _ j: Int) -> UInt8 { UInt8((i * 31 + j * 7) % 256) }

    /// Writes a train/t10k set: 5 train and 3 test images of 2x3.
    private func writeSet(gzip: Bool, trainLabels: [UInt8] = [3, 0, 9, 1, 2], testLabels: [UInt8] = [7, 8, 4]) throws {
        let write: (String, [UInt8]) throws -> String = gzip ? { try self.dir.writeGzip($0 + ".gz", $1) }
                                                               : { try self.dir.write($0, $1) }
        _ = try write("train-images-idx3-ubyte", idxImages(count: 5, rows: 2, cols: 3, pixel: pixel))
        _ = try write("train-labels-idx1-ubyte", idxLabels(trainLabels))
        _ = try write("t10k-images-idx3-ubyte", idxImages(count: 3, rows: 2, cols: 3, pixel: { self.pixel($0 + 100, $1) }))
        _ = try write("t10k-labels-idx1-ubyte", idxLabels(testLabels))
    }

    private func check(_ train: Dataset, _ test: Dataset, classCount: Int) {
        XCTAssertEqual(train.count, 5)
        XCTAssertEqual(test.count, 3)
        XCTAssertEqual(train.featureCount, 6)
        XCTAssertEqual(train.imageShape?.rows, 2)
        XCTAssertEqual(train.imageShape?.cols, 3)
        guard case .bytes(let px, let scale) = train.features else { return XCTFail("expected byte features") }
        XCTAssertEqual(scale, 1 / 255)
        XCTAssertEqual(px, (0..<5).flatMap { i in (0..<6).map { pixel(i, $0) } })
        guard case .bytes(let tpx, _) = test.features else { return XCTFail("expected byte features") }
        XCTAssertEqual(tpx[0], pixel(100, 0))
        XCTAssertEqual(tpx[17], pixel(102, 5))
        guard case .classes(let labels, let k) = train.targets else { return XCTFail("expected classes") }
        XCTAssertEqual(labels, [3, 0, 9, 1, 2])
        XCTAssertEqual(k, classCount)
        XCTAssertEqual(test.label(1), 8)
        XCTAssertEqual(test.classCount, classCount)
    }

    func testRawDirectory() throws {
        try writeSet(gzip: false)
        let (train, test, _) = try IDX.loadDirectory(dir.path)
        check(train, test, classCount: 10)
    }

    /// `maxSamples` (--max-samples) keeps the first N images of each split, raw or gzipped, with their labels; the
    /// class count and the source sizes are the whole files'. A gzipped image file is read and inflated only that far
    /// (1 MiB first, more when needed): a file cut after the first images still loads its first ones (and fails
    /// without the limit, or with a limit beyond the cut).
    func testMaxSamplesReadsOnlyThePrefix() throws {
        for gzip in [false, true] {
            try writeSet(gzip: gzip, trainLabels: [3, 0, 9, 1, 2], testLabels: [7, 11, 4])
            var options = LoadOptions()
            options.maxSamples = 2
            let loaded = try DataLoader.load(dir.path, options: options)
            XCTAssertEqual(loaded.train.count, 2)
            XCTAssertEqual(loaded.test?.count, 2)
            XCTAssertEqual(loaded.trainCount, 5)
            XCTAssertEqual(loaded.testCount, 3)
            XCTAssertEqual(loaded.train.classCount, 12)   // max label of both whole label files + 1
            guard case .bytes(let px, _) = loaded.train.features else { return XCTFail("expected byte features") }
            XCTAssertEqual(px, (0..<2).flatMap { i in (0..<6).map { pixel(i, $0) } })
            guard case .classes(let labels, _) = loaded.train.targets else { return XCTFail("expected classes") }
            XCTAssertEqual(labels, [3, 0])
            XCTAssertEqual(loaded.test?.label(1), 11)
            // A limit above the file's count reads everything.
            options.maxSamples = 50
            let all = try DataLoader.load(dir.path, options: options)
            XCTAssertEqual(all.train.count, 5)
            XCTAssertEqual(all.test?.count, 3)
            for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) { try FileManager.default.removeItem(atPath: dir.path + "/" + f) }
        }
        // 2000 images of 28x28 whose compressed stream is cut in its second half: the first 100 images load.
        let images = idxImages(count: 2000, rows: 28, cols: 28, pixel: { i, j in UInt8(truncatingIfNeeded: ((i * 784 + j) &* 2_654_435_761) >> 13) })
        let gz = try Gzip.readRawFile(try dir.writeGzip("whole.gz", images))
        let cut = try dir.write("cut-idx3-ubyte.gz", Array(gz.prefix(gz.count * 3 / 4)))
        let first = try IDX.readImages(cut, limit: 100)
        XCTAssertEqual(first.count, 100)
        XCTAssertEqual(first.declaredCount, 2000)
        XCTAssertEqual(first.pixels, Array(images[16 ..< 16 + 100 * 784]))
        // 1400 images need more than the first MiB of the (incompressible) file: it is read further.
        XCTAssertEqual(try IDX.readImages(cut, limit: 1400).pixels, Array(images[16 ..< 16 + 1400 * 784]))
        XCTAssertThrowsError(try IDX.readImages(cut))
        XCTAssertThrowsError(try IDX.readImages(cut, limit: 1990))
    }

    func testGzippedDirectoryThroughDataLoader() throws {
        try writeSet(gzip: true, trainLabels: [3, 0, 9, 1, 2], testLabels: [7, 11, 4])
        let loaded = try DataLoader.load(dir.path)
        XCTAssertEqual(loaded.train.count, 5)
        XCTAssertEqual(loaded.test?.count, 3)
        // Generic directory: classCount is max + 1 over both splits.
        XCTAssertEqual(loaded.train.classCount, 12)
        XCTAssertEqual(loaded.test?.label(1), 11)
        guard case .bytes(let px, _) = loaded.train.features else { return XCTFail("expected byte features") }
        XCTAssertEqual(px[7], pixel(1, 1))
        XCTAssertEqual(loaded.source, .idxDirectory(dir.path))
    }

    func testGzipMatchesRawAndPassesNonGzipThrough() throws {
        let data = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
        let gz = try dir.writeGzip("big.gz", data)
        let raw = try dir.write("big.bin", data)
        XCTAssertEqual(try Gzip.readFile(gz), data)
        XCTAssertEqual(try Gzip.readFile(raw), data)
        // Concatenated members inflate one after another.
        let second = try dir.writeGzip("b.gz", [1, 2, 3])
        let both = try Gzip.readRawFile(gz) + Gzip.readRawFile(second)
        let cat = try dir.write("cat.gz", both)
        XCTAssertEqual(try Gzip.readFile(cat), data + [1, 2, 3])
        // Empty payload.
        XCTAssertEqual(try Gzip.readFile(try dir.writeGzip("empty.gz", [])), [])
    }

    func testTruncatedAndCorruptGzipNameTheFile() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let full = try Gzip.readRawFile(try dir.writeGzip("x.gz", data))
        let cut = try dir.write("cut-idx3-ubyte.gz", Array(full.prefix(full.count / 2)))
        assertThrows(try Gzip.readFile(cut), contains: [cut, "truncated gzip"])
        var bad = full
        for i in 20..<60 { bad[i] ^= 0x5A }
        let corrupt = try dir.write("corrupt.gz", bad)
        assertThrows(try Gzip.readFile(corrupt), contains: [corrupt, "gzip"])
        assertThrows(try Gzip.readFile(dir.file("nope.gz")), contains: [dir.file("nope.gz"), "no such file"])
    }

    func testWrongMagic() throws {
        let p = try dir.write("img", idxImages(count: 1, rows: 2, cols: 2, pixel: { _, _ in 0 }, magic: 0x0801))
        assertThrows(try IDX.readImages(p), contains: [p, "wrong magic", "0x00000801", "0x00000803"])
        let l = try dir.writeGzip("lab.gz", idxLabels([1], magic: 0x0803))
        assertThrows(try IDX.readLabels(l), contains: [l, "wrong magic", "0x00000803", "expected 0x00000801"])
    }

    func testTruncatedImageFileReportsExpectedAndActualBytes() throws {
        let full = idxImages(count: 4, rows: 3, cols: 3, pixel: { _, _ in 1 })
        let p = try dir.writeGzip("train-images-idx3-ubyte.gz", Array(full.dropLast(5)))
        assertThrows(try IDX.readImages(p), contains: [p, "truncated", "expected 52 bytes", "found 47"])
        let l = try dir.write("labels", Array(idxLabels([1, 2, 3]).dropLast()))
        assertThrows(try IDX.readLabels(l), contains: [l, "truncated", "expected 11", "found 10"])
        let tiny = try dir.write("tiny", [0, 0, 8])
        assertThrows(try IDX.readImages(tiny), contains: [tiny, "truncated"])
        let tinyGz = try dir.writeGzip("tiny.gz", [0, 0, 8, 3, 0, 0])
        assertThrows(try IDX.readImages(tinyGz), contains: [tinyGz, "truncated", "expected 16 bytes", "found 6"])
        let longer = try dir.write("long", idxLabels([1, 2]) + [0])
        assertThrows(try IDX.readLabels(longer), contains: [longer, "longer than its header says", "expected 10", "found 11"])
    }

    func testGzipMembersSplittingTheHeader() throws {
        // Two gzip members whose boundary falls inside the 16-byte header: still one valid file.
        let full = idxImages(count: 2, rows: 2, cols: 2, pixel: { i, j in UInt8(i * 4 + j) })
        let a = try Gzip.readRawFile(try dir.writeGzip("a.gz", Array(full.prefix(10))))
        let b = try Gzip.readRawFile(try dir.writeGzip("b.gz", Array(full.dropFirst(10))))
        let p = try dir.write("split-idx3-ubyte.gz", a + b)
        let images = try IDX.readImages(p)
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(images.pixels, Array(0..<8))
    }

    func testCountMismatch() throws {
        let i = try dir.write("i", idxImages(count: 3, rows: 1, cols: 2, pixel: { _, _ in 0 }))
        let l = try dir.write("l", idxLabels([0, 1]))
        assertThrows(try IDX.load(images: i, labels: l), contains: [i, "3 images", l, "2 labels"])
    }

    func testLabelOutOfRange() throws {
        let i = try dir.write("i", idxImages(count: 3, rows: 1, cols: 2, pixel: { _, _ in 0 }))
        let l = try dir.write("l", idxLabels([0, 10, 1]))
        assertThrows(try IDX.load(images: i, labels: l, classCount: 10), contains: [l, "label 10", "sample 1", "0..<10"])
        XCTAssertEqual(try IDX.load(images: i, labels: l).classCount, 11)
    }

    func testMissingFileInDirectory() throws {
        try dir.write("train-images-idx3-ubyte", idxImages(count: 1, rows: 1, cols: 1, pixel: { _, _ in 0 }))
        assertThrows(try IDX.loadDirectory(dir.path), contains: ["train-labels-idx1-ubyte", "no such file"])
    }

    func testFashionMNISTFromOverrideDirectoryAndMissingDirectoryHint() throws {
        try writeSet(gzip: true)
        let env = ["TRAINBOARD_FASHION_MNIST_DIR": dir.path]
        let loaded = try DataLoader.load("fashion-mnist", options: LoadOptions(environment: env))
        XCTAssertEqual(loaded.name, "Fashion-MNIST")
        XCTAssertEqual(loaded.train.classNames?[9], "Ankle boot")
        XCTAssertEqual(loaded.train.classCount, 10)
        check(loaded.train, try XCTUnwrap(loaded.test), classCount: 10)

        let missing = dir.file("not-there")
        assertThrows(try DataLoader.load("fashion-mnist", options: LoadOptions(environment: ["TRAINBOARD_FASHION_MNIST_DIR": missing])),
                     contains: [missing, "apt-get install dataset-fashion-mnist"])
        try FileManager.default.removeItem(atPath: dir.file("t10k-labels-idx1-ubyte.gz"))
        assertThrows(try DataLoader.load("fashion-mnist", options: LoadOptions(environment: env)),
                     contains: [dir.path, "t10k-labels-idx1-ubyte", "apt-get install dataset-fashion-mnist"])
    }

    func testUnknownSpec() {
        assertThrows(try DataLoader.load(dir.file("nothing.csv")), contains: [dir.file("nothing.csv"), "no such file"])
    }

    /// The real data set from Debian's `dataset-fashion-mnist`, when installed.
    func testDebianFashionMNIST() throws {
        let path = DataSource.debianFashionMNISTDirectory
        guard FileManager.default.fileExists(atPath: path + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("dataset-fashion-mnist is not installed")
        }
        let loaded = try DataLoader.load("fashion-mnist", options: LoadOptions(environment: [:]))
        XCTAssertEqual(loaded.location, path)
        XCTAssertEqual(loaded.train.count, 60_000)
        XCTAssertEqual(loaded.test?.count, 10_000)
        XCTAssertEqual(loaded.train.featureCount, 784)
        XCTAssertEqual(loaded.train.imageShape?.rows, 28)
        guard case .classes(let labels, 10) = loaded.train.targets else { return XCTFail("expected 10 classes") }
        var histogram = [Int](repeating: 0, count: 10)
        for l in labels { histogram[Int(l)] += 1 }
        XCTAssertEqual(histogram, [Int](repeating: 6000, count: 10))
        XCTAssertEqual(loaded.train.label(0), 9)
        XCTAssertEqual(loaded.train.classNames?[9], "Ankle boot")
        guard case .classes(let testLabels, 10) = try XCTUnwrap(loaded.test).targets else { return XCTFail() }
        XCTAssertEqual(testLabels.count, 10_000)
        XCTAssertEqual(Set(testLabels).count, 10)
    }
}
