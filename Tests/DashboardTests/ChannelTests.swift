import Foundation
import XCTest
@testable import Dashboard
import NeuralEngine

final class ChannelTests: XCTestCase {
    func testSeriesChunksDownsampleAndThin() {
        var s = MetricSeries(capacity: 1 << 20)
        for i in 0..<10_000 { s.append(Double(i)) }
        XCTAssertEqual(s.count, 10_000)
        XCTAssertEqual(s[4097], 4097)
        XCTAssertEqual(s.suffix(3), [9997, 9998, 9999])
        let copy = s
        s.append(1)
        XCTAssertEqual(copy.count, 10_000, "a snapshot copy does not see later appends")
        let d = copy.downsampled(buckets: 10)
        XCTAssertEqual(d.first, 0); XCTAssertEqual(d.last, 9999)
        XCTAssertEqual(d.count, 20)
        var nan = MetricSeries()
        for v in [1.0, .nan, 3, .infinity, 2] { nan.append(v) }
        XCTAssertEqual(nan.downsampled(buckets: 1).filter(\.isFinite), [1, 3])
        XCTAssertTrue(nan.downsampled(buckets: 1).contains { $0.isNaN })
        var small = MetricSeries(capacity: 16)
        for i in 0..<17 { small.append(Double(i)) }
        XCTAssertEqual(small.count, 13, "thinning halves the older half: 8 -> 4, keeps 8, adds 1")
        XCTAssertEqual(small.last, 16)
    }

    /// Publishing from one thread while another reads: run under `swift test --sanitize=thread`.
    func testConcurrentPublishAndRead() {
        let ch = TrainingChannel()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            for i in 0..<20_000 {
                ch.update { s in s.batchLoss.append(Double(i)); s.updates = i + 1 }
                if i % 100 == 0 { _ = ch.drainCommands() }
            }
            done.signal()
        }
        t.start()
        var last: UInt64 = 0
        var reads = 0
        while done.wait(timeout: .now()) == .timedOut {
            let v = ch.version
            XCTAssertGreaterThanOrEqual(v, last)
            last = v
            let snap = ch.snapshot()
            XCTAssertEqual(snap.batchLoss.count, snap.updates)
            ch.send(.checkpoint)
            reads += 1
        }
        XCTAssertEqual(ch.snapshot().updates, 20_000)
        XCTAssertGreaterThan(reads, 0)
    }
}

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
        XCTAssertEqual(s.events.map(\.kind), [.pause, .learningRate, .learningRate, .learningRate, .checkpoint, .resume, .stop])
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
