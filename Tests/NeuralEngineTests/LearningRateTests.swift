import Foundation
import XCTest
@testable import NeuralEngine

final class LearningRateTests: XCTestCase {
    // SGD lr0 0.1, decay 0.01, 100 updates per epoch: update t uses 0.1 / (1 + 0.01 t).
    func testLegacyDecayPerUpdate() throws {
        let sgd = SGD(learningRate: 0.1, decay: 0.01)
        XCTAssertEqual(sgd.learningRate(atUpdate: 299), 0.0250627, accuracy: 5e-8)
        XCTAssertEqual(sgd.learningRate(atUpdate: 300), 0.025, accuracy: 1e-15)

        let model = try makeModel(learningRate: 0.1, decay: 0.01)
        let rec = BatchRecorder()
        try model.fit(try regressionData(100), batchSize: 1, epochs: 4, callbacks: [rec])
        XCTAssertEqual(rec.batchLogs.count, 400)
        let byUpdate = Dictionary(uniqueKeysWithValues: rec.batchLogs.map { ($0.epoch * 100 + $0.batch, $0.logs) })
        XCTAssertEqual(byUpdate[299]?[LogKey.learningRate] ?? 0, 0.0250627, accuracy: 5e-8)
        XCTAssertEqual(byUpdate[300]?[LogKey.learningRate] ?? 0, 0.025, accuracy: 1e-15)
        XCTAssertEqual(byUpdate[0]?[LogKey.learningRate], 0.1)
        XCTAssertEqual(model.optimizer?.iterations, 400)
    }

    /// Simulates the fit loop: the rate "used in epoch e" is read before onEpochEnd(e).
    private func plateauRates(minLR: Double, epochs: Int = 8) throws -> ([Double], ReduceLROnPlateau) {
        let model = try makeModel(learningRate: 0.1)
        let cb = try ReduceLROnPlateau(factor: 0.1, patience: 2, minDelta: 1e-4, cooldown: 0, minLR: minLR)
        cb.setModel(model)
        cb.onTrainBegin(logs: [:])
        var used: [Double] = []
        for e in 0..<epochs {
            cb.onEpochBegin(e, logs: [:])
            used.append(model.optimizer?.learningRate ?? .nan)
            var logs: Logs = [LogKey.valLoss: 1.0]
            cb.onEpochEnd(e, logs: &logs)
            XCTAssertNil(logs[LogKey.learningRate], "callbacks do not write learning_rate")
        }
        return (used, cb)
    }

    func testReduceLROnPlateau() throws {
        let (used, cb) = try plateauRates(minLR: 0)
        let expected = [0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 1e-4]
        for (u, x) in zip(used, expected) { assertRelativelyEqual(u, x, 1e-12) }
        XCTAssertEqual(used.count, 8)
        XCTAssertEqual(cb.reductions.map(\.epoch), [2, 4, 6])
        assertRelativelyEqual(cb.reductions[0].oldRate, 0.1, 1e-12)
        assertRelativelyEqual(cb.reductions[0].newRate, 0.01, 1e-12)
        XCTAssertEqual(cb.messages.count, 3)
    }

    func testReduceLROnPlateauFloorsAtMinLR() throws {
        let (used, cb) = try plateauRates(minLR: 0.005, epochs: 10)
        let expected = [0.1, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005]
        for (u, x) in zip(used, expected) { assertRelativelyEqual(u, x, 1e-12) }
        XCTAssertEqual(cb.reductions.count, 2, "no reduction once the rate is at min_lr")
    }

    func testReduceLROnPlateauCooldownAndImprovement() throws {
        let model = try makeModel(learningRate: 1)
        let cb = try ReduceLROnPlateau(factor: 0.5, patience: 1, minDelta: 0, cooldown: 2)
        let values = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
        try drive([cb], model: model, epochLogs: valLossLogs(values))
        // Keras order: the cooldown counter is decremented before the improvement test, so with cooldown 2 only one
        // epoch is skipped. e0 best; e1 wait 1 -> reduce, cooldown 2; e2 cooldown 1, skipped; e3 cooldown 0, wait 1
        // -> reduce, cooldown 2; e4 cooldown 1; e5 cooldown 0, improves (best 0.5); e6 wait 1 -> reduce.
        XCTAssertEqual(cb.reductions.map(\.epoch), [1, 3, 6])
        XCTAssertEqual(model.optimizer?.learningRate, 0.125)
        XCTAssertEqual(cb.best, 0.5)
    }

    func testReduceLROnPlateauRejectsBadArguments() {
        XCTAssertThrowsError(try ReduceLROnPlateau(factor: 1.0))
        XCTAssertThrowsError(try ReduceLROnPlateau(factor: 0))
        XCTAssertThrowsError(try ReduceLROnPlateau(patience: -1))
        XCTAssertThrowsError(try ReduceLROnPlateau(minLR: .nan))
    }

    func testSchedulerInRealFit() throws {
        let model = try makeModel(learningRate: 0.1)
        let sched = LearningRateScheduler { epoch, lr in epoch == 0 ? lr : lr * 0.5 }
        let history = try model.fit(try regressionData(8), batchSize: 4, epochs: 4, callbacks: [sched])
        XCTAssertEqual(history[LogKey.learningRate], [0.1, 0.05, 0.025, 0.0125])
        XCTAssertEqual(sched.applied.map(\.epoch), [0, 1, 2, 3])
    }

    func testSchedulerWithStepDecayValueType() throws {
        let model = try makeModel(learningRate: 0.2)
        let sched = LearningRateScheduler(try StepDecay(drop: 0.5, epochsDrop: 2))
        let history = try model.fit(try regressionData(8), batchSize: 8, epochs: 5, callbacks: [sched])
        // lr0 · 0.5^floor(e/2): e0 0.2, e1 0.2, e2 0.1, e3 0.1, e4 0.05
        XCTAssertEqual(history[LogKey.learningRate], [0.2, 0.2, 0.1, 0.1, 0.05])
    }

    func testSchedulerRejectsNonFiniteRates() throws {
        let model = try makeModel(learningRate: 0.1)
        let sched = LearningRateScheduler { epoch, lr in epoch == 1 ? .nan : (epoch == 2 ? -.infinity : lr) }
        let history = try model.fit(try regressionData(8), batchSize: 8, epochs: 3, callbacks: [sched])
        XCTAssertEqual(history[LogKey.learningRate], [0.1, 0.1, 0.1])
        XCTAssertEqual(sched.warnings.count, 2)
        XCTAssertTrue(sched.warnings[0].contains("nan"), sched.warnings[0])
    }
}
