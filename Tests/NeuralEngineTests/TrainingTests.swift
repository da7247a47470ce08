import XCTest
@testable import NeuralEngine

final class TrainingTests: XCTestCase {
    /// Two Gaussian blobs per class on a ring: learnable by a small MLP, not by a linear model alone.
    func spiralData(n: Int, seed: UInt64) throws -> Dataset {
        var g = SeededGenerator(seed: seed)
        var x: [Float] = [], labels: [Int32] = []
        for i in 0..<n {
            let c = i % 3
            let r = g.nextUnitDouble()
            let t = Double(c) * 2.1 + r * 3 + g.nextNormal() * 0.15
            x += [Float(r * cos(t)), Float(r * sin(t))]
            labels.append(Int32(c))
        }
        return try Dataset(features: .floats(x), featureCount: 2, targets: .classes(labels, classCount: 3))
    }

    func makeModel(seed: UInt64) -> Sequential {
        let m = Sequential([Dense(32, activation: .relu, kernelInitializer: .heUniform), Dropout(0.1),
                            Dense(32, activation: .relu), Dense(3, activation: .softmax)], seed: seed)
        m.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.8, decay: 0.0016), loss: .categoricalCrossentropy)
        return m
    }

    func testFitLearnsAndValidationIsReported() throws {
        let train = try spiralData(n: 1500, seed: 1), val = try spiralData(n: 300, seed: 2)
        let m = makeModel(seed: 1)
        let h = try m.fit(train, batchSize: 32, epochs: 30, validationData: val)
        XCTAssertEqual(h.epochs, Array(0..<30))
        let loss = h["loss"], acc = h["val_accuracy"]
        XCTAssertEqual(loss.count, 30)
        XCTAssertLessThan(loss.last!, loss.first! * 0.5, "training loss should fall by half")
        XCTAssertGreaterThan(acc.last!, 0.9, "the spiral is learnable")
        XCTAssertEqual(Set(h.history.keys), ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"])
        // learning_rate is the rate of the epoch's last update: 0.1 / (1 + 0.0016 * (47 * (e + 1) - 1)).
        XCTAssertEqual(h["learning_rate"][0], 0.1 / (1 + 0.0016 * 46), accuracy: 1e-12)
        let ev = try m.evaluate(val, batchSize: 64)
        XCTAssertEqual(ev["loss"]!, h["val_loss"].last!, accuracy: 1e-9, "evaluate matches the last validation")
    }

    func testSameSeedSameHistoryDifferentSeedDifferent() throws {
        let train = try spiralData(n: 400, seed: 3)
        let a = try makeModel(seed: 9).fit(train, batchSize: 16, epochs: 3, validationSplit: 0.25)
        let b = try makeModel(seed: 9).fit(train, batchSize: 16, epochs: 3, validationSplit: 0.25)
        let c = try makeModel(seed: 10).fit(train, batchSize: 16, epochs: 3, validationSplit: 0.25)
        XCTAssertEqual(a.history["loss"], b.history["loss"])
        XCTAssertEqual(a.history["val_loss"], b.history["val_loss"])
        XCTAssertNotEqual(a.history["loss"], c.history["loss"])
    }

    func testRegressionWithMSE() throws {
        // y = 2 x0 - 3 x1 + 0.5
        var g = SeededGenerator(seed: 4)
        let x = Matrix(rows: 256, cols: 2, storage: (0..<512).map { _ in Float(g.nextUnitDouble() * 2 - 1) })
        var y = Matrix(rows: 256, cols: 1)
        for r in 0..<256 { y[r, 0] = 2 * x[r, 0] - 3 * x[r, 1] + 0.5 }
        let m = Sequential([Dense(1, inputDim: 2)], seed: 1)
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .meanSquaredError)
        let h = try m.fit(try Dataset(x: x, y: y), batchSize: 32, epochs: 60)
        XCTAssertLessThan(h["loss"].last!, 1e-4)
        XCTAssertNotNil(h.history["mae"])
        let w = m.getWeights()
        XCTAssertEqual(w[0][0, 0], 2, accuracy: 0.01)
        XCTAssertEqual(w[0][1, 0], -3, accuracy: 0.01)
        XCTAssertEqual(w[1][0, 0], 0.5, accuracy: 0.01)
        let p = try m.predict(Matrix([[1, 1]]))
        XCTAssertEqual(p[0, 0], -0.5, accuracy: 0.02)
    }

    func testInitialEpochAndValidationSplitTakesTheTail() throws {
        let data = try spiralData(n: 100, seed: 5)
        let m = makeModel(seed: 2)
        let h = try m.fit(data, batchSize: 10, epochs: 5, validationSplit: 0.2, initialEpoch: 3)
        XCTAssertEqual(h.epochs, [3, 4])
        // The held-out tail is the last 20 samples, evaluated in inference mode.
        let tail = data.subset(Array(80..<100))
        XCTAssertEqual(try m.evaluate(tail, batchSize: 10)["loss"]!, h["val_loss"].last!, accuracy: 1e-9)
    }

    func testBadInputsThrowClearErrors() throws {
        let data = try spiralData(n: 10, seed: 6)
        let m = Sequential([Dense(3, activation: .softmax)])
        XCTAssertThrowsError(try m.fit(data)) { XCTAssertEqual($0 as? ModelError, .notCompiled) }
        m.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        XCTAssertThrowsError(try m.fit(data, batchSize: 0))
        XCTAssertThrowsError(try m.fit(data, validationSplit: 1.5))
        let wrong = Sequential([Dense(4, activation: .softmax)])
        wrong.compile(optimizer: SGD(), loss: .categoricalCrossentropy)
        XCTAssertThrowsError(try wrong.fit(data)) { XCTAssertEqual($0 as? ModelError, .targetMismatch(expected: 4, got: 3)) }
        try m.build(inputUnits: 2)
        XCTAssertThrowsError(try m.setWeights([])) { XCTAssertEqual($0 as? ModelError, .weightCount(expected: 2, got: 0)) }
    }

    func testSaveAndLoadRoundTrip() throws {
        let data = try spiralData(n: 64, seed: 7)
        let m = makeModel(seed: 3)
        try m.fit(data, batchSize: 16, epochs: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.tbmodel").path
        try m.save(to: path, metadata: ModelMetadata(epoch: 0, reason: "test"))
        let (loaded, meta) = try Sequential.load(from: path)
        XCTAssertEqual(meta.epoch, 0)
        XCTAssertEqual(loaded.getWeights(), m.getWeights())
        XCTAssertEqual(loaded.layers.map(\.className), ["Dense", "Dropout", "Dense", "Dense"])
        let x = Matrix([[0.1, 0.2]])
        XCTAssertEqual(try loaded.predict(x), try m.predict(x))
        // A diverged model is still saved (NaN and infinities survive the round trip).
        var w = m.getWeights()
        w[0].storage[0] = .nan
        w[0].storage[1] = .infinity
        try m.setWeights(w)
        try m.save(to: path, metadata: ModelMetadata(epoch: 1, logs: ["loss": .nan]))
        let (diverged, meta2) = try Sequential.load(from: path)
        XCTAssertTrue(diverged.getWeights()[0].storage[0].isNaN)
        XCTAssertEqual(diverged.getWeights()[0].storage[1], .infinity)
        XCTAssertTrue(meta2.logs?["loss"]?.isNaN ?? false)
        try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Sequential.load(from: path)) { XCTAssertTrue("\($0)".contains(path)) }
    }
}
