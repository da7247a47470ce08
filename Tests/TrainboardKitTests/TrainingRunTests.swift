import Foundation
import Dashboard
import NeuralEngine
import TrainboardKit
import XCTest

/// Small real runs on Fashion-MNIST through `TrainingRun` (skipped when Debian's dataset-fashion-mnist is missing).
final class TrainingRunTests: XCTestCase {
    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: fashionMNISTDirectory + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST is not installed at \(fashionMNISTDirectory)")
        }
    }

    private func config(samples: Int, epochs: Int, seed: UInt64 = 1) -> RunConfiguration {
        var c = RunConfiguration()
        c.data = "fashion-mnist"
        c.maxSamples = samples
        c.epochs = epochs
        c.seed = seed
        return c
    }

    func testSmallRunWritesCSVAndCheckpoint() throws {
        let dir = try makeTemporaryDirectory(self)
        let csv = dir.appendingPathComponent("log.csv").path
        let ckpt = dir.appendingPathComponent("model.tbmodel").path
        let jsonl = dir.appendingPathComponent("log.jsonl").path
        var c = config(samples: 2000, epochs: 2)
        c.csvLog = csv
        c.checkpoint = ckpt
        c.logJsonl = jsonl
        c.earlyStopping = "patience=5"
        let run = try TrainingRun.prepare(try TrainingPlan(c))
        XCTAssertEqual(run.train.count, 2000)
        XCTAssertEqual(run.validation?.count, 2000)
        XCTAssertEqual(run.train.featureCount, 784)
        XCTAssertEqual(run.outputUnits, 10)
        XCTAssertEqual(run.stepsPerEpoch, 16)   // ceil(2000 / 128)
        XCTAssertEqual(run.previewImages().map(\.label), Array(0..<10))

        let outcome = try run.execute()
        XCTAssertEqual(outcome.epochs, [0, 1])
        XCTAssertEqual(outcome.reason, "completed 2 epochs")
        XCTAssertEqual(Set(outcome.history.keys), ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"])
        for (k, v) in outcome.history {
            XCTAssertEqual(v.count, 2, k)
            XCTAssertTrue(v.allSatisfy(\.isFinite), k)
        }
        // Learning better than chance (10 classes) after two epochs on 2000 samples.
        XCTAssertGreaterThan(outcome.history["val_accuracy"]![1], 0.3)
        XCTAssertLessThan(outcome.history["loss"]![1], outcome.history["loss"]![0])
        // Legacy decay: the rate after 16 updates of epoch 1 and 32 of epoch 2.
        XCTAssertEqual(outcome.history["learning_rate"]![1], 0.1 / (1 + 0.0016 * 31), accuracy: 1e-6)
        XCTAssertEqual(outcome.samplesTrained, 4000)

        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, "\(lines)")   // header, 2 rows, trailing empty
        XCTAssertEqual(lines[0], "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss")
        XCTAssertTrue(lines[1].hasPrefix("0,"))
        XCTAssertTrue(lines[2].hasPrefix("1,"))
        XCTAssertEqual(lines[3], "")
        let row = lines[2].split(separator: ",").dropFirst().map { Double($0)! }
        let keys = ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
        for (i, k) in keys.enumerated() { XCTAssertEqual(row[i], outcome.history[k]![1], k) }

        let jsonLines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(jsonLines.count, 3)
        for l in jsonLines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(l.utf8)), String(l)) }

        XCTAssertTrue(FileManager.default.fileExists(atPath: ckpt))
        let (model, meta) = try Sequential.load(from: ckpt)
        XCTAssertEqual(model.layers.map(\.className), ["Dense", "Dropout", "Dense", "Dense"])
        XCTAssertEqual(model.parameterCount, 55_050)
        XCTAssertEqual(meta.epoch, 1)
        // The saved model predicts as well as the run reported (dropout is off at inference).
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .categoricalCrossentropy)
        let val = try XCTUnwrap(run.validation)
        let logs = try model.evaluate(val, batchSize: 128)
        XCTAssertEqual(logs["accuracy"] ?? -1, outcome.history["val_accuracy"]![1], accuracy: 1e-6)
        XCTAssertEqual(logs["loss"] ?? -1, outcome.history["val_loss"]![1], accuracy: 1e-4)
    }

    func testSameSeedSameHistoryOtherSeedDiffers() throws {
        func history(seed: UInt64) throws -> [String: [Double]] {
            try TrainingRun.prepare(try TrainingPlan(config(samples: 1000, epochs: 2, seed: seed))).execute().history
        }
        let a = try history(seed: 7)
        let b = try history(seed: 7)
        let c = try history(seed: 8)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a["loss"], c["loss"])
        XCTAssertNotEqual(a["val_loss"], c["val_loss"])
    }

    func testPrepareRejectsBadSpecsBeforeLoading() throws {
        var c = config(samples: 10, epochs: 1)
        c.schedule = "bogus:k=1"
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "schedule")
        }
        c = config(samples: 10, epochs: 1)
        c.earlyStopping = "patience=x"
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "early-stopping")
        }
        c = config(samples: 10, epochs: 1)
        c.data = "/nonexistent"
        XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent"), "\(error)")
        }
    }
}

final class OutputPathTests: XCTestCase {
    func testAcceptsNewFilesInNewDirectoriesAndExistingFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertNoThrow(try OutputPath.check(dir.appendingPathComponent("a/b/c.csv").path, key: "csv-log"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a").path))  // nothing created
        let file = dir.appendingPathComponent("old.csv").path
        try "x\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try OutputPath.check(file, key: "csv-log"))
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x\n")                   // not truncated
    }

    func testRejectsDirectoriesAndFilesInThePath() throws {
        let dir = try makeTemporaryDirectory(self)
        let file = dir.appendingPathComponent("plain").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for (path, fragment) in [(dir.path, "is a directory"), (file + "/log.csv", "is not a directory"),
                                 (file + "/deeper/log.csv", "is not a directory"), ("", "empty")] {
            XCTAssertThrowsError(try OutputPath.check(path, key: "log-jsonl"), path) { error in
                guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.key, "log-jsonl")
                if !path.isEmpty { XCTAssertTrue(e.description.contains(path), e.description) }
                XCTAssertTrue(e.description.contains(fragment), e.description)
            }
        }
    }
}

extension TrainingRunTests {
    func testPrepareRejectsUnwritableOutputs() throws {
        let dir = try makeTemporaryDirectory(self)
        let file = dir.appendingPathComponent("plain").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for (key, set) in [("csv-log", { (c: inout RunConfiguration) in c.csvLog = file + "/log.csv" }),
                           ("log-jsonl", { (c: inout RunConfiguration) in c.logJsonl = dir.path }),
                           ("checkpoint", { (c: inout RunConfiguration) in c.checkpoint = file + "/m-{epoch:02d}.tbmodel" })] {
            var c = config(samples: 10, epochs: 1)
            set(&c)
            XCTAssertThrowsError(try TrainingRun.prepare(try TrainingPlan(c)), key) { error in
                XCTAssertEqual((error as? ConfigurationError)?.key, key, "\(error)")
            }
        }
    }

    /// A log that cannot be written once training starts stops the run and is reported as an error, not as a stop
    /// requested by the user.
    func testLogFailureDuringTrainingIsAnError() throws {
        let dir = try makeTemporaryDirectory(self)
        var c = config(samples: 300, epochs: 3)
        c.csvLog = dir.appendingPathComponent("sub/log.csv").path
        let run = try TrainingRun.prepare(try TrainingPlan(c))
        try "x".write(to: dir.appendingPathComponent("sub"), atomically: true, encoding: .utf8)  // now a file
        let outcome = try run.execute()
        XCTAssertEqual(outcome.errors.count, 1)
        XCTAssertTrue(outcome.errors[0].contains("sub/log.csv"), outcome.errors[0])
        XCTAssertTrue(outcome.reason.hasPrefix("stopped by an error after 1 epoch: CSVLogger"), outcome.reason)
        XCTAssertLessThan(outcome.epochs.count, 3)
    }

    func testCSVLogDirectoriesAreCreated() throws {
        let dir = try makeTemporaryDirectory(self)
        var c = config(samples: 300, epochs: 1)
        c.csvLog = dir.appendingPathComponent("new/deeper/log.csv").path
        let outcome = try TrainingRun.prepare(try TrainingPlan(c)).execute()
        XCTAssertEqual(outcome.errors, [])
        XCTAssertEqual(outcome.reason, "completed 1 epoch")
        XCTAssertEqual(try String(contentsOfFile: c.csvLog!, encoding: .utf8).split(separator: "\n").count, 2)
    }
}

extension TrainingRunTests {
    /// A dashboard checkpoint that could not be written (its write ran in the background while training went on)
    /// still reaches the run's final status: the outcome's errors (the CLI exits 1) and its reason.
    func testFailedBackgroundCheckpointIsInTheOutcome() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir.path + "/file", contents: Data()))
        let run = try TrainingRun.prepare(try TrainingPlan(config(samples: 500, epochs: 1)))
        let channel = TrainingChannel()
        channel.send(.checkpoint)  // handled at the first epoch's start
        let bad = dir.path + "/file/manual.tbmodel"
        let outcome = try run.execute(makeChannelCallback: { _ in
            ChannelCallback(channel: channel, epochs: 1, stepsPerEpoch: run.stepsPerEpoch, batchSize: 128,
                            checkpointPath: { _, _, _ in bad })
        })
        XCTAssertEqual(outcome.errors, ["checkpoint failed: \(bad): cannot write model file: \(dir.path)/file is not a directory"])
        XCTAssertEqual(outcome.reason, "completed 1 epoch (1 checkpoint not written)")
        XCTAssertEqual(outcome.epochs, [0], "training went on")
    }
}
