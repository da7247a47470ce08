import Foundation

/// Where a data set comes from, resolved from the user's `--data` string.
///
/// Known names:
/// - `fashion-mnist`: Debian's `dataset-fashion-mnist` package, IDX `.gz` files in `/usr/share/datasets/fashion-mnist`
///   (overridden by `TRAINBOARD_FASHION_MNIST_DIR`).
/// - `mnist`: Keras's cache `$KERAS_HOME/datasets/mnist.npz` (default `~/.keras/datasets/mnist.npz`), downloaded from
///   Keras's URL when missing and verified by SHA-256 (URL and hash overridden by `TRAINBOARD_MNIST_URL` and
///   `TRAINBOARD_MNIST_SHA256`).
///
/// Anything else is a path: a directory of IDX files, an `.npz` archive, or a `.csv` / `.csv.gz` file.
///
/// Thread-safety: a value; safe to share between threads.
public enum DataSource: Sendable, Equatable {
    /// Fashion-MNIST IDX files in `directory`.
    case fashionMNIST(directory: String)
    /// Keras's MNIST archive cached at `path`, fetched from `url` (checked against `sha256`) when missing.
    case kerasMNIST(path: String, url: String, sha256: String)
    /// A directory of `train-*`/`t10k-*` IDX files.
    case idxDirectory(String)
    /// An `.npz` archive with `x_train`, `y_train`, `x_test`, `y_test`.
    case npz(String)
    /// A CSV file (optionally gzipped).
    case csv(String)

    /// Debian's install location of `dataset-fashion-mnist`.
    public static let debianFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// Keras's download URL for `mnist.npz`.
    public static let kerasMNISTURL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    /// The SHA-256 Keras checks `mnist.npz` against (`file_hash` in keras/src/datasets/mnist.py).
    public static let kerasMNISTSHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

    /// Fashion-MNIST's class names, index = label.
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    /// MNIST's class names ("0" ... "9").
    public static let mnistClassNames = (0..<10).map(String.init)

    /// Resolves a `--data` string.
    ///
    /// - Parameters:
    ///   - environment: the variables consulted (`TRAINBOARD_FASHION_MNIST_DIR`, `KERAS_HOME`, `HOME`,
    ///     `TRAINBOARD_MNIST_URL`, `TRAINBOARD_MNIST_SHA256`); the process environment by default.
    ///   - mnistURL, mnistSHA256: explicit overrides, taking precedence over the environment.
    /// - Throws: `DataError.unknownSource` for a path that does not exist or has an unsupported extension.
    ///   Known names never throw here: a missing Fashion-MNIST directory is reported when loading.
    public static func resolve(_ spec: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                               mnistURL: String? = nil, mnistSHA256: String? = nil) throws -> DataSource {
        switch spec.lowercased() {
        case "fashion-mnist", "fashion_mnist", "fashionmnist":
            let dir = environment["TRAINBOARD_FASHION_MNIST_DIR"].flatMap { $0.isEmpty ? nil : $0 }
                ?? debianFashionMNISTDirectory
            return .fashionMNIST(directory: dir)
        case "mnist":
            return .kerasMNIST(path: kerasCacheDirectory(environment: environment) + "/mnist.npz",
                               url: mnistURL ?? environment["TRAINBOARD_MNIST_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? kerasMNISTURL,
                               sha256: mnistSHA256 ?? environment["TRAINBOARD_MNIST_SHA256"].flatMap { $0.isEmpty ? nil : $0 } ?? kerasMNISTSHA256)
        default:
            break
        }
        let path = expandTilde(spec, environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.unknownSource(spec: spec, reason: "no such file or directory (known names: fashion-mnist, mnist)")
        }
        if isDirectory.boolValue {
            if !IDX.looksLikeIDXDirectory(path) {
                // A directory of other data files: name them instead of reporting missing IDX files.
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).prefix(100_000)
                let data = names.filter { n in
                    let l = n.lowercased()
                    return [".csv", ".csv.gz", ".tsv", ".tsv.gz", ".npz"].contains { l.hasSuffix($0) }
                }.sorted()
                if let first = data.first {
                    let shown = data.prefix(5).joined(separator: ", ") + (data.count > 5 ? ", ..." : "")
                    let joined = path.hasSuffix("/") ? path + first : path + "/" + first
                    throw DataError.unknownSource(spec: spec, reason: "a directory without IDX files (train-images-idx3-ubyte[.gz], ...); "
                        + "it holds \(shown): give one file, e.g. --data \(joined)")
                }
            }
            return .idxDirectory(path)
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".npz") { return .npz(path) }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz") || lower.hasSuffix(".tsv") || lower.hasSuffix(".tsv.gz") {
            return .csv(path)
        }
        throw DataError.unknownSource(spec: spec, reason: "unsupported file type (expected a directory of IDX files, "
            + "an .npz archive or a .csv/.csv.gz file)")
    }

    /// Keras's dataset cache directory: `$KERAS_HOME/datasets`, else `$HOME/.keras/datasets` (Keras falls back to
    /// `/tmp/.keras` when the home cache is not writable; so does this).
    public static func kerasCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let home = environment["KERAS_HOME"], !home.isEmpty {
            base = expandTilde(home, environment: environment)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            let candidate = home + "/.keras"
            let fm = FileManager.default
            let writable = fm.fileExists(atPath: candidate) ? fm.isWritableFile(atPath: candidate) : fm.isWritableFile(atPath: home)
            base = writable ? candidate : "/tmp/.keras"
        }
        return base + "/datasets"
    }

    private static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
