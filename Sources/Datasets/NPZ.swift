import Foundation
import NeuralEngine
import ZIPFoundation

/// Reader for NumPy `.npz` archives (a zip of `.npy` files, stored or deflated), and Keras's `mnist.npz` layout.
///
/// Thread-safety: stateless; every function may be called from any thread.
public enum NPZ {
    /// Decodes every `.npy` entry of the archive at `path`, keyed by entry name without the `.npy` suffix
    /// (as `np.load(path)[key]`).
    ///
    /// Throws `DataError.notFound`, `DataError.npz` (not a zip archive, unreadable entry) and `DataError.npy`
    /// (naming the entry).
    public static func readAll(_ path: String) throws -> [String: NPYArray] {
        let archive = try open(path)
        var arrays: [String: NPYArray] = [:]
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
            arrays[String(entry.path.dropLast(4))] = try decode(entry, in: archive, path: path)
        }
        return arrays
    }

    /// Decodes the entries `names` (without `.npy`) of the archive at `path`, in that order.
    ///
    /// Throws `DataError.npz` naming the first missing entry, plus everything `readAll` throws.
    public static func read(_ path: String, entries names: [String]) throws -> [NPYArray] {
        let archive = try open(path)
        return try names.map { name in
            guard let entry = archive[name + ".npy"] ?? archive[name] else {
                let present = archive.map(\.path).sorted().joined(separator: ", ")
                throw DataError.npz(path: path, reason: "missing array '\(name).npy' (archive holds: \(present))")
            }
            return try decode(entry, in: archive, path: path)
        }
    }

    /// Loads a Keras-style MNIST archive: `x_train` `[n, rows, cols]` (or `[n, features]`) `uint8` images with
    /// `y_train` `[n]` integer labels, and the same for `x_test`/`y_test`.
    ///
    /// Images become `.bytes(pixels, scale: 1/255)` (float arrays become `.floats` as they are); labels become
    /// `.classes` with `classCount` (`nil`: one more than the largest label of either split).
    /// - Throws: `DataError.npz` for a missing entry or an array of the wrong rank or type, `.countMismatch` when x
    ///   and y disagree, `.labelOutOfRange` (naming the entry and sample index), plus everything `read` throws.
    public static func loadKerasMNIST(_ path: String, classCount: Int? = nil,
                                      classNames: [String]? = nil) throws -> (train: Dataset, test: Dataset) {
        let a = try read(path, entries: ["x_train", "y_train", "x_test", "y_test"])
        let yTrain = try labels(a[1], path: path, entry: "y_train")
        let yTest = try labels(a[3], path: path, entry: "y_test")
        let maxLabel = max(yTrain.max() ?? 0, yTest.max() ?? 0)
        if classCount == nil {
            // Checked on the Int64 label before anything is sized by it (a label of 2^40 must not become a layer).
            let k = maxLabel >= Int64(Dataset.maximumClassCount) ? Dataset.maximumClassCount + 1 : Int(maxLabel) + 1
            if let problem = Dataset.classCountProblem(classCount: k, samples: yTrain.count + yTest.count) {
                let entry = yTrain.contains(maxLabel) ? "y_train.npy" : "y_test.npy"
                throw DataError.npz(path: path, reason: "\(entry): " + (k > Dataset.maximumClassCount
                    ? "label \(maxLabel) is beyond the \(Dataset.maximumClassCount) classes supported; class labels must be indices 0..<classes"
                    : problem))
            }
        }
        let k = classCount ?? Int(maxLabel) + 1
        let train = try dataset(x: a[0], y: yTrain, k: k, path: path, split: "train", classNames: classNames)
        let test = try dataset(x: a[2], y: yTest, k: k, path: path, split: "test", classNames: classNames)
        return (train, test)
    }

    // MARK: Helpers

    private static func open(_ path: String) throws -> Archive {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.notFound(path: path) }
        do {
            return try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw DataError.npz(path: path, reason: "not a readable .npz (zip) archive: \(error)")
        }
    }

    private static func decode(_ entry: Entry, in archive: Archive, path: String) throws -> NPYArray {
        var data = Data()
        data.reserveCapacity(Int(clamping: entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data.append($0) }
        } catch {
            throw DataError.npz(path: path, reason: "cannot extract entry \(entry.path): \(error)")
        }
        do {
            return try NPYArray.decode(data)
        } catch let e as NPYError {
            throw DataError.npy(path: path, entry: entry.path, error: e)
        }
    }

    private static func labels(_ y: NPYArray, path: String, entry: String) throws -> [Int64] {
        guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
            throw DataError.npz(path: path, reason: "\(entry).npy has shape \(y.shape), expected [n] class labels")
        }
        guard let values = y.integers() else {
            throw DataError.npz(path: path, reason: "\(entry).npy has dtype \(y.descr), expected integer class labels")
        }
        return values
    }

    private static func dataset(x: NPYArray, y: [Int64], k: Int, path: String, split: String,
                                classNames: [String]?) throws -> Dataset {
        guard x.shape.count == 2 || x.shape.count == 3, x.shape[0] >= 0 else {
            throw DataError.npz(path: path, reason: "x_\(split).npy has shape \(x.shape), expected [n, rows, cols] or [n, features]")
        }
        let n = x.shape[0]
        let featureCount = x.shape.dropFirst().reduce(1, *)
        let imageShape: (rows: Int, cols: Int)? = x.shape.count == 3 ? (x.shape[1], x.shape[2]) : nil
        guard n == y.count else {
            throw DataError.countMismatch(imagesPath: "\(path) (x_\(split).npy)", imageCount: n,
                                          labelsPath: "\(path) (y_\(split).npy)", labelCount: y.count)
        }
        if let bad = y.firstIndex(where: { $0 < 0 || $0 >= Int64(k) }) {
            throw DataError.labelOutOfRange(path: "\(path) (y_\(split).npy)", index: bad, label: y[bad], classCount: k)
        }
        let features: Dataset.Features
        switch x.storage {
        case .uint8(let px): features = .bytes(px, scale: 1 / 255)
        case .float32, .float64: features = .floats(x.floats())
        default:
            throw DataError.npz(path: path, reason: "x_\(split).npy has dtype \(x.descr), expected |u1 or a float type")
        }
        guard featureCount > 0 else {
            throw DataError.npz(path: path, reason: "x_\(split).npy has shape \(x.shape): no features")
        }
        do {
            return try Dataset(features: features, featureCount: featureCount,
                               targets: .classes(y.map { Int32(truncatingIfNeeded: $0) }, classCount: max(k, 1)),
                               imageShape: imageShape, classNames: classNames)
        } catch let e as DatasetError {
            throw DataError.invalidData(path: path, error: e)
        }
    }
}
