import NeuralEngine
import SafeIO

/// Everything that can go wrong while locating, downloading or reading a data set.
///
/// Every description names the file (or URL / directory) involved and what exactly was wrong, so it can be shown to
/// the user as it is. The CLI maps all of these to exit status 2.
///
/// Thread-safety: a value; safe to share between threads.
public enum DataError: Error, CustomStringConvertible, Sendable {
    /// The file or directory does not exist.
    case notFound(path: String)
    /// The file exists but could not be read (permissions, I/O error); `reason` is the system's message.
    case unreadable(path: String, reason: String)
    /// A binary file starts with the wrong magic number (`found` is the value read).
    case badMagic(path: String, expected: String, found: String)
    /// The file is shorter (or longer) than its header promises.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The header describes impossible dimensions or an unsupported element type.
    case badHeader(path: String, reason: String)
    /// A gzip stream is corrupt or ends early.
    case gzip(path: String, reason: String)
    /// Image and label files (or arrays) disagree on the number of samples.
    case countMismatch(imagesPath: String, imageCount: Int, labelsPath: String, labelCount: Int)
    /// Sample `index` has label `label`, outside `0..<classCount`.
    case labelOutOfRange(path: String, index: Int, label: Int64, classCount: Int)
    /// A `.npy` array (possibly inside an `.npz` archive entry) could not be decoded.
    case npy(path: String, entry: String?, error: NPYError)
    /// An `.npz` archive could not be opened, or lacks an entry, or an array has the wrong shape or type.
    case npz(path: String, reason: String)
    /// CSV row at `line` (1-based physical line) has `actual` columns where `expected` were found before.
    case csvRaggedRow(path: String, line: Int, expected: Int, actual: Int)
    /// CSV cell at `line` (1-based) and `column` (1-based) is not a number.
    case csvNonNumeric(path: String, line: Int, column: Int, value: String)
    /// CSV cell at `line` (1-based) and `column` (1-based) is empty, a missing-value marker (`NA`, `null`, ...) or a
    /// non-finite number (`nan`, `inf`); `value` is the cell's text.
    case csvMissing(path: String, line: Int, column: Int, value: String)
    /// The label `value` at `line` (1-based) of the label column (0-based `labelColumn`, as `--label-column` takes it)
    /// cannot be a class index; `reason` says why ("is not an integer class index").
    case csvLabel(path: String, line: Int, labelColumn: Int, value: String, reason: String)
    /// A CSV problem not tied to one cell (no rows, unknown label column, labels unusable as classes, ...).
    case csv(path: String, reason: String)
    /// The Fashion-MNIST directory is missing or incomplete (`missingFile` names the first file not found).
    case fashionMNISTMissing(directory: String, missingFile: String?)
    /// Downloading `url` failed.
    case download(url: String, reason: String)
    /// The downloaded bytes do not have the expected SHA-256; nothing was written to `destination`.
    case hashMismatch(url: String, destination: String, expected: String, actual: String)
    /// A `--data` value that is neither a known name nor a usable path.
    case unknownSource(spec: String, reason: String)
    /// The data were read but `Dataset` rejected them.
    case invalidData(path: String, error: DatasetError)

    /// A one-line message naming the file (or URL, directory, spec) and the problem, e.g.
    /// `data/train.csv:7: row has 4 columns, expected 5`.
    public var description: String {
        switch self {
        case .notFound(let p):
            return "\(p): no such file or directory"
        case .unreadable(let p, let r):
            return "\(p): cannot read: \(r)"
        case .badMagic(let p, let e, let f):
            return "\(p): wrong magic number \(f) (expected \(e))"
        case .truncated(let p, let e, let a):
            let what = a < e ? "truncated" : "longer than its header says"
            return "\(p): file \(what): expected \(e) bytes, found \(a)"
        case .badHeader(let p, let r):
            return "\(p): bad header: \(r)"
        case .gzip(let p, let r):
            return "\(p): gzip error: \(r)"
        case .countMismatch(let ip, let ic, let lp, let lc):
            return "\(ip) has \(ic) images but \(lp) has \(lc) labels"
        case .labelOutOfRange(let p, let i, let l, let k):
            return "\(p): label \(l) of sample \(i) is outside 0..<\(k)"
        case .npy(let p, let entry, let e):
            if let entry { return "\(p): entry \(entry): \(e)" }
            return "\(p): \(e)"
        case .npz(let p, let r):
            return "\(p): \(r)"
        case .csvRaggedRow(let p, let line, let e, let a):
            return "\(p):\(line): row has \(a) columns, expected \(e)"
        case .csvNonNumeric(let p, let line, let c, let v):
            return "\(p):\(line): column \(c): '\(TextCheck.excerpt(v))' is not a number"
        case .csvMissing(let p, let line, let c, let v):
            let what = v.isEmpty ? "empty cell" : "'\(v)' is a missing value or not a finite number"
            return "\(p):\(line): column \(c): \(what); fix the file or drop such rows with --drop-missing"
        case .csvLabel(let p, let line, let c, let v, let r):
            return "\(p):\(line): label column \(c): label '\(v)' \(r); choose another column with --label-column NAME|INDEX, or use --loss mean_squared_error for real-valued targets"
        case .csv(let p, let r):
            return "\(p): \(r)"
        case .fashionMNISTMissing(let d, let missing):
            return "Fashion-MNIST not found in \(d)" + (missing.map { " (no \($0))" } ?? "") + ": install it with `sudo apt-get install dataset-fashion-mnist` "
                + "or set TRAINBOARD_FASHION_MNIST_DIR to a directory holding train-images-idx3-ubyte.gz, "
                + "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
        case .download(let u, let r):
            return "download of \(u) failed: \(r)"
        case .hashMismatch(let u, let d, let e, let a):
            return "download of \(u) has SHA-256 \(a), expected \(e); nothing saved to \(d)"
        case .unknownSource(let s, let r):
            return "data source '\(s)': \(r)"
        case .invalidData(let p, let e):
            return "\(p): \(e)"
        }
    }
}
