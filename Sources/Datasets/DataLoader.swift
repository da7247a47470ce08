import Foundation
import NeuralEngine

/// A loaded data set: the training split, the test split when the source has one, and a display name.
///
/// Thread-safety: a value; safe to share between threads.
public struct LoadedData: Sendable {
    /// Training samples.
    public var train: Dataset
    /// Held-out test samples (`t10k-*` files, `x_test`/`y_test`); `nil` for a single CSV file.
    public var test: Dataset?
    /// Short name for titles and logs: "Fashion-MNIST", "MNIST", or the file/directory name.
    public var name: String
    /// Where the data were read from (directory or file).
    public var location: String
    /// The resolved source.
    public var source: DataSource
    /// For a CSV file: the label column used, rows dropped, whether it was read as images; `nil` for other sources.
    public var csv: CSVLoader.Report?
    /// Samples of the training split in the source: `train.count`, or more when only the first
    /// `LoadOptions.maxSamples` were loaded.
    public var trainCount: Int
    /// Samples of the test split in the source (`nil` without one), as `trainCount`.
    public var testCount: Int?

    /// Creates a value from its parts.
    public init(train: Dataset, test: Dataset?, name: String, location: String, source: DataSource,
                csv: CSVLoader.Report? = nil) {
        self.train = train
        self.test = test
        self.name = name
        self.location = location
        self.source = source
        self.csv = csv
        self.trainCount = train.count
        self.testCount = test?.count
    }

    /// One line for logs, e.g. `Fashion-MNIST (/usr/share/datasets/fashion-mnist): 60000 train, 10000 test, 784
    /// features, 10 classes`; for a CSV file also the label column, the rows dropped and the 1/255 pixel scale.
    public var summary: String {
        var s = "\(name) (\(location)): \(train.count) train"
        if let test { s += ", \(test.count) test" }
        s += ", \(train.featureCount) features"
        if let k = train.classCount { s += ", \(k) classes" } else { s += ", regression" }
        if let csv {
            s += "; " + csv.labelDescription
            if csv.droppedRows > 0 { s += "; \(csv.droppedRows) row\(csv.droppedRows == 1 ? "" : "s") with missing values dropped" }
            if csv.imageLike { s += "; pixels 0-255 scaled by 1/255" }
        }
        return s
    }
}

/// Options for `DataLoader.load`.
public struct LoadOptions: Sendable {
    /// How CSV files are read.
    public var csv: CSVOptions
    /// Overrides the MNIST download URL (else `TRAINBOARD_MNIST_URL`, else Keras's URL).
    public var mnistURL: String?
    /// Overrides the expected MNIST SHA-256 (else `TRAINBOARD_MNIST_SHA256`, else Keras's hash).
    public var mnistSHA256: String?
    /// Whether `mnist` may be downloaded when it is not cached.
    public var allowDownload: Bool
    /// The environment consulted for overrides; the process environment by default.
    public var environment: [String: String]
    /// Keep only the first N samples of each split (`--max-samples`, >= 1). IDX sources (Fashion-MNIST, IDX
    /// directories) then inflate only those images; other sources load everything and are cut by the caller.
    /// `LoadedData.trainCount` / `testCount` still give the source's sizes.
    public var maxSamples: Int? = nil
    /// Receives progress messages ("downloading ..."); called on the loading thread.
    public var log: (@Sendable (String) -> Void)?

    /// Options with defaults: CSV auto-detection, Keras URL and hash, downloads allowed, process environment.
    public init(csv: CSVOptions = CSVOptions(), mnistURL: String? = nil, mnistSHA256: String? = nil,
                allowDownload: Bool = true, environment: [String: String] = ProcessInfo.processInfo.environment,
                log: (@Sendable (String) -> Void)? = nil) {
        self.csv = csv
        self.mnistURL = mnistURL
        self.mnistSHA256 = mnistSHA256
        self.allowDownload = allowDownload
        self.environment = environment
        self.log = log
    }
}

/// The one entry point the CLI uses: `--data` string in, data sets out.
///
/// Thread-safety: stateless; blocking (file I/O, decompression on up to two threads, maybe a download). Call it from
/// a dedicated thread or the main thread, not from the cooperative pool.
public enum DataLoader {
    /// Resolves `spec` (see `DataSource.resolve`) and loads it.
    ///
    /// - Throws: `DataError` for every failure (unknown spec, missing Fashion-MNIST with the apt-get hint, download or
    ///   hash failures, malformed files); its description names the file and the problem.
    public static func load(_ spec: String, options: LoadOptions = LoadOptions()) throws -> LoadedData {
        let source = try DataSource.resolve(spec, environment: options.environment, mnistURL: options.mnistURL,
                                            mnistSHA256: options.mnistSHA256)
        return try load(source, options: options)
    }

    /// Loads an already resolved source. Throws `DataError` as `load(_: String, options:)` does.
    public static func load(_ source: DataSource, options: LoadOptions = LoadOptions()) throws -> LoadedData {
        switch source {
        case .fashionMNIST(let dir):
            guard IDX.looksLikeIDXDirectory(dir) else { throw DataError.fashionMNISTMissing(directory: dir, missingFile: nil) }
            do {
                let (train, test, counts) = try IDX.loadDirectory(dir, classCount: 10, classNames: DataSource.fashionMNISTClassNames,
                                                                  limit: options.maxSamples)
                var loaded = LoadedData(train: train, test: test, name: "Fashion-MNIST", location: dir, source: source)
                (loaded.trainCount, loaded.testCount) = counts
                return loaded
            } catch DataError.notFound(let file) {
                throw DataError.fashionMNISTMissing(directory: dir, missingFile: file)
            }

        case .kerasMNIST(let path, let url, let sha):
            try ensureCached(path: path, url: url, sha256: sha, options: options)
            let (train, test) = try NPZ.loadKerasMNIST(path, classCount: 10, classNames: DataSource.mnistClassNames)
            return LoadedData(train: train, test: test, name: "MNIST", location: path, source: source)

        case .idxDirectory(let dir):
            let (train, test, counts) = try IDX.loadDirectory(dir, limit: options.maxSamples)
            var loaded = LoadedData(train: train, test: test, name: lastComponent(dir), location: dir, source: source)
            (loaded.trainCount, loaded.testCount) = counts
            return loaded

        case .npz(let path):
            let (train, test) = try NPZ.loadKerasMNIST(path)
            return LoadedData(train: train, test: test, name: lastComponent(path), location: path, source: source)

        case .csv(let path):
            var csv = options.csv
            let lower = path.lowercased()
            if csv.delimiter == UInt8(ascii: ","), lower.hasSuffix(".tsv") || lower.hasSuffix(".tsv.gz") {
                csv.delimiter = 0x09
            }
            let (train, report) = try CSVLoader.loadReporting(path, options: csv)
            return LoadedData(train: train, test: nil, name: lastComponent(path), location: path, source: source,
                              csv: report)
        }
    }

    /// Makes sure `path` holds a file with SHA-256 `sha256`, downloading it from `url` when it is missing or (as
    /// Keras does) when the cached file's hash differs.
    /// Throws `DataError.download`, `.hashMismatch`, or `.notFound` when downloads are disabled.
    static func ensureCached(path: String, url: String, sha256: String, options: LoadOptions) throws {
        if FileManager.default.fileExists(atPath: path) {
            let actual = try Downloader.sha256Hex(ofFile: path)
            if actual == sha256.lowercased() { return }
            options.log?("\(path) has SHA-256 \(actual), expected \(sha256.lowercased()); downloading it again")
        }
        guard options.allowDownload else { throw DataError.notFound(path: path) }
        options.log?("downloading \(url) to \(path)")
        try Downloader.download(url, to: path, sha256: sha256)
    }

    private static func lastComponent(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        return (trimmed as NSString).lastPathComponent
    }
}
