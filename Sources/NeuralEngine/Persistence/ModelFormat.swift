import Foundation

/// The model file formats, chosen by file extension wherever a model is written or read.
///
/// | extension | holds | read by |
/// |---|---|---|
/// | `.keras` | Keras 3's zip archive: `metadata.json`, `config.json` (architecture + compile settings), `model.weights.h5` (weights and optimizer variables), plus `trainboard.json` (epoch, updates, logs) and, for checkpoints written during training, `trainboard-state.json` (`TrainingState`: everything else a resumed run needs), which Keras ignores | `keras.saving.load_model` |
/// | `.weights.h5` | Keras 3's weights layout (`layers/dense/vars/0`, ..., `optimizer/vars/...`), no architecture | `model.load_weights` |
/// | `.h5` | Keras 2's legacy full-model HDF5 file: `model_config` and `training_config` attributes, weights in the `model_weights` group (`layer_names`, `weight_names`), optimizer variables in `optimizer_weights` | `keras.saving.load_model`, `model.load_weights` |
/// | `.json` | the architecture alone, as `model.to_json()` writes it | `keras.models.model_from_json` |
/// | `.tbmodel` | Trainboard's JSON: architecture, compile settings, metadata, weights, optimizer slots | Trainboard |
///
/// A path with another extension (or none, e.g. `/dev/null`) is written as `.keras`, the default; reading such a
/// path recognises the format from the file's first bytes.
public enum ModelFormat: String, CaseIterable, Sendable {
    case keras
    case weightsH5 = "weights.h5"
    case h5
    case json
    case tbmodel

    /// The format a path's extension names (case-insensitive; `.hdf5` is `.h5`), or nil for another extension.
    public init?(path: String) {
        let name = SafeFileName.base(path).lowercased()
        if name.hasSuffix(".weights.h5") { self = .weightsH5 }
        else if name.hasSuffix(".keras") { self = .keras }
        else if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") { self = .h5 }
        else if name.hasSuffix(".json") { self = .json }
        else if name.hasSuffix(".tbmodel") { self = .tbmodel }
        else { return nil }
    }

    /// The format written to `path`: its extension's, else `.keras` (the default).
    public static func forWriting(_ path: String) -> ModelFormat { ModelFormat(path: path) ?? .keras }

    /// The format of a file from its first bytes: a zip archive is `.keras`, an HDF5 file `.h5` (its groups then tell
    /// the Keras 3 weights layout from the legacy one), JSON `.tbmodel` when it says so, else `.json`.
    static func sniff(_ bytes: [UInt8]) -> ModelFormat? {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .keras }
        if bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .h5 }
        guard let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{")
        else { return nil }
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        return head.contains("\"trainboard-model\"") ? .tbmodel : .json
    }

    /// Whether a checkpoint written to `path` during training carries its `TrainingState` (`.keras`, the default
    /// for other extensions, and `.tbmodel`), so that `trainboard train --resume` can continue from it.
    public static func isResumable(_ path: String) -> Bool { [.keras, .tbmodel].contains(forWriting(path)) }

    /// The extension with its dot (`.keras`, `.weights.h5`, ...).
    public var fileExtension: String { "." + rawValue }

    /// The extensions Trainboard knows, for messages.
    public static var knownExtensions: String { allCases.map(\.fileExtension).joined(separator: ", ") }
}

/// What is wrong inside a model file, without the path (`ModelIOError.malformed` adds it).
struct ModelFormatError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Path helpers (no file access).
enum SafeFileName {
    /// The last path component.
    static func base(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }

    /// `path` without its model extension (`.weights.h5`, `.h5`, `.hdf5`, `.keras`, ...).
    static func stem(_ path: String) -> String {
        let lower = path.lowercased()
        for ext in [".weights.h5", ".hdf5", ".h5", ".keras", ".json", ".tbmodel"] where lower.hasSuffix(ext) {
            return String(path.dropLast(ext.count))
        }
        return path
    }
}
