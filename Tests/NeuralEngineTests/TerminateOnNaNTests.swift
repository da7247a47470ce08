import XCTest
@testable import NeuralEngine

/// Sets every weight to `value` just before batch `batch` of epoch `epoch`.
private final class Poison: Callback {
    let epochIndex: Int, batchIndex: Int, value: Float
    var epoch = -1
    init(epoch: Int, batch: Int, value: Float) { epochIndex = epoch; batchIndex = batch; self.value = value }
    override func onEpochBegin(_ epoch: Int, logs: Logs) { self.epoch = epoch }
    override func onTrainBatchBegin(_ batch: Int, logs: Logs) {
        guard epoch == epochIndex, batch == batchIndex, let model else { return }
        try? model.setWeights(constantWeights(model, value))
    }
}

final class TerminateOnNaNTests: XCTestCase {
    private func run(poison value: Float) throws -> (TerminateOnNaN, BatchRecorder, History) {
        let model = try makeModel(learningRate: 0.01)
        let data = try regressionData(10)   // batch 2 -> 5 batches per epoch
        let term = TerminateOnNaN()
        let rec = BatchRecorder()
        let history = try model.fit(data, batchSize: 2, epochs: 4, shuffle: false,
                                    callbacks: [Poison(epoch: 1, batch: 2, value: value), term, rec])
        return (term, rec, history)
    }

    func testNaNLossStopsAtThatBatch() throws {
        let (term, rec, history) = try run(poison: .nan)
        XCTAssertEqual(term.terminatedAtBatch, 2)
        XCTAssertEqual(term.terminatedAtEpoch, 1)
        XCTAssertEqual(term.messages.map(\.text), ["Batch 2: Invalid loss, terminating training"])
        XCTAssertEqual(rec.begins.count, 5 + 3)
        XCTAssertEqual(rec.begins.last?.epoch, 1)
        XCTAssertEqual(rec.begins.last?.batch, 2)
        XCTAssertTrue(rec.batchLogs.last?.logs["batch_loss"]?.isNaN ?? false)
        XCTAssertEqual(history.epochs, [0, 1])
    }

    func testInfiniteLossStopsAtThatBatch() throws {
        let (term, rec, history) = try run(poison: .infinity)
        XCTAssertEqual(term.terminatedAtBatch, 2)
        XCTAssertEqual(term.terminatedAtEpoch, 1)
        XCTAssertEqual(term.messages.count, 1)
        XCTAssertEqual(rec.begins.count, 8)
        XCTAssertEqual(rec.batchLogs.last?.logs["batch_loss"], .infinity)
        XCTAssertEqual(history.epochs, [0, 1])
    }

    func testHealthyTrainingRunsToTheEnd() throws {
        let model = try makeModel(learningRate: 0.01)
        let term = TerminateOnNaN()
        let history = try model.fit(try regressionData(10), batchSize: 5, epochs: 3, callbacks: [term])
        XCTAssertNil(term.terminatedAtBatch)
        XCTAssertTrue(term.messages.isEmpty)
        XCTAssertEqual(history.epochs, [0, 1, 2])
    }
}
