import CBLAS
import Foundation
import XCTest
@testable import NeuralEngine

/// Data-parallel training steps (issue 6, item 12): the batch is cut in two halves that run forward and backward on
/// two threads with one-thread BLAS, then the kernel gradients are computed over the whole batch in row chunks shared
/// by the threads, each updated right away. Checked against the one-thread step, which the Keras reference tests
/// cover: only the GEMMs' blocking differs, so values agree to float rounding.
final class DataParallelTests: XCTestCase {
    /// 10-class data: 3 Gaussian-ish features per class centre, `n` samples, one-hot targets.
    private func classData(_ n: Int, features: Int = 12, seed: UInt64 = 4) throws -> Dataset {
        var g = SeededGenerator(seed: seed)
        var x: [Float] = [], y = [Float](repeating: 0, count: n * 10)
        for i in 0..<n {
            let c = i % 10
            for j in 0..<features { x.append(Float(j % 10 == c ? 1 : 0) + g.nextUnitFloat() - 0.5) }
            y[i * 10 + c] = 1
        }
        return try Dataset(x: Matrix(rows: n, cols: features, storage: x), y: Matrix(rows: n, cols: 10, storage: y))
    }

    private func makeModel(_ parallelism: Sequential.Parallelism, optimizer: Optimizer) -> Sequential {
        let m = Sequential([Dense(24, activation: .relu, inputDim: 12), Dropout(0.2), Dense(16, activation: .tanh),
                            Dropout(0.1), Dense(10, activation: .softmax)], seed: 9)
        m.compile(optimizer: optimizer, loss: .categoricalCrossentropy)
        m.parallelism = parallelism
        return m
    }

    private func bits(_ m: Sequential) -> [[UInt32]] { m.getWeights().map { $0.storage.map(\.bitPattern) } }

    /// Batches of 64 (halves of 32, and a last batch of 41 samples: 32 + 9, also data-parallel) and 37 (odd halves of
    /// 19 and 18, and a last batch of 11 samples, fewer than a half: one thread): after 3 epochs with dropout and
    /// shuffling, every weight of the data-parallel run is within 2e-6 of the one-thread run's, the epoch logs
    /// (loss, accuracy: means over the whole batch, as Keras; val_loss and val_accuracy, validated in halves too, on
    /// 45 samples: a last validation batch of 45 - 37 = 8 rows, split 4 + 4) within 1e-6, and the dropout stream has
    /// made exactly the same draws (the masks are the same).
    func testDataParallelStepsMatchTheOneThreadSteps() throws {
        let data = try classData(233)
        for batch in [64, 37] {
            for make in [{ SGD(learningRate: 0.1, momentum: 0.8) as Optimizer }, { Adam(learningRate: 0.01) }] {
                let serial = makeModel(.serial, optimizer: make()), parallel = makeModel(.dataParallel, optimizer: make())
                let validation = try classData(45, seed: 11)
                let hs = try serial.fit(data, batchSize: batch, epochs: 3, validationData: validation)
                let hp = try parallel.fit(data, batchSize: batch, epochs: 3, validationData: validation)
                for (ws, wp) in zip(serial.getWeights(), parallel.getWeights()) {
                    for (a, b) in zip(ws.storage, wp.storage) { XCTAssertEqual(a, b, accuracy: 2e-6, "batch \(batch)") }
                }
                let initial = makeModel(.serial, optimizer: make())
                try initial.build(inputUnits: 12)
                XCTAssertNotEqual(bits(parallel), bits(initial), "the weights moved")
                for key in ["loss", "accuracy", "val_loss", "val_accuracy"] {
                    let s = try XCTUnwrap(hs.history[key]), p = try XCTUnwrap(hp.history[key])
                    XCTAssertEqual(s.count, 3)
                    for (a, b) in zip(s, p) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(key), batch \(batch)") }
                }
                XCTAssertEqual(serial.dropoutRNG.state, parallel.dropoutRNG.state, "the same dropout draws")
                XCTAssertEqual(serial.optimizer?.iterations, parallel.optimizer?.iterations)
            }
        }
    }

    /// Two data-parallel runs give the same weights bit for bit (which thread runs which half changes nothing), and
    /// a run stopped mid-epoch and resumed from its `.keras` checkpoint ends with the weights of one that never
    /// stopped.
    func testDataParallelRunsAreReproducibleAndResumeExactly() throws {
        let data = try classData(200)
        let a = makeModel(.dataParallel, optimizer: Adam(learningRate: 0.01))
        let b = makeModel(.dataParallel, optimizer: Adam(learningRate: 0.01))
        try a.fit(data, batchSize: 64, epochs: 3)
        try b.fit(data, batchSize: 64, epochs: 3)
        XCTAssertEqual(bits(a), bits(b))

        final class StopAndSave: Callback {
            let path: String
            init(path: String) { self.path = path }
            override func onTrainBatchEnd(_ b: Int, logs: Logs) {
                guard let model, model.currentEpoch == 1, b == 1 else { return }
                try? model.save(to: path)
                model.stopTraining = true
            }
        }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/stop.keras"
        try makeModel(.dataParallel, optimizer: Adam(learningRate: 0.01)).fit(data, batchSize: 64, epochs: 3,
                                                                              callbacks: [StopAndSave(path: path)])
        let (model, state) = try ModelFile.read(path).makeResumableModel(optimizer: Adam(learningRate: 0.01),
                                                                         loss: .categoricalCrossentropy)
        model.parallelism = .dataParallel
        try model.fit(data, batchSize: 64, epochs: 3, resume: state)
        XCTAssertEqual(bits(model), bits(a))
    }

    /// The rule: data-parallel by default only with a second core and batches of at least 8, whatever the model's
    /// size; `fit` gives BLAS its thread count back afterwards.
    func testTheDefaultRuleAndTheBLASThreadCount() throws {
        let m = makeModel(.automatic, optimizer: SGD())
        try m.build(inputUnits: 12)
        let twoCores = ChunkPool.mayUseSecondCore
        XCTAssertEqual(m.usesDataParallel(batchRows: 128), twoCores)
        // A process given one BLAS thread (a search's fit with --jobs 2: OPENBLAS_NUM_THREADS=1) stays on one core.
        let given = BLASInfo.threads
        tb_blas_set_threads(1)
        XCTAssertFalse(m.usesDataParallel(batchRows: 128))
        XCTAssertFalse(ChunkPool.mayUseSecondCore)
        tb_blas_set_threads(Int32(given))
        XCTAssertEqual(m.usesDataParallel(batchRows: 8), twoCores)
        XCTAssertFalse(m.usesDataParallel(batchRows: 7))
        m.parallelism = .serial
        XCTAssertFalse(m.usesDataParallel(batchRows: 128))
        m.parallelism = .dataParallel
        XCTAssertEqual(m.usesDataParallel(batchRows: 8), twoCores)
        // Small and large models alike (data-parallel 512-512 reached 84 % of the GEMM peak, BLAS's threads 78-83 %).
        func model(_ sizes: [Int]) throws -> Sequential {
            let s = Sequential(zip(sizes.dropFirst(), sizes).map { Dense($0.0, inputDim: $0.1) })
            s.compile(optimizer: SGD(), loss: .meanSquaredError)
            try s.build(inputUnits: sizes[0])
            return s
        }
        XCTAssertEqual(try model([784, 64, 64, 10]).usesDataParallel(batchRows: 128), twoCores)
        XCTAssertEqual(try model([784, 512, 512, 10]).usesDataParallel(batchRows: 128), twoCores)
        XCTAssertEqual(try model([2048, 2048, 1]).usesDataParallel(batchRows: 8), twoCores)
        XCTAssertFalse(try model([2048, 2048, 1]).usesDataParallel(batchRows: 7))
        // The update's kernel chunks: two equal halves of the rows from 128 rows on, else one.
        XCTAssertEqual([784, 512, 128, 127, 64, 10].map { Sequential.kernelChunks(inputs: $0) }, [2, 2, 2, 1, 1, 1])
        let before = BLASInfo.threads
        try m.fit(try classData(130), batchSize: 64, epochs: 1, validationData: try classData(20, seed: 5))
        XCTAssertEqual(BLASInfo.threads, before)
    }
}
