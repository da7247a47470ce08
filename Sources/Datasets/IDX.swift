import NeuralEngine
import SafeIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reader for LeCun's IDX files (MNIST, Fashion-MNIST, ...), raw or gzipped.
///
/// Images: magic `0x00000803` (unsigned bytes, 3 dimensions), then big-endian `count`, `rows`, `cols`, then
/// `count * rows * cols` pixels. Labels: magic `0x00000801`, then `count`, then `count` bytes.
///
/// Thread-safety: stateless; every function may be called from any thread.
public enum IDX {
    /// Magic number of an unsigned-byte, 3-dimensional IDX file (images).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of an unsigned-byte, 1-dimensional IDX file (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Images read from an `idx3-ubyte` file: `count` images of `rows x cols` pixels, row-major, one byte each.
    public struct Images: Sendable {
        /// Pixels, `[count, rows, cols]` row-major.
        public var pixels: [UInt8]
        /// Number of images read.
        public var count: Int
        /// Image height in pixels.
        public var rows: Int
        /// Image width in pixels.
        public var cols: Int
        /// Number of images the file's header declares (more than `count` when `readImages` read only a prefix).
        public var declaredCount: Int
    }

    /// Reads an `idx3-ubyte` image file (gzipped or not).
    ///
    /// Throws `DataError.badMagic` (with the value found), `.badHeader` (a zero-sized image), `.truncated` (the file's
    /// length differs from `16 + count * rows * cols`, with expected and actual byte counts), `.gzip`, `.notFound`,
    /// `.unreadable`.
    ///
    /// `limit`: read only the first `limit` images (all when the file has fewer; at least 1). A gzipped file is then
    /// inflated only that far, so `--max-samples 4000` inflates 3 MB of Fashion-MNIST, not 47 MB; the images after
    /// them are not checked. `Images.declaredCount` is the file's own count either way.
    public static func readImages(_ path: String, limit: Int? = nil) throws -> Images {
        let (header, pixels) = try Gzip.readFile(path, headerSize: 16, declaredBody: { header in
            try checkMagic(header, expected: imagesMagic, path: path)
            return try declaredPixels(header, path: path)
        }, bodyLimit: limit.map { limit in { header in
            // Called after `declaredBody` accepted the header.
            let (bytes, overflow) = max(1, limit).multipliedReportingOverflow(by: Int(be32(header, 8)) * Int(be32(header, 12)))
            return overflow ? Int.max : bytes
        } })
        try checkMagic(header, expected: imagesMagic, path: path)
        guard header.count == 16 else { throw DataError.truncated(path: path, expectedBytes: 16, actualBytes: header.count) }
        let n = Int(be32(header, 4)), rows = Int(be32(header, 8)), cols = Int(be32(header, 12))
        let pixelCount = try declaredPixels(header, path: path)
        let count = limit.map { min(n, max(1, $0)) } ?? n
        guard pixels.count == count * rows * cols else {
            // A file cut short: the whole file's expected length and what it had.
            throw DataError.truncated(path: path, expectedBytes: 16 + pixelCount, actualBytes: 16 + pixels.count)
        }
        return Images(pixels: pixels, count: count, rows: rows, cols: cols, declaredCount: n)
    }

    /// Reads an `idx1-ubyte` label file (gzipped or not): one byte per sample.
    ///
    /// Throws `DataError.badMagic`, `.truncated` (length differs from `8 + count`), `.gzip`, `.notFound`, `.unreadable`.
    public static func readLabels(_ path: String) throws -> [UInt8] {
        let (header, labels) = try Gzip.readFile(path, headerSize: 8) { header in
            try checkMagic(header, expected: labelsMagic, path: path)
            return try declaredCount(header, path: path)
        }
        try checkMagic(header, expected: labelsMagic, path: path)
        guard header.count == 8 else { throw DataError.truncated(path: path, expectedBytes: 8, actualBytes: header.count) }
        let n = try declaredCount(header, path: path)
        guard labels.count == n else {
            throw DataError.truncated(path: path, expectedBytes: 8 + n, actualBytes: 8 + labels.count)
        }
        return labels
    }

    /// A data set from an image file and a label file: features `.bytes(pixels, scale: 1/255)`, `featureCount`
    /// `rows * cols`, `imageShape` `(rows, cols)`, targets `.classes(labels, classCount:)`.
    ///
    /// - Parameters:
    ///   - classCount: the number of classes; labels must lie in `0..<classCount`. `nil` uses `max(label) + 1`.
    ///   - classNames: display names, one per class.
    /// - Throws: whatever `readImages`/`readLabels` throw, `DataError.countMismatch` when the files disagree on the
    ///   number of samples, `DataError.labelOutOfRange` (naming the label file and the sample index).
    public static func load(images imagesPath: String, labels labelsPath: String, classCount: Int? = nil,
                            classNames: [String]? = nil) throws -> Dataset {
        let images = try readImages(imagesPath)
        let labels = try readLabels(labelsPath)
        return try makeDataset(images: images, imagesPath: imagesPath, labels: labels, labelsPath: labelsPath,
                               classCount: classCount ?? Int(labels.max() ?? 0) + 1, classNames: classNames)
    }

    /// Loads `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]` and
    /// `t10k-labels-idx1-ubyte[.gz]` from `directory` (the original MNIST spelling `train-images.idx3-ubyte` is also
    /// accepted). The two image files are decompressed concurrently.
    ///
    /// - Parameters:
    ///   - classCount: the number of classes; `nil` uses one more than the largest label of either split, so that
    ///     train and test agree.
    ///   - limit: keep only the first `limit` samples of each split (`--max-samples`): only that many images are
    ///     inflated (see `readImages(_:limit:)`); the label files are read whole, so the class count and the label
    ///     checks are those of the whole files. `declaredCount` gives each split's size in the files.
    /// - Throws: `DataError.notFound` naming the first missing file, and everything `load(images:labels:)` throws.
    public static func loadDirectory(_ directory: String, classCount: Int? = nil, classNames: [String]? = nil,
                                     limit: Int? = nil) throws -> (train: Dataset, test: Dataset,
                                                                   declaredCount: (train: Int, test: Int)) {
        let paths = try ["train-images", "train-labels", "t10k-images", "t10k-labels"].map {
            try findFile(in: directory, stem: $0, kind: $0.hasSuffix("images") ? "idx3-ubyte" : "idx1-ubyte")
        }
        // Decompressing the two image files dominates; do the test set on a second thread.
        let testImages = ConcurrentResult { try readImages(paths[2], limit: limit) }
        let trainImagesResult = Result { try readImages(paths[0], limit: limit) }
        let testImagesResult = testImages.wait()
        let trainImages = try trainImagesResult.get()
        let trainLabels = try readLabels(paths[1])
        let testImagesValue = try testImagesResult.get()
        let testLabels = try readLabels(paths[3])
        let k = classCount ?? Int(max(trainLabels.max() ?? 0, testLabels.max() ?? 0)) + 1
        let train = try makeDataset(images: trainImages, imagesPath: paths[0], labels: trainLabels,
                                    labelsPath: paths[1], classCount: k, classNames: classNames)
        let test = try makeDataset(images: testImagesValue, imagesPath: paths[2], labels: testLabels,
                                   labelsPath: paths[3], classCount: k, classNames: classNames)
        return (train, test, (trainImages.declaredCount, testImagesValue.declaredCount))
    }

    /// Whether `directory` holds a training image file of the expected name (raw or gzipped).
    public static func looksLikeIDXDirectory(_ directory: String) -> Bool {
        (try? findFile(in: directory, stem: "train-images", kind: "idx3-ubyte")) != nil
    }

    // MARK: Helpers

    /// The largest image side accepted (pixels). Larger declared sizes are refused before any data is inflated.
    public static let maximumImageSide = 4096

    /// The pixel count an image header declares, after checking it: at least one image of at least 1x1 pixels, sides
    /// at most `maximumImageSide`, and the total within the memory limit. Throws `DataError.badHeader`.
    static func declaredPixels(_ header: [UInt8], path: String) throws -> Int {
        guard header.count == 16 else { throw DataError.truncated(path: path, expectedBytes: 16, actualBytes: header.count) }
        let n = Int(be32(header, 4)), rows = Int(be32(header, 8)), cols = Int(be32(header, 12))
        guard n > 0 else { throw DataError.badHeader(path: path, reason: "the header declares 0 images") }
        guard rows > 0, cols > 0 else {
            throw DataError.badHeader(path: path, reason: "image size \(rows)x\(cols) must be at least 1x1")
        }
        guard rows <= maximumImageSide, cols <= maximumImageSide else {
            throw DataError.badHeader(path: path, reason: "image size \(rows)x\(cols) is larger than "
                                      + "\(maximumImageSide)x\(maximumImageSide)")
        }
        let (pixelCount, overflow) = n.multipliedReportingOverflow(by: rows * cols)
        guard !overflow, pixelCount <= MemoryLimit.bytes else {
            throw DataError.badHeader(path: path, reason: MemoryLimit.refusal("\(n) images of \(rows)x\(cols)",
                                                                              needs: overflow ? Int.max : pixelCount))
        }
        return pixelCount
    }

    /// The label count a label header declares (at least 1). Throws `DataError.badHeader` / `.truncated`.
    static func declaredCount(_ header: [UInt8], path: String) throws -> Int {
        guard header.count == 8 else { throw DataError.truncated(path: path, expectedBytes: 8, actualBytes: header.count) }
        let n = Int(be32(header, 4))
        guard n > 0 else { throw DataError.badHeader(path: path, reason: "the header declares 0 labels") }
        return n
    }

    /// The data set of `images` (maybe the first images of the file) and the matching first `labels` (the whole label
    /// file: its count must equal the image file's declared count).
    static func makeDataset(images: Images, imagesPath: String, labels allLabels: [UInt8], labelsPath: String,
                            classCount: Int, classNames: [String]?) throws -> Dataset {
        guard images.declaredCount == allLabels.count else {
            throw DataError.countMismatch(imagesPath: imagesPath, imageCount: images.declaredCount,
                                          labelsPath: labelsPath, labelCount: allLabels.count)
        }
        if let bad = allLabels.firstIndex(where: { Int($0) >= classCount }) {
            throw DataError.labelOutOfRange(path: labelsPath, index: bad, label: Int64(allLabels[bad]), classCount: classCount)
        }
        let labels = images.count == allLabels.count ? allLabels : Array(allLabels.prefix(images.count))
        do {
            return try Dataset(features: .bytes(images.pixels, scale: 1 / 255), featureCount: images.rows * images.cols,
                               targets: .classes(labels.map { Int32($0) }, classCount: classCount),
                               imageShape: (images.rows, images.cols), classNames: classNames)
        } catch let e as DatasetError {
            throw DataError.invalidData(path: imagesPath, error: e)
        }
    }

    private static func findFile(in directory: String, stem: String, kind: String) throws -> String {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let candidates = ["\(stem)-\(kind)", "\(stem)-\(kind).gz", "\(stem).\(kind)", "\(stem).\(kind).gz"]
        for c in candidates where access(base + c, F_OK) == 0 { return base + c }
        throw DataError.notFound(path: base + "\(stem)-\(kind)[.gz]")
    }

    private static func checkMagic(_ bytes: [UInt8], expected: UInt32, path: String) throws {
        guard bytes.count >= 4 else {
            throw DataError.truncated(path: path, expectedBytes: expected == imagesMagic ? 16 : 8, actualBytes: bytes.count)
        }
        let found = be32(bytes, 0)
        guard found == expected else {
            throw DataError.badMagic(path: path, expected: hex(expected), found: hex(found))
        }
    }

    private static func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
    }

    private static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
