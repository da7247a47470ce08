import Dashboard
import Foundation
import NeuralEngine
@testable import TrainboardKit
import XCTest

/// The trainer side for real: a `fit` on its own thread publishing through `ChannelCallback` while this thread reads
/// snapshots and sends commands (pause, learning-rate changes, checkpoint, stop). Run under `--sanitize=thread` in CI.
final class ChannelCallbackTests: XCTestCase {
    func waitUntil(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end { if condition() { return true }; Thread.sleep(forTimeInterval: 0.005) }
        return condition()
    }

    func testPauseResumeLearningRateCheckpointAndStopFromAnotherThread() throws {
        var g = SeededGenerator(seed: 1)
        let n = 512
        let x = Matrix(rows: n, cols: 8, storage: (0..<n * 8).map { _ in g.nextUnitFloat() })
        let labels = (0..<n).map { Int32($0 % 3) }
        let data = try Dataset(features: .floats(x.storage), featureCount: 8, targets: .classes(labels, classCount: 3))
        let channel = TrainingChannel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-channel-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journalPath = dir + "/journal.jsonl"
        let done = DispatchSemaphore(value: 0)
        let finalLR = Locked<Double>(0)
        let thread = Thread {
            let model = Sequential([Dense(16, activation: .relu), Dense(3, activation: .softmax)], seed: 2)
            model.compile(optimizer: SGD(learningRate: 0.1), loss: .categoricalCrossentropy)
            let cb = ChannelCallback(channel: channel, epochs: 1000, stepsPerEpoch: 32, batchSize: 16,
                                     journal: ControlJournalWriter(path: journalPath),
                                     checkpointPath: { e, u, final in "\(dir)/\(final ? "final" : "manual")-\(e)-\(u).json" })
            _ = try? model.fit(data, batchSize: 16, epochs: 1000, callbacks: [cb])
            finalLR.withLock { $0 = model.optimizer?.learningRate ?? 0 }
            done.signal()
        }
        thread.start()
        XCTAssertTrue(waitUntil { channel.snapshot().updates > 50 }, "training publishes progress")
        channel.send(.pause)
        XCTAssertTrue(waitUntil { channel.snapshot().status == .paused })
        let frozen = channel.snapshot().updates
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(channel.snapshot().updates, frozen, "no update runs while paused")
        channel.send(.scaleLearningRate(1.25))
        channel.send(.setLearningRate(0.05))
        channel.send(.scaleLearningRate(0.8))
        channel.send(.checkpoint)
        channel.send(.resume)
        XCTAssertTrue(waitUntil { channel.snapshot().updates > frozen + 20 }, "training resumes")
        channel.send(.stop)
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "stop ends fit")
        let s = channel.snapshot()
        XCTAssertEqual(finalLR.withLock { $0 }, 0.04, accuracy: 1e-12, "0.1 x1.25 -> set 0.05 -> x0.8 = 0.04")
        XCTAssertEqual(s.learningRate, 0.04, accuracy: 1e-12)
        // Checkpoint events arrive when the background write ends: the manual one, then the final one after stop.
        XCTAssertEqual(s.events.map(\.kind).filter { $0 != .checkpoint },
                       [.pause, .learningRate, .learningRate, .learningRate, .resume, .stop])
        XCTAssertEqual(s.events.filter { $0.kind == .checkpoint }.map { $0.message.components(separatedBy: "/").last ?? "" },
                       ["manual-\(s.events[0].epoch)-\(frozen).json", s.summary.first?.components(separatedBy: "/").last ?? "?"])
        XCTAssertEqual(s.events.first { $0.kind == .checkpoint }?.update, frozen, "the checkpoint is of the paused update")
        XCTAssertEqual(s.batchLoss.count, s.updates, "one batch loss per update")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertTrue(files.contains { $0.hasPrefix("manual-") }, "manual checkpoint written: \(files)")
        XCTAssertTrue(files.contains { $0.hasPrefix("final-") }, "final checkpoint after stop: \(files)")
        let journal = try ControlJournal.read(journalPath)
        XCTAssertEqual(journal.map(\.action), ["pause", "lr_scale", "lr_set", "lr_scale", "checkpoint", "resume", "stop"])
        XCTAssertEqual(journal[1].learningRate ?? 0, 0.125, accuracy: 1e-12)
        XCTAssertEqual(journal[1].update, frozen)
        let reloaded = try Sequential.load(from: dir + "/" + files.first { $0.hasPrefix("final-") }!)
        XCTAssertEqual(reloaded.model.layers.count, 2)
    }
}

extension ChannelCallbackTests {
    /// `l` sets the rate the next update applies, even under legacy decay; `+` scales it by exactly 1.25.
    func testExactLearningRateUnderLegacyDecay() throws {
        let model = Sequential([Dense(2, activation: .softmax)], seed: 1)
        let sgd = SGD(learningRate: 0.1, decay: 0.01)
        model.compile(optimizer: sgd, loss: .categoricalCrossentropy)
        try model.build(inputUnits: 3)
        let data = try Dataset(x: Matrix(rows: 4, cols: 3, repeating: 0.5), y: Matrix([[1, 0], [0, 1], [1, 0], [0, 1]]))
        try model.fit(data, batchSize: 1, epochs: 25) // 100 updates: current rate 0.1 / 2 = 0.05
        XCTAssertEqual(sgd.currentLearningRate, 0.05, accuracy: 1e-12)
        let channel = TrainingChannel()
        let cb = ChannelCallback(channel: channel, epochs: 1, stepsPerEpoch: 1, batchSize: 1,
                                 checkpointPath: { _, _, _ in "/dev/null" })
        cb.setModel(model)
        channel.send(.setLearningRate(0.02))
        cb.onTrainBatchEnd(0, logs: ["size": 1, "batch_loss": 0.5])
        XCTAssertEqual(sgd.currentLearningRate, 0.02, accuracy: 1e-12, "the typed rate is the applied rate")
        XCTAssertEqual(sgd.learningRate, 0.04, accuracy: 1e-12, "base = 0.02 * (1 + 0.01 * 100)")
        channel.send(.scaleLearningRate(1.25))
        cb.onTrainBatchEnd(1, logs: ["size": 1, "batch_loss": 0.5])
        XCTAssertEqual(sgd.currentLearningRate, 0.025, accuracy: 1e-12)
        XCTAssertEqual(channel.snapshot().events.map(\.message), ["lr set: 0.05 -> 0.02", "lr x1.25: 0.02 -> 0.025"])
    }
}

/// The checkpoint key: weights copied at the batch boundary, written in the background, in order, errors reported.
extension ChannelCallbackTests {
    private func smallModel() throws -> (Sequential, Dataset) {
        var g = SeededGenerator(seed: 4)
        let n = 96
        let x = (0..<n * 8).map { _ in g.nextUnitFloat() }
        let data = try Dataset(features: .floats(x), featureCount: 8, targets: .classes((0..<n).map { Int32($0 % 3) }, classCount: 3))
        let model = Sequential([Dense(16, activation: .relu), Dense(3, activation: .softmax)], seed: 2)
        model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.8), loss: .categoricalCrossentropy)
        try model.fit(data, batchSize: 16, epochs: 1)
        return (model, data)
    }

    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// The file holds the weights of the batch boundary where `c` was handled, although training went on before the
    /// writer got to it: byte for byte what a synchronous save at that boundary writes.
    func testCheckpointHoldsTheBoundaryWeightsWhileTrainingGoesOn() throws {
        let dir = try tempDir()
        let (model, data) = try smallModel()
        let writer = CheckpointWriter()
        // Hold the writer busy until training has moved on.
        let gate = DispatchSemaphore(value: 0)
        writer.write(model.snapshot(), to: dir + "/blocker.tbmodel") { _ in gate.wait() }
        let channel = TrainingChannel()
        let cb = ChannelCallback(channel: channel, epochs: 1, stepsPerEpoch: 6, batchSize: 16,
                                 checkpointPath: { e, u, f in "\(dir)/\(f ? "final" : "manual")-\(e)-\(u).tbmodel" },
                                 writer: writer)
        cb.setModel(model)
        let u = model.optimizer?.iterations ?? -1
        XCTAssertEqual(u, 6)
        try model.save(to: dir + "/reference.tbmodel",
                       metadata: ModelMetadata(epoch: 0, iterations: u, reason: "manual checkpoint"))
        let boundary = model.getWeights()
        channel.send(.checkpoint)
        cb.onTrainBatchEnd(5, logs: ["size": 16, "batch_loss": 1])
        try model.fit(data, batchSize: 16, epochs: 2)
        XCTAssertNotEqual(model.getWeights(), boundary, "training went on")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/manual-0-6.tbmodel"), "not written yet")
        gate.signal()
        writer.waitUntilIdle()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/manual-0-6.tbmodel")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/reference.tbmodel")))
        XCTAssertEqual(try Sequential.load(from: dir + "/manual-0-6.tbmodel").model.getWeights(), boundary)
        XCTAssertEqual(channel.snapshot().lastCheckpointPath, dir + "/manual-0-6.tbmodel")
    }

    /// Two presses handled at the same boundary give two files (`-2` suffix), a later one a third; files, events and
    /// journal entries come in request order.
    func testQuickCheckpointsGiveSeparateFilesInOrder() throws {
        let dir = try tempDir()
        let (model, data) = try smallModel()
        let channel = TrainingChannel()
        let journal = dir + "/journal.jsonl"
        let cb = ChannelCallback(channel: channel, epochs: 1, stepsPerEpoch: 6, batchSize: 16,
                                 journal: ControlJournalWriter(path: journal),
                                 checkpointPath: { e, u, f in "\(dir)/\(f ? "final" : "manual")-\(e)-\(u).tbmodel" })
        cb.setModel(model)
        let first = model.getWeights()
        channel.send(.checkpoint)
        channel.send(.checkpoint)
        cb.onTrainBatchEnd(5, logs: ["size": 16, "batch_loss": 1])
        try model.fit(data, batchSize: 16, epochs: 1)
        let second = model.getWeights()
        channel.send(.checkpoint)
        cb.onTrainBatchEnd(5, logs: ["size": 16, "batch_loss": 1])
        cb.onTrainEnd(logs: [:])  // waits for the writes
        let paths = ["manual-0-6.tbmodel", "manual-0-6-2.tbmodel", "manual-0-12.tbmodel"].map { dir + "/" + $0 }
        XCTAssertEqual(channel.snapshot().events.filter { $0.kind == .checkpoint }.map(\.message), paths.map { "checkpoint " + $0 })
        XCTAssertEqual(try ControlJournal.read(journal).map { $0.path ?? "" }, paths)
        XCTAssertEqual(try Sequential.load(from: paths[0]).model.getWeights(), first)
        XCTAssertEqual(try Sequential.load(from: paths[1]).model.getWeights(), first)
        XCTAssertEqual(try Sequential.load(from: paths[2]).model.getWeights(), second)
        XCTAssertEqual(try Sequential.load(from: paths[2]).metadata.iterations, 12)
        XCTAssertEqual(cb.errors, [])
    }

    /// A checkpoint that cannot be written is reported as a warning event, in the journal and in `errors` (the run's
    /// final status); the final checkpoint after a stop too, in the summary. Training itself goes on.
    func testFailedCheckpointWritesAreReportedNotLost() throws {
        let dir = try tempDir()
        let (model, _) = try smallModel()
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/file", contents: Data()))
        let channel = TrainingChannel()
        let journal = dir + "/journal.jsonl"
        let cb = ChannelCallback(channel: channel, epochs: 1, stepsPerEpoch: 6, batchSize: 16,
                                 journal: ControlJournalWriter(path: journal),
                                 checkpointPath: { _, u, f in "\(dir)/file/\(f ? "final" : "manual")-\(u).tbmodel" })
        cb.setModel(model)
        channel.send(.checkpoint)
        cb.onTrainBatchEnd(5, logs: ["size": 16, "batch_loss": 1])
        XCTAssertFalse(model.stopTraining, "a failed manual checkpoint does not stop training")
        channel.send(.stop)
        cb.onTrainBatchEnd(5, logs: ["size": 16, "batch_loss": 1])
        cb.onTrainEnd(logs: [:])
        // SafeFile names the path component that is not a directory.
        let reason = "\(dir)/file is not a directory"
        let manual = "checkpoint failed: \(dir)/file/manual-6.tbmodel: cannot write model file: \(reason)"
        let final = "final checkpoint failed: \(dir)/file/final-6.tbmodel: cannot write model file: \(reason)"
        XCTAssertEqual(cb.errors, [manual, final])
        let s = channel.snapshot()
        XCTAssertEqual(s.events.filter { $0.kind == .warning }.map(\.message), [manual, final])
        XCTAssertEqual(s.summary, ["Final checkpoint FAILED: \(dir)/file/final-6.tbmodel: cannot write model file: \(reason)"])
        XCTAssertNil(s.lastCheckpointPath)
        // The failure entry is appended by the writer's thread, so it may come before or after "stop".
        let entries = try ControlJournal.read(journal)
        XCTAssertEqual(entries.map(\.action).sorted(), ["checkpoint", "checkpoint_failed", "stop"])
        XCTAssertEqual(entries.first { $0.action == "checkpoint_failed" }?.path, "\(dir)/file/manual-6.tbmodel")
    }
}
