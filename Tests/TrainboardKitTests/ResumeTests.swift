import Foundation
import NeuralEngine
import TrainboardKit
import XCTest

/// `trainboard train --resume`: the cases 1, 2 and 4 through `TrainingRun` on a Fashion-MNIST subset
/// (skipped when Debian's dataset-fashion-mnist is missing). Epochs are 0-based.
final class ResumeTests: XCTestCase {
    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: fashionMNISTDirectory + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST is not installed at \(fashionMNISTDirectory)")
        }
    }

    /// Runs `config` as `trainboard train` does (options not given come from the `--resume` checkpoint).
    private func train(_ config: RunConfiguration, extra: [Callback] = []) throws -> RunOutcome {
        let plan = try TrainingPlan(try ResumePlan.fill(config))
        return try TrainingRun.prepare(plan).execute(extraCallbacks: extra)
    }

    /// Every option that changes the computation: dropout, shuffling (always on), momentum, legacy decay,
    /// EarlyStopping (restoring the best weights) and ReduceLROnPlateau with a patience that makes it cut the rate.
    private func fullConfig(epochs: Int, dir: URL, name: String) -> RunConfiguration {
        var c = RunConfiguration()
        c.data = "fashion-mnist"; c.maxSamples = 600; c.epochs = epochs; c.seed = 5
        c.hidden = "24,12"; c.dropout = 0.3; c.batchSize = 50
        c.lr = 0.05; c.momentum = 0.9; c.decay = 0.01
        c.earlyStopping = "patience=4,restore-best-weights"
        c.reduceLrOnPlateau = "patience=1,factor=0.5,min-delta=0.2"
        c.checkpoint = dir.appendingPathComponent("\(name).keras").path
        c.csvLog = dir.appendingPathComponent("\(name).csv").path
        return c
    }

    private func assertSameHistory(_ a: [String: [Double]], _ b: [String: [Double]], file: StaticString = #filePath,
                                   line: UInt = #line) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
        for (k, v) in a {
            let w = b[k] ?? []
            XCTAssertEqual(v.map(\.bitPattern), w.map(\.bitPattern), "\(k): \(v) vs \(w)", file: file, line: line)
        }
    }

    /// Case 1: 6 epochs in one go, and 3 epochs + `--resume` to 6 with the same seed: identical History rows (bit for
    /// bit), bit-identical weights and optimizer state at every later epoch's checkpoint, the same CSV log.
    func testResumeAtEpochBoundaryIsExact() throws {
        let dir = try makeTemporaryDirectory(self)
        let whole = try train(fullConfig(epochs: 6, dir: dir, name: "a"))
        XCTAssertEqual(whole.epochs, [0, 1, 2, 3, 4, 5])
        // The plateau callback really cut the rate (so its state and the optimizer's base rate matter).
        XCTAssertTrue(whole.messages.contains { $0.kind == .learningRateReduced && ($0.epoch ?? 0) >= 3 }, "\(whole.messages)")

        let first = try train(fullConfig(epochs: 3, dir: dir, name: "b"))
        XCTAssertEqual(first.epochs, [0, 1, 2])
        var resume = RunConfiguration()
        resume.resume = dir.appendingPathComponent("b.keras").path
        resume.epochs = 6
        let resumed = try train(resume)
        XCTAssertEqual(resumed.epochs, [0, 1, 2, 3, 4, 5])
        assertSameHistory(whole.history, resumed.history)

        // The last checkpoints (epoch 5): same weights and optimizer slots, bit for bit, and the same state.
        let a = try ModelFile.read(dir.appendingPathComponent("a.keras").path)
        let b = try ModelFile.read(dir.appendingPathComponent("b.keras").path)
        XCTAssertEqual(a.trainingState?.epoch, 5)
        XCTAssertEqual(b.trainingState?.epoch, 5)
        let wa = try a.makeModel().getWeights(), wb = try b.makeModel().getWeights()
        XCTAssertEqual(wa.map { $0.storage.map(\.bitPattern) }, wb.map { $0.storage.map(\.bitPattern) })
        var sa = try XCTUnwrap(a.trainingState), sb = try XCTUnwrap(b.trainingState)
        XCTAssertEqual(sa.iterations, 6 * 12)
        XCTAssertEqual(sa.plan["checkpoint"], a.trainingState?.plan["checkpoint"])
        sa.plan = [:]; sb.plan = [:]
        XCTAssertEqual(sa, sb)
        let ra = try a.makeResumableModel(optimizer: SGD(learningRate: 0.05, momentum: 0.9, decay: 0.01), loss: .categoricalCrossentropy)
        let rb = try b.makeResumableModel(optimizer: SGD(learningRate: 0.05, momentum: 0.9, decay: 0.01), loss: .categoricalCrossentropy)
        XCTAssertEqual(ra.model.snapshot().encodedSlots, rb.model.snapshot().encodedSlots)
        // The CSV log continued in place: the same bytes as the run in one go.
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("a.csv"), encoding: .utf8),
                       try String(contentsOf: dir.appendingPathComponent("b.csv"), encoding: .utf8))
    }

    /// Records the learning rate of the first update of every epoch.
    private final class FirstRates: Callback {
        var rates: [Int: Double] = [:]
        var epoch = 0
        override func onEpochBegin(_ epoch: Int, logs: Logs) { self.epoch = epoch }
        override func onTrainBatchEnd(_ batch: Int, logs: Logs) {
            if batch == 0 { rates[epoch] = logs[LogKey.learningRate] }
        }
    }

    private func decayConfig(dir: URL, epochs: Int) -> RunConfiguration {
        var c = RunConfiguration()
        c.data = "fashion-mnist"; c.maxSamples = 1000; c.batchSize = 10   // 100 updates per epoch
        c.hidden = "8"; c.dropout = 0; c.optimizer = "sgd"; c.momentum = 0; c.lr = 0.1; c.decay = 0.01
        c.epochs = epochs
        c.checkpoint = dir.appendingPathComponent("d.keras").path
        return c
    }

    /// Case 2: SGD lr0 0.1, decay 0.01, 100 updates per epoch, stopped after 3 epochs and resumed: the first update
    /// after the resume uses 0.1 / (1 + 0.01 * 300) = 0.025, not 0.1 (the update count is restored).
    func testLegacyDecayContinuesAfterResume() throws {
        let dir = try makeTemporaryDirectory(self)
        _ = try train(decayConfig(dir: dir, epochs: 3))
        var resume = RunConfiguration()
        resume.resume = dir.appendingPathComponent("d.keras").path
        resume.epochs = 4
        let probe = FirstRates()
        let outcome = try train(resume, extra: [probe])
        XCTAssertEqual(outcome.epochs, [0, 1, 2, 3])
        XCTAssertEqual(try XCTUnwrap(probe.rates[3]), 0.025, accuracy: 1e-15)
        XCTAssertNil(probe.rates[2])
    }

    /// Case 2 with `--schedule exp:k=0.1` (no decay): the resumed epoch 3 uses 0.1 * e^-0.3 = 0.0740818 (e^-0.3 =
    /// 0.74081822068...), both when the schedule ran from the start and when it is added at the resume.
    func testScheduleContinuesAfterResume() throws {
        for addedAtResume in [false, true] {
            let dir = try makeTemporaryDirectory(self)
            var c = decayConfig(dir: dir, epochs: 3)
            c.decay = 0
            if !addedAtResume { c.schedule = "exp:k=0.1" }
            _ = try train(c)
            var resume = RunConfiguration()
            resume.resume = dir.appendingPathComponent("d.keras").path
            resume.epochs = 4
            if addedAtResume { resume.schedule = "exp:k=0.1" }
            let probe = FirstRates()
            _ = try train(resume, extra: [probe])
            XCTAssertEqual(try XCTUnwrap(probe.rates[3]), 0.0740818, accuracy: 5e-8, "added at resume: \(addedAtResume)")
            XCTAssertEqual(try XCTUnwrap(probe.rates[3]), 0.1 * exp(-0.3), accuracy: 1e-15)
        }
    }

    /// Case 4: a CSV log across a resume: 3 epochs, stop, resume for 2 more: one header and rows 0-4 in order.
    func testCSVLogContinuesAcrossResume() throws {
        let dir = try makeTemporaryDirectory(self)
        var c = decayConfig(dir: dir, epochs: 3)
        c.maxSamples = 200
        c.csvLog = dir.appendingPathComponent("log.csv").path
        _ = try train(c)
        var resume = RunConfiguration()
        resume.resume = dir.appendingPathComponent("d.keras").path
        resume.epochs = 5
        _ = try train(resume)
        let lines = try String(contentsOf: dir.appendingPathComponent("log.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, "\(lines)")
        XCTAssertEqual(lines[0], "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss")
        XCTAssertEqual(lines.filter { $0.hasPrefix("epoch") }.count, 1)
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: ",")[0] }, ["0", "1", "2", "3", "4"])
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.split(separator: ",").count == 6 }, "\(lines)")
    }

    /// Options that define the saved state must stay: a different one is a `ConfigurationError` naming it (exit 2);
    /// `--epochs` must leave something to run.
    func testMismatchedOptionsAreNamed() throws {
        let dir = try makeTemporaryDirectory(self)
        var c = decayConfig(dir: dir, epochs: 1)
        c.maxSamples = 100
        _ = try train(c)
        let path = dir.appendingPathComponent("d.keras").path
        for (key, change) in [("hidden", { (c: inout RunConfiguration) in c.hidden = "9" }),
                              ("batch-size", { $0.batchSize = 20 }), ("seed", { $0.seed = 9 }),
                              ("optimizer", { $0.optimizer = "adam" }), ("max-samples", { $0.maxSamples = 99 }),
                              ("epochs", { $0.epochs = 1 })] {
            var r = RunConfiguration()
            r.resume = path
            change(&r)
            XCTAssertThrowsError(try train(r), key) { error in
                XCTAssertEqual((error as? ConfigurationError)?.key, key, "\(error)")
            }
        }
        var r = RunConfiguration()
        r.resume = path
        r.from = path
        XCTAssertThrowsError(try train(r)) { XCTAssertEqual(($0 as? ConfigurationError)?.key, "resume") }
    }
}

extension ModelSnapshot {
    /// The optimizer's slots as the `.tbmodel` JSON holds them (for bit-exact comparison).
    var encodedSlots: String {
        guard let data = try? encoded() else { return "" }
        let text = String(decoding: data, as: UTF8.self)
        guard let r = text.range(of: "\"optimizerSlots\"") else { return "" }
        return String(text[r.lowerBound...])
    }
}

/// The resume command line and the warning for a resumed run that keeps nothing (no data needed).
final class ResumeMessageTests: XCTestCase {
    /// The resume line names the binary as it was started when that was a path (not on PATH after swift build).
    func testResumeCommandNamesTheProgramAsStarted() {
        XCTAssertEqual(ResumePlan.command("runs/a.keras", program: ".build/release/trainboard"),
                       ".build/release/trainboard train --resume runs/a.keras")
        XCTAssertEqual(ResumePlan.command("my run/a b.keras", program: "trainboard"),
                       "trainboard train --resume 'my run/a b.keras'")
        XCTAssertEqual(ResumePlan.command("it's.keras", program: "/opt/my tools/trainboard"),
                       "'/opt/my tools/trainboard' train --resume 'it'\\''s.keras'")
    }

    /// A resumed run with no checkpoint path of its own or from the resumed run is warned about; others are not.
    func testResumeWithoutCheckpointWarns() throws {
        var c = RunConfiguration()
        c.resume = "/tmp/final-epoch3.keras"
        XCTAssertEqual(ResumePlan.missingCheckpointWarning(try TrainingPlan(c)),
                       "warning: --resume /tmp/final-epoch3.keras: this run writes no checkpoint (neither it nor the "
                       + "resumed run has --checkpoint); give --checkpoint PATH to keep the result")
        c.checkpoint = "/tmp/next.keras"
        XCTAssertNil(ResumePlan.missingCheckpointWarning(try TrainingPlan(c)))
        c.resume = nil; c.checkpoint = nil
        XCTAssertNil(ResumePlan.missingCheckpointWarning(try TrainingPlan(c)))
    }
}
