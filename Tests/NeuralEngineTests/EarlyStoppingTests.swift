import XCTest
@testable import NeuralEngine

final class EarlyStoppingTests: XCTestCase {
    func testRestoresBestWeightsWhenRunReachesEpochs() throws {
        let model = try makeModel()
        let es = EarlyStopping(patience: 3, restoreBestWeights: true)
        let ran = try drive([es], model: model, epochLogs: valLossLogs([0.50, 0.40, 0.45, 0.38, 0.39, 0.41]))
        XCTAssertEqual(ran, [0, 1, 2, 3, 4, 5])
        XCTAssertFalse(model.stopTraining)
        XCTAssertNil(es.stoppedEpoch)
        XCTAssertEqual(es.bestEpoch, 3)
        XCTAssertEqual(es.bestValue, 0.38)
        XCTAssertEqual(es.wait, 2)
        XCTAssertEqual(es.patienceLeft, 1)
        XCTAssertTrue(es.restoredBestWeights)
        XCTAssertEqual(uniformWeight(model), 3)
    }

    func testPatienceZeroStopsAtFirstNonImprovement() throws {
        let model = try makeModel()
        let es = EarlyStopping(patience: 0)
        let ran = try drive([es], model: model, epochLogs: valLossLogs([0.50, 0.40, 0.30, 0.35, 0.20]))
        XCTAssertEqual(ran, [0, 1, 2, 3])
        XCTAssertEqual(es.stoppedEpoch, 3)
        XCTAssertEqual(es.bestEpoch, 2)
        XCTAssertEqual(uniformWeight(model), 3, "no restore without restoreBestWeights")
        XCTAssertEqual(es.messages.map(\.text), ["Epoch 4: early stopping"])
    }

    func testNaNIsNeverAnImprovementWithCheckpoint() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try makeModel()
        let es = EarlyStopping(patience: 2, restoreBestWeights: true)
        let ckpt = try ModelCheckpoint(filepath: dir + "/ckpt-{epoch:02d}.keras", saveBestOnly: true)
        let ran = try drive([ckpt, es], model: model, epochLogs: valLossLogs([0.50, 0.40, .nan, .nan, .nan]))
        XCTAssertEqual(ran, [0, 1, 2, 3])
        XCTAssertEqual(ckpt.saved.map(\.epoch), [0, 1])
        XCTAssertEqual(ckpt.lastSavedEpoch, 1)
        XCTAssertEqual(ckpt.lastSavedPath, dir + "/ckpt-02.keras")
        XCTAssertEqual(ckpt.bestValue, 0.40)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["ckpt-01.keras", "ckpt-02.keras"])
        let (loaded, meta) = try Sequential.load(from: dir + "/ckpt-02.keras")
        XCTAssertEqual(uniformWeight(loaded), 1)
        XCTAssertEqual(meta.epoch, 1)
        XCTAssertEqual(meta.logs?[LogKey.valLoss], 0.40)
        XCTAssertEqual(es.stoppedEpoch, 3)
        XCTAssertEqual(es.bestEpoch, 1)
        XCTAssertEqual(uniformWeight(model), 1)
    }

    func testNaNOnFirstEpochIsNotBest() throws {
        let model = try makeModel()
        let es = EarlyStopping(patience: 5, restoreBestWeights: true)
        try drive([es], model: model, epochLogs: valLossLogs([.nan, 0.5, 0.6]))
        XCTAssertEqual(es.bestEpoch, 1)
        XCTAssertEqual(es.bestValue, 0.5)
        XCTAssertEqual(uniformWeight(model), 1)
    }

    func testBaselineMustBeBeaten() throws {
        let model = try makeModel()
        let es = EarlyStopping(patience: 2, baseline: 0.4)
        let ran = try drive([es], model: model, epochLogs: valLossLogs([0.5, 0.6, 0.7, 0.3]))
        XCTAssertEqual(ran, [0, 1])
        XCTAssertEqual(es.stoppedEpoch, 1)
    }

    func testStartFromEpochAndMaxMode() throws {
        let model = try makeModel()
        let es = EarlyStopping(monitor: "val_accuracy", patience: 1, startFromEpoch: 2)
        XCTAssertEqual(es.direction, .maximize)
        let logs: [Logs] = [0.9, 0.1, 0.5, 0.6, 0.55, 0.5].map { ["val_accuracy": $0] }
        let ran = try drive([es], model: model, epochLogs: logs)
        XCTAssertEqual(ran, [0, 1, 2, 3, 4])
        XCTAssertEqual(es.bestEpoch, 3)
        XCTAssertEqual(es.stoppedEpoch, 4)
    }

    /// A monitor missing from the logs ends training at the first epoch end with the logged keys listed (Keras
    /// only warned, every epoch, and the callback never acted). Also during the start-from-epoch warm-up.
    func testMissingMonitorThrowsAtFirstEpochEnd() throws {
        let model = try makeModel()
        for es in [EarlyStopping(patience: 0), EarlyStopping(patience: 0, startFromEpoch: 5)] {
            let probe = EpochProbe()
            XCTAssertThrowsError(try drive([es, probe], model: model,
                                           epochLogs: [[LogKey.loss: 1, LogKey.learningRate: 0.1], [LogKey.loss: 2]])) {
                XCTAssertEqual($0 as? MonitorError,
                               .unavailable(callback: "EarlyStopping", monitor: "val_loss", available: ["learning_rate", "loss"]))
            }
            XCTAssertEqual(probe.ended, [], "callbacks after the one that raised are skipped")
            XCTAssertEqual(probe.begun, [0], "no second epoch")
            XCTAssertFalse(probe.trainEnded, "onTrainEnd is not called, as in Keras")
            XCTAssertEqual(es.warnings, [])
        }
    }
}
