import Foundation
import XCTest
@testable import NeuralEngine

/// Model files in every format (`ModelFormat`): Trainboard → file → Trainboard keeps weights bit for bit and
/// predictions identical; the layouts are Keras's (checked here by reading the HDF5 groups back; Tests/e2e/keras.sh
/// checks them against Keras itself); malformed files give errors naming the file and the problem.
final class KerasFormatTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "keras-format-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A 12-8-Dropout-5 classifier trained for one epoch with SGD + momentum + decay, so the weights and momentum
    /// slots are non-trivial.
    private func trainedModel(optimizer: Optimizer = SGD(learningRate: 0.1, momentum: 0.8, decay: 0.01)) throws -> (Sequential, Matrix) {
        var g = SeededGenerator(seed: 5)
        let n = 40
        let x = (0..<n * 12).map { _ in g.nextUnitFloat() }
        let data = try Dataset(features: .floats(x), featureCount: 12,
                               targets: .classes((0..<n).map { Int32($0 % 5) }, classCount: 5))
        let model = Sequential([Dense(8, activation: .relu), Dropout(0.25), Dense(5, activation: .softmax)], seed: 2)
        model.compile(optimizer: optimizer, loss: .categoricalCrossentropy)
        try model.fit(data, batchSize: 8, epochs: 1)
        return (model, Matrix(rows: n, cols: 12, storage: x))
    }

    func testEveryFormatRoundTripsWeightsAndPredictionsExactly() throws {
        let (model, x) = try trainedModel()
        let expected = try model.predict(x)
        for ext in ["keras", "weights.h5", "h5", "tbmodel"] {
            let path = "\(dir)/m.\(ext)"
            try model.save(to: path, metadata: ModelMetadata(epoch: 0, iterations: 5, reason: "test"))
            if ext == "weights.h5" { try model.save(to: "\(dir)/m.json") }
            let file = try ModelFile.read(path)
            XCTAssertEqual(file.format, ModelFormat(path: path), ext)
            let loaded = try file.makeModel()
            XCTAssertEqual(loaded.getWeights(), model.getWeights(), ext)
            XCTAssertEqual(try loaded.predict(x), expected, ext)
            XCTAssertEqual(loaded.layers.map(\.name), ["dense", "dropout", "dense_1"], ext)
            XCTAssertEqual((loaded.layers[1] as? Dropout)?.rate, 0.25, ext)
            if ext != "weights.h5" {
                XCTAssertEqual(file.loss, .categoricalCrossentropy, ext)
                XCTAssertEqual(file.optimizerName, "SGD", ext)
                XCTAssertEqual(file.optimizerConfig["momentum"], 0.8, ext)
                XCTAssertEqual(file.optimizerConfig["decay"], 0.01, ext)
                XCTAssertEqual(file.optimizerConfig["learning_rate"], 0.1, ext)
            }
            if ext == "keras" || ext == "h5" || ext == "tbmodel" {
                XCTAssertEqual(file.metadata.reason, "test", ext)
                XCTAssertEqual(file.metadata.iterations, 5, ext)
            }
        }
    }

    /// The `.keras` weights member has Keras 3's groups: `layers/<name>/vars/<i>` (bias 1-D), `optimizer/vars`
    /// with the iteration (int), then (decay > 0: no learning-rate variable) one momentum per weight, and `vars`.
    func testKerasWeightsLayout() throws {
        let (model, _) = try trainedModel()
        let bytes = try model.snapshot().encoded(as: .weightsH5)
        let file = try HDF5File.open(image: bytes)
        let root = try file.root()
        XCTAssertEqual(try root.memberNames(), ["layers", "optimizer", "vars"])
        XCTAssertEqual(try root.group("layers").memberNames(), ["dense", "dense_1", "dropout"])
        let vars = try root.group("layers").group("dense").group("vars")
        XCTAssertEqual(try vars.string("name"), "dense")
        XCTAssertEqual(try vars.memberNames(), ["0", "1"])
        let kernel = try vars.readFloats("0", maxElements: 1000)
        XCTAssertEqual(kernel.shape, [12, 8])
        XCTAssertEqual(kernel.values, model.getWeights()[0].storage)
        XCTAssertEqual(try vars.readFloats("1", maxElements: 100).shape, [8])
        XCTAssertEqual(try root.group("layers").group("dropout").group("vars").memberNames(), [])
        let opt = try root.group("optimizer").group("vars")
        XCTAssertEqual(try opt.string("name"), "sgd")
        // 40 samples / batch 8 = 5 updates; 4 weight tensors with one momentum each.
        XCTAssertEqual(try opt.readInteger("0"), 5)
        XCTAssertEqual(try opt.memberNames().count, 1 + 4)
        XCTAssertEqual(try opt.readFloats("1", maxElements: 1000).values,
                       model.optimizer!.slots[0][0].array(count: 96))
    }

    /// The legacy `.h5`: `model_config` JSON with Keras class and argument names, `model_weights` with
    /// `layer_names` and per-layer `weight_names` (Dropout: an empty list), datasets at those names.
    func testLegacyH5Layout() throws {
        let (model, _) = try trainedModel(optimizer: Adam())
        let file = try HDF5File.open(image: try model.snapshot().encoded(as: .h5))
        let root = try file.root()
        let config = try XCTUnwrap(try root.string("model_config"))
        for fragment in ["\"class_name\": \"Sequential\"", "\"class_name\": \"Dense\"", "\"units\": 8",
                         "\"activation\": \"relu\"", "\"kernel_initializer\"", "\"class_name\": \"Dropout\"",
                         "\"rate\": 0.25", "\"batch_shape\": [null, 12]"] {
            XCTAssertTrue(config.contains(fragment), fragment)
        }
        let training = try XCTUnwrap(try root.string("training_config"))
        XCTAssertTrue(training.contains("\"optimizer_config\": {\"class_name\": \"Adam\""), training)
        let weights = try root.group("model_weights")
        XCTAssertEqual(try weights.strings("layer_names"), ["dense", "dropout", "dense_1"])
        XCTAssertEqual(try weights.group("dense").strings("weight_names"),
                       ["sequential/dense/kernel", "sequential/dense/bias"])
        XCTAssertEqual(try weights.group("dropout").strings("weight_names"), [])
        XCTAssertEqual(try weights.group("dense_1").readNested("sequential/dense_1/kernel", maxElements: 100).shape, [8, 5])
        let opt = try root.group("optimizer_weights")
        XCTAssertEqual(try opt.strings("weight_names")?.prefix(4),
                       ["adam/iteration", "adam/learning_rate", "adam/sequential_dense_kernel_momentum",
                        "adam/sequential_dense_kernel_velocity"])
    }

    func testKerasArchiveMembers() throws {
        let (model, _) = try trainedModel()
        let path = "\(dir)/m.keras"
        try model.save(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(bytes.prefix(4)), [0x50, 0x4B, 0x03, 0x04])
        let text = String(decoding: bytes, as: UTF8.self)
        for member in ["metadata.json", "config.json", "model.weights.h5", "trainboard.json"] {
            XCTAssertTrue(text.contains(member), member)
        }
    }

    /// A path with no known extension (or a device) is written as `.keras` and read back by its first bytes.
    func testUnknownExtensionIsKerasAndSniffed() throws {
        let (model, x) = try trainedModel()
        try model.save(to: "\(dir)/checkpoint")
        let file = try ModelFile.read("\(dir)/checkpoint")
        XCTAssertEqual(file.format, .keras)
        XCTAssertEqual(try file.makeModel().predict(x), try model.predict(x))
        XCTAssertNoThrow(try model.save(to: "/dev/null"))
    }

    /// An architecture alone (`.json`) rebuilds the layers with fresh, seeded weights; a weights-only file without
    /// its `.json` names the file it looked for.
    func testJSONArchitectureAndMissingSibling() throws {
        let (model, _) = try trainedModel()
        try model.save(to: "\(dir)/arch.json")
        let file = try ModelFile.read("\(dir)/arch.json")
        XCTAssertFalse(file.hasWeights)
        XCTAssertEqual(file.inputUnits, 12)
        XCTAssertEqual(file.outputUnits, 5)
        let fresh = try file.makeModel(seed: 2)
        XCTAssertEqual(fresh.getWeights().map(\.count), model.getWeights().map(\.count))
        try model.save(to: "\(dir)/alone.weights.h5")
        XCTAssertThrowsError(try ModelFile.read("\(dir)/alone.weights.h5")) { e in
            XCTAssertEqual("\(e)", "\(dir)/alone.weights.h5: not a valid model file: the file holds weights only; its architecture must be next to it as \(dir)/alone.json (Keras's model.to_json())")
        }
    }

    /// Weights that do not fit the architecture: the error names the layer, the tensor, where it is, and both shapes.
    func testShapeMismatchNamesLayerExpectedAndGot() throws {
        let (model, _) = try trainedModel()
        try model.save(to: "\(dir)/w.weights.h5")
        let other = Sequential([Dense(9, activation: .relu), Dropout(0.25), Dense(5, activation: .softmax)], seed: 1)
        try other.build(inputUnits: 12)
        try other.save(to: "\(dir)/w.json")
        XCTAssertThrowsError(try ModelFile.read("\(dir)/w.weights.h5")) { e in
            XCTAssertEqual("\(e)", "\(dir)/w.weights.h5: not a valid model file: layer dense: kernel (layers/dense/vars/0) has shape [12, 8], expected [12, 9]")
        }
        try model.save(to: "\(dir)/l.h5")
        let bytes = try model.snapshot().encoded(as: .h5)
        _ = bytes
    }

    /// Truncated and corrupted files of every format: a `ModelIOError` naming the file, never a crash.
    func testTruncatedAndCorruptFilesAreErrors() throws {
        let (model, _) = try trainedModel()
        for ext in ["keras", "weights.h5", "h5", "json", "tbmodel"] {
            let good = try model.snapshot().encoded(as: ModelFormat(path: "x.\(ext)")!)
            for cut in [0, 3, 8, 100, good.count / 2, good.count - 1] {
                let path = "\(dir)/cut-\(cut).\(ext)"
                try Data(good.prefix(cut)).write(to: URL(fileURLWithPath: path))
                if ext == "weights.h5" { try model.save(to: "\(dir)/cut-\(cut).json") }
                XCTAssertThrowsError(try ModelFile.read(path), "\(ext) cut at \(cut)") { e in
                    XCTAssertTrue("\(e)".hasPrefix(path + ": "), "\(e)")
                    XCTAssertTrue(e is ModelIOError, "\(e)")
                }
            }
            var g = SeededGenerator(seed: 9)
            for k in 0..<30 {
                var bad = good
                for _ in 0..<4 { bad[Int(g.next() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: g.next()) }
                let path = "\(dir)/flip-\(k).\(ext)"
                try Data(bad).write(to: URL(fileURLWithPath: path))
                do { _ = try ModelFile.read(path).makeModel() } catch {
                    XCTAssertTrue("\(error)".contains(path) || error is ModelError, "\(error)")
                }
            }
        }
    }

    func testUnsupportedLayerIsNamed() throws {
        let json = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "i"}}, {"class_name": "Conv2D", "config": {"name": "conv"}}]}}"#
        try json.write(toFile: "\(dir)/c.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelFile.read("\(dir)/c.json")) { e in
            XCTAssertEqual("\(e)", "\(dir)/c.json: not a valid model file: layer conv is a Conv2D; Trainboard reads Sequential models of Dense and Dropout layers")
        }
        let wrongType = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": "64"}}]}}"#
        try wrongType.write(toFile: "\(dir)/u.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelFile.read("\(dir)/u.json")) { e in
            XCTAssertEqual("\(e)", "\(dir)/u.json: not a valid model file: config.layers[0].config.units: expected a number, got \"64\"")
        }
    }

    /// Keras 2's `to_json()` (the tutorial's model.json): `batch_input_shape` on the first Dense, initializers
    /// without `module`, `RandomUniform` with Keras 2's defaults.
    func testKeras2ArchitectureJSON() throws {
        let json = #"{"class_name": "Sequential", "config": {"name": "sequential", "layers": [{"class_name": "Dense", "config": {"name": "dense", "trainable": true, "batch_input_shape": [null, 784], "dtype": "float32", "units": 64, "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}}}, {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.1}}, {"class_name": "Dense", "config": {"name": "dense_1", "units": 10, "activation": "softmax", "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}}}]}, "keras_version": "2.4.0", "backend": "tensorflow"}"#
        try json.write(toFile: "\(dir)/k2.json", atomically: true, encoding: .utf8)
        let file = try ModelFile.read("\(dir)/k2.json")
        XCTAssertEqual(file.inputUnits, 784)
        XCTAssertEqual(file.layers.map(\.kernelInitializer), [.uniform, nil, .glorotUniform])
        XCTAssertEqual(file.layers.map(\.units), [64, nil, 10])
    }
}

/// `HDF5Isolation`: libhdf5's parsing runs in a child process; a crash or a hang there is an error, not the end of
/// the program.
final class HDF5IsolationTests: XCTestCase {
    func testResultComesBack() throws {
        XCTAssertEqual(try HDF5Isolation.run(timeout: 10) { [1, 2, 3] }, [1, 2, 3])
    }

    func testCrashInTheChildIsAnError() {
        XCTAssertThrowsError(try HDF5Isolation.run(timeout: 10) { raise(SIGSEGV); return [] }) { e in
            XCTAssertEqual("\(e)", "libhdf5 crashed (signal 11) reading the HDF5 data: the file is damaged")
        }
    }

    func testHangInTheChildIsKilledAtTheDeadline() {
        let start = Date()
        XCTAssertThrowsError(try HDF5Isolation.run(timeout: 0.5) { sleep(30); return [] }) { e in
            XCTAssertEqual("\(e)", "libhdf5 did not finish reading the HDF5 data within 0.5 s (a damaged file)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testErrorsKeepTheirMessage() {
        XCTAssertThrowsError(try HDF5Isolation.run(timeout: 10) { throw HDF5Error("no group layers/x") }) { e in
            XCTAssertEqual("\(e)", "no group layers/x")
            XCTAssertTrue(e is HDF5Error)
        }
    }

    /// A truncated HDF5 image is refused from its superblock before libhdf5 sees it (the superblock's
    /// end-of-file address is beyond the bytes present).
    func testTruncatedImageIsRefusedFromTheSuperblock() throws {
        let file = try HDF5File.create()
        try file.root().write("x", float32: [1, 2, 3], shape: [3])
        let image = try file.image()
        XCTAssertNoThrow(try HDF5File.open(image: image))
        XCTAssertThrowsError(try HDF5File.open(image: Array(image.dropLast()))) { e in
            XCTAssertEqual("\(e)", "the file is truncated: it has \(image.count - 1) bytes but its HDF5 superblock says \(image.count)")
        }
    }
}
