import Dashboard
import Foundation
import NeuralEngine
@testable import TrainboardKit
import XCTest

/// Callbacks tell the dashboard what happened by kind (`CallbackMessage.Kind` -> `TrainingEvent.Kind`); nothing is
/// parsed from the text, and each happening is one event.
final class TypedEventsTests: XCTestCase {
    func testMessageKindsMapToEventKinds() {
        let cases: [(CallbackMessage, TrainingEvent.Kind)] = [
            (CallbackMessage(.info, kind: .checkpointSaved, epoch: 2, "any text", path: "/x"), .checkpoint),
            (CallbackMessage(.info, kind: .learningRateReduced, epoch: 3, "any text", learningRate: 0.01), .plateau),
            (CallbackMessage(.info, kind: .earlyStopping, epoch: 4, "any text"), .earlyStop),
            (CallbackMessage(.error, kind: .invalidLoss, epoch: 1, "any text"), .nan),
            (CallbackMessage(.info, kind: .weightsRestored, epoch: 1, "any text"), .info),
            (CallbackMessage(.info, "warning: looks like a warning but is a note"), .info),
            (CallbackMessage(.warning, "any text"), .warning),
            (CallbackMessage(.error, "Epoch 3: ModelCheckpoint failed"), .error),
        ]
        for (m, kind) in cases {
            let e = TrainingEvent(m, currentEpoch: 7, update: 11, time: 1.5)
            XCTAssertEqual(e.kind, kind, m.text)
            XCTAssertEqual(e.epoch, m.epoch ?? 7, "the message's own epoch, else the current one")
            XCTAssertEqual(e.update, 11)
            XCTAssertEqual(e.message, m.text, "the text is shown as written, without a severity prefix")
        }
    }

    /// A real run with ReduceLROnPlateau and EarlyStopping that cannot improve after the first epoch (min_delta 1e9 on
    /// `loss`; as in Keras the first epoch improves on the initial best, infinity): the plateau cuts at every later
    /// epoch end (patience 0: epochs 2 and 3, 0.1 -> 0.05 -> 0.025) and early stopping after epoch 3 (patience 2)
    /// arrive as one typed event each, with the epoch they are about, and the messages carry the new rate.
    func testPlateauAndEarlyStoppingArriveOnceEachTyped() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionMNISTDirectory), "Fashion-MNIST not installed")
        let dir = try makeTemporaryDirectory(self)
        var c = RunConfiguration()
        c.data = "fashion-mnist"
        c.maxSamples = 256
        c.epochs = 10
        c.batchSize = 128
        c.hidden = "8"
        c.lr = 0.1
        c.decay = 0
        c.reduceLrOnPlateau = "monitor=loss,factor=0.5,patience=0,min-delta=1e9"
        c.earlyStopping = "monitor=loss,patience=2,min-delta=1e9"
        c.csvLog = dir.appendingPathComponent("log.csv").path
        let trainer = InProcessTrainer(run: try TrainingRun.prepare(try TrainingPlan(c)), stamp: "test")
        trainer.start()
        trainer.wait(upTo: 60)
        XCTAssertTrue(trainer.isDone)
        let outcome = try XCTUnwrap(trainer.outcome)
        XCTAssertEqual(outcome.epochs, [0, 1, 2], "EarlyStopping: epoch 1 is the baseline, epochs 2-3 the patience")
        let events = trainer.channel.snapshot().events
        let plateaus = events.filter { $0.kind == .plateau }
        XCTAssertEqual(plateaus.map(\.epoch), [1, 2])
        XCTAssertEqual(plateaus.map(\.message), ["Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05.",
                                                 "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.025."])
        XCTAssertEqual(events.filter { $0.kind == .earlyStop }.map(\.epoch), [2])
        XCTAssertEqual(outcome.messages.filter { $0.kind == .learningRateReduced }.map(\.learningRate), [0.05, 0.025])
    }
}
