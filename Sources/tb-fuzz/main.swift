// tb-fuzz: a mutation fuzzer for every loader of untrusted files (issue 7). Each target is a function from bytes to
// "parsed or refused"; the driver mutates seed inputs (valid small files made here) and feeds the target for a bounded
// time. A crash ends the process (the input that caused it is saved first); an input slower than the time budget is
// saved and the run fails; the peak resident memory must stay under the limit.
//
// Usage: tb-fuzz TARGET [--seconds S] [--seed N] [--max-input-ms MS] [--max-rss-mib MIB] [--out DIR]
//        tb-fuzz --list
// Targets: idx, idx-gz, npy, npz, csv, config, theme, journal, model, keras, h5, model-json, attach.
// Exit status: 0 clean, 1 a slow input or too much memory (the input is saved in --out), 2 bad usage; a crash is the
// signal's own status (the input is saved before each run as DIR/TARGET-current).
import AttachProtocol
import Dashboard
import Datasets
import CGzip
import Foundation
import NeuralEngine
import SafeIO
import TerminalUI
import TrainboardKit
import ZIPFoundation
#if canImport(Glibc)
import Glibc
#endif

/// A deterministic generator (SplitMix64), so a seed reproduces a run.
struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

struct Target {
    let name: String
    /// Valid inputs to start from.
    let seeds: [[UInt8]]
    /// Tokens worth inserting (format keywords and punctuation).
    let tokens: [[UInt8]]
    /// Parses the input; any thrown error is a clean refusal.
    let run: ([UInt8]) throws -> Void
}

let scratch = NSTemporaryDirectory() + "tb-fuzz-\(getpid())"
try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)

/// Writes `bytes` to a scratch file named `name` and returns its path (loaders that take paths).
func file(_ name: String, _ bytes: [UInt8]) -> String {
    let p = scratch + "/" + name
    _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
    return p
}

func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

func gzip(_ bytes: [UInt8]) -> [UInt8] {
    let p = scratch + "/seed.gz"
    guard let gz = gzopen(p, "wb6") else { return bytes }
    _ = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
    gzclose(gz)
    return (try? SafeFile.read(p, limit: 1 << 24)) ?? bytes
}

func tokens(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

let idxImages = be32(0x803) + be32(3) + be32(4) + be32(4) + (0..<48).map { UInt8($0 * 5) }
let idxLabels = be32(0x801) + be32(3) + [0, 1, 2]
let npyFloat = (try? NPYArray(float32: [1.5, -2, 0, 3.25, 7, 8], shape: [2, 3]).encoded()) ?? []
let npyBytes = (try? NPYArray(uint8: [0, 1, 255, 4], shape: [1, 2, 2]).encoded()) ?? []
let npyInts = (try? NPYArray(int64: [0, 1, 2], shape: [3]).encoded()) ?? []

/// A small Keras-layout `.npz` written with the engine's NPY encoder and ZIPFoundation, as `np.savez` lays it out.
func npzSeed() -> [UInt8] {
    let p = scratch + "/seed.npz"
    try? FileManager.default.removeItem(atPath: p)
    let arrays: [(String, NPYArray?)] = [
        ("x_train", try? NPYArray(uint8: [UInt8](repeating: 9, count: 3 * 4), shape: [3, 2, 2])),
        ("y_train", try? NPYArray(int64: [0, 1, 2], shape: [3])),
        ("x_test", try? NPYArray(uint8: [UInt8](repeating: 1, count: 4), shape: [1, 2, 2])),
        ("y_test", try? NPYArray(int64: [1], shape: [1])),
    ]
    let archive: Archive
    do { archive = try Archive(url: URL(fileURLWithPath: p), accessMode: .create) } catch { return [] }
    for (name, array) in arrays {
        guard let bytes = array?.encoded() else { continue }
        try? archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                              compressionMethod: name.hasPrefix("x") ? .deflate : .none) { position, size in
            Data(bytes[Int(position)..<(Int(position) + size)])
        }
    }
    return (try? SafeFile.read(p, limit: 1 << 24)) ?? []
}

func modelSeed() -> [UInt8] {
    let m = Sequential([Dense(3, activation: .relu), Dense(2, activation: .softmax)], seed: 1)
    try? m.build(inputUnits: 4)
    let p = scratch + "/seed.tbmodel"
    try? m.save(to: p, metadata: ModelMetadata(epoch: 1, iterations: 10, logs: ["loss": 0.5], reason: "seed"))
    return (try? SafeFile.read(p, limit: 1 << 24)) ?? []
}

/// A small trained-looking model (4-3-Dropout-2) in `format`'s bytes; for weights-only HDF5 files the architecture
/// is written once as the scratch `f.json`, which the loaders look for next to `f.h5`.
func kerasSeed(_ format: ModelFormat) -> [UInt8] {
    let m = Sequential([Dense(3, activation: .relu), Dropout(0.5), Dense(2, activation: .softmax)], seed: 1)
    try? m.build(inputUnits: 4)
    m.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9, decay: 0.01), loss: .categoricalCrossentropy)
    let snapshot = m.snapshot(metadata: ModelMetadata(epoch: 1, iterations: 10, logs: ["loss": 0.5], reason: "seed"))
    if format == .weightsH5, let json = try? snapshot.encoded(as: .json) { _ = file("f.json", json) }
    return (try? snapshot.encoded(as: format)) ?? []
}

let targets: [Target] = [
    Target(name: "idx", seeds: [idxImages, idxLabels], tokens: [be32(0x803), be32(0x801), be32(0), be32(0x7FFF_FFFF), be32(8000)]) { b in
        let p = file("f-idx3-ubyte", b)
        _ = try? IDX.readImages(p)
        _ = try IDX.readLabels(p)
    },
    Target(name: "idx-gz", seeds: [gzip(idxImages), gzip(idxLabels)], tokens: [[0x1F, 0x8B], [0, 0, 0, 0], [0xFF, 0xFF]]) { b in
        let p = file("f-idx3-ubyte.gz", b)
        _ = try? IDX.readImages(p)
        _ = try IDX.readLabels(p)
    },
    Target(name: "npy", seeds: [npyFloat, npyBytes, npyInts],
           tokens: tokens(["{", "}", "(", ")", "[", "'shape'", "'descr'", "'<f8'", "'>i4'", "True", "False", ",", "99999999999", "-1"])) { b in
        _ = try NPYArray.decode(b)
    },
    Target(name: "npz", seeds: [npzSeed()], tokens: [[0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x01, 0x02], [0xFF, 0xFF, 0xFF, 0xFF]]) { b in
        _ = try NPZ.loadKerasMNIST(file("f.npz", b))
    },
    Target(name: "csv", seeds: [Array("label,pixel0,pixel1\n5,0,255\n3,12,7\n".utf8), Array("a,b,y\n1.5,2,0.25\n-3,4e3,1\n".utf8),
                                Array("5,0,0,0\n0,1,2,3\n".utf8)],
           tokens: tokens([",", "\n", "\"", "nan", "inf", "-", "1e39", "\u{0}", "NA", "\r\n", ";", "label", "pixel"])) { b in
        let table = try CSVLoader.parse(bytes: b, path: "fuzz.csv")
        _ = try CSVLoader.dataset(from: table, path: "fuzz.csv")
    },
    Target(name: "config", seeds: [Array("epochs: 5\nbatch-size: 64\nhidden: [128, 64]\nlr: 0.05\ncheckpoint: \"c-{epoch:02d}.tbmodel\"\n".utf8)],
           tokens: tokens(["&a ", "*a", "[", "]", "{", "}", ": ", "- ", "? ", "!!str ", "'", "\"", "#", "\n  ", "|", ">"])) { b in
        _ = try ConfigFile.load(file("f.yaml", b))
    },
    Target(name: "theme", seeds: [Array("theme[main_bg]=\"#1e1e2e\"\ntheme[main_fg]=\"#cdd6f4\"\ntheme[lr]=\"200 100 50\"\n# c\n".utf8)],
           tokens: tokens(["theme[", "]=", "\"", "#", "#FF", "\n", " ", "\u{0}"])) { b in
        _ = try ThemeLibrary.loadFile(file("f.theme", b))
    },
    Target(name: "journal", seeds: [Array("{\"action\":\"lr_scale\",\"epoch\":0,\"update\":12,\"time\":1.5,\"learning_rate\":0.125,\"factor\":1.25}\n{\"action\":\"pause\",\"epoch\":1,\"update\":40,\"time\":3}\n".utf8)],
           tokens: tokens(["{", "}", "\"", ":", ",", "-1", "1e308", "NaN", "\"learning_rate\"", "\"action\"", "\n", "\\u0000"])) { b in
        _ = try ControlJournal.read(file("f.jsonl", b))
    },
    Target(name: "model", seeds: [modelSeed()],
           tokens: tokens(["{", "}", "[", "]", "\"shape\"", "\"units\"", "-1", "99999999999", "\"nan\"", "1e308", ","])) { b in
        _ = try Sequential.load(from: file("f.tbmodel", b))
    },
    // Keras's formats: the zip archive, the HDF5 files (legacy full model, and Keras 3 weights with f.json next to
    // them) and the architecture JSON. libhdf5 parses in a child process (HDF5Isolation), so a crash inside the
    // library is a refusal here, not a crash of the fuzzer.
    Target(name: "keras", seeds: [kerasSeed(.keras)],
           tokens: [[0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x01, 0x02], [0xFF, 0xFF, 0xFF, 0xFF]] + tokens(["layers", "vars", "Dense", "\"units\": "])) { b in
        _ = try ModelFile.read(file("f.keras", b)).makeModel()
    },
    Target(name: "h5", seeds: [kerasSeed(.h5), kerasSeed(.weightsH5)],
           tokens: [[0x89, 0x48, 0x44, 0x46], Array("TREE".utf8), Array("HEAP".utf8), Array("GCOL".utf8), Array("SNOD".utf8),
                    [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0, 0, 0, 0, 0]]) { b in
        _ = try ModelFile.read(file("f.h5", b)).makeModel()
    },
    Target(name: "model-json", seeds: [kerasSeed(.json)],
           tokens: tokens(["{", "}", "[", "]", "null", "\"units\": ", "\"class_name\": ", "\"Dense\"", "\"batch_shape\": [null, ", "99999999999", "-1", ","])) { b in
        _ = try ModelFile.read(file("f.json", b)).makeModel()
    },
    // The attach protocol (docs/attach-protocol.md): a byte stream split into lines (both sides' limits), each line
    // decoded as a run's and as a client's message, and the run's messages applied to a dashboard snapshot as
    // `trainboard attach` applies them. Malformed lines are skipped, an oversized one ends the stream: never a crash.
    Target(name: "attach", seeds: [attachSeed()],
           tokens: tokens(["{", "}", "[", "]", "\"v\":1", "\"type\":", "\"hello\"", "\"batch\"", "\"epoch\"", "\"event\"",
                           "\"ack\"", "\"end\"", "\"command\"", "\"logs\":{", "\"NaN\"", "\"-Infinity\"", "1e308",
                           "-99999999999999999999", "9223372036854775807", "null", "\n", "\\u0000", ","])) { b in
        var server = LineFramer(limit: AttachProtocol.clientLineLimit)
        var client = LineFramer(limit: AttachProtocol.runLineLimit)
        server.append(b)
        client.append(b)
        while let line = try server.nextLine() { _ = try? ClientMessage.decode(line) }
        var feed = AttachFeed()
        var snapshot = TrainingSnapshot()
        while let line = try client.nextLine() {
            if let m = try? RunMessage.decode(line) { feed.apply(m, to: &snapshot) }
        }
    },
]

/// A run's session as the attach protocol's seed: every message type once.
func attachSeed() -> [UInt8] {
    let hello = Hello(framework: "trainboard 0", name: "f", pid: 1, model: ModelInfo(summary: "784-64-10", params: 50890), epochs: 3,
                      stepsPerEpoch: 2, batchSize: 4, metrics: ["loss", "accuracy", "val_loss"], learningRate: 0.1, state: "running")
    let messages: [RunMessage] = [
        .hello(hello),
        .batch(BatchMessage(epoch: 0, batch: 0, update: 1, time: 0.1, logs: ["loss": 2.3, "accuracy": .nan], learningRate: 0.1)),
        .epoch(EpochMessage(epoch: 0, update: 2, time: 0.3, logs: ["loss": 2.1, "val_loss": .infinity], learningRate: 0.1)),
        .event(EventMessage(kind: "checkpoint", epoch: 0, update: 2, time: 0.4, message: "checkpoint a.keras", path: "a.keras")),
        .ack(Ack(id: 1, command: "set_lr", ok: true, applied: Applied(learningRate: 0.05), update: 3, message: "lr", from: 1)),
        .historyEnd(count: 4), .error(ErrorMessage(id: 2, message: "bad")), .pong(id: 3),
        .end(EndMessage(reason: "completed 3 epochs", epoch: 2, update: 6)),
    ]
    var out: [UInt8] = []
    for m in messages { out += m.line + [0x0A] }
    out += ClientMessage.command(CommandMessage(id: 1, command: "set_lr", value: 0.05)).line + [0x0A]
    out += ClientMessage.auth(token: "00ff").line + [0x0A]
    return out
}

/// One to four random edits of `input`.
func mutate(_ input: [UInt8], tokens: [[UInt8]], corpus: [[UInt8]], rng: inout Rng) -> [UInt8] {
    var b = input
    for _ in 0...rng.below(4) {
        let n = b.count
        switch rng.below(9) {
        case 0 where n > 0: b[rng.below(n)] ^= UInt8(1 << rng.below(8))
        case 1 where n > 0: b[rng.below(n)] = UInt8(truncatingIfNeeded: rng.next())
        case 2 where n > 0: b[rng.below(n)] = [0, 0xFF, 0x7F, 0x80, 0x30, 0x39][rng.below(6)]
        case 3 where n > 0: let i = rng.below(n); b.removeSubrange(i..<min(n, i + 1 + rng.below(16)))
        case 4: b.insert(contentsOf: (0..<(1 + rng.below(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: rng.below(n + 1))
        case 5 where !tokens.isEmpty: b.insert(contentsOf: tokens[rng.below(tokens.count)], at: rng.below(n + 1))
        case 6 where n > 1:  // repeat a block (nesting, long rows), bounded to 64 KiB of growth
            let i = rng.below(n), len = 1 + rng.below(min(64, n - i))
            let block = Array(b[i..<(i + len)])
            let times = 1 + rng.below(max(1, min(256, 65_536 / len)))
            b.insert(contentsOf: Array([[UInt8]](repeating: block, count: times).joined()), at: i)
        case 7 where n >= 4:  // an interesting 32-bit big-endian value (IDX headers, zip sizes)
            let i = rng.below(n - 3)
            let v = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 8000, 65_536, 0x803][rng.below(7)]
            b.replaceSubrange(i..<(i + 4), with: be32(v))
        case 8 where !corpus.isEmpty:  // splice with another input
            let other = corpus[rng.below(corpus.count)]
            let cut = rng.below(n + 1), from = rng.below(other.count + 1)
            b = Array(b[..<cut]) + Array(other[from...])
        default: break
        }
    }
    if b.count > 1 << 20 { b.removeSubrange((1 << 20)...) }
    return b
}

func peakRSSMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return kb / 1024
    }
    return 0
}

// MARK: Command line

var args = Array(CommandLine.arguments.dropFirst())
if args.first == "--list" || args.isEmpty {
    print(targets.map(\.name).joined(separator: "\n"))
    exit(args.isEmpty ? 2 : 0)
}
let name = args.removeFirst()
var seconds = 5.0, seed: UInt64 = 1, maxInputMs = 2_000.0, maxRSS = 512.0, outDir = "."
while let flag = args.first {
    args.removeFirst()
    guard let value = args.first else { FileHandle.standardError.write(Data("tb-fuzz: \(flag) needs a value\n".utf8)); exit(2) }
    args.removeFirst()
    switch flag {
    case "--seconds": seconds = Double(value) ?? seconds
    case "--seed": seed = UInt64(value) ?? seed
    case "--max-input-ms": maxInputMs = Double(value) ?? maxInputMs
    case "--max-rss-mib": maxRSS = Double(value) ?? maxRSS
    case "--out": outDir = value
    default: FileHandle.standardError.write(Data("tb-fuzz: unknown option \(flag)\n".utf8)); exit(2)
    }
}
guard let target = targets.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data("tb-fuzz: unknown target '\(name)'; targets: \(targets.map(\.name).joined(separator: ", "))\n".utf8))
    exit(2)
}
// Loaders refuse anything beyond this (the memory limit they check before allocating), so RSS stays bounded.
MemoryLimit.override(128 << 20)
// libhdf5 runs in a child process with a deadline (HDF5Isolation); a damaged file that makes it loop is refused
// after this long, inside the per-input limit.
HDF5Isolation.baseSeconds = min(1, maxInputMs / 2000)
try? FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
let current = outDir + "/\(name)-current"

var rng = Rng(state: seed)
var corpus = target.seeds
var runs = 0, refused = 0, slowest = 0.0
let start = Date()
while Date().timeIntervalSince(start) < seconds {
    let base = corpus[rng.below(corpus.count)]
    let input = runs < target.seeds.count ? target.seeds[runs] : mutate(base, tokens: target.tokens, corpus: corpus, rng: &rng)
    // Saved before the run: if the process crashes, this file is the input that crashed it.
    _ = FileManager.default.createFile(atPath: current, contents: Data(input))
    let t0 = Date()
    do { try target.run(input); if corpus.count < 256 && rng.below(8) == 0 { corpus.append(input) } } catch { refused += 1 }
    let ms = Date().timeIntervalSince(t0) * 1000
    slowest = max(slowest, ms)
    runs += 1
    if ms > maxInputMs {
        let saved = outDir + "/\(name)-slow-\(runs)"
        _ = FileManager.default.createFile(atPath: saved, contents: Data(input))
        print("tb-fuzz \(name): input \(runs) took \(Int(ms)) ms (limit \(Int(maxInputMs))): saved as \(saved)")
        exit(1)
    }
}
try? FileManager.default.removeItem(atPath: current)
try? FileManager.default.removeItem(atPath: scratch)
let rss = peakRSSMiB()
print(String(format: "tb-fuzz %@: %d inputs in %.1f s (%d refused), slowest %.1f ms, peak RSS %.0f MiB (limit %.0f)",
             name, runs, Date().timeIntervalSince(start), refused, slowest, rss, maxRSS))
exit(rss <= maxRSS ? 0 : 1)
