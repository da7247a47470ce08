import AttachProtocol
import Dashboard
import Foundation
import NeuralEngine
@testable import TrainboardKit
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real `fit` steered by attach clients: commands go through the channel as the dashboard's keys do, are
/// acknowledged to every client with the update they took effect at, and a late client receives the whole history.
final class AttachBridgeTests: XCTestCase {
    private func messages(_ c: AttachConnection, timeout: Double = 10, until stop: (RunMessage) -> Bool) -> [RunMessage] {
        let (out, closed) = c.readMessages(timeout: timeout, until: stop)
        if let closed { closedReason = closed }
        return out
    }
    private var closedReason = ""

    private func ack(_ m: RunMessage, _ command: String) -> Ack? {
        if case .ack(let a) = m, a.command == command { return a }
        return nil
    }

    func testClientsSteerARealFit() throws {
        var g = SeededGenerator(seed: 1)
        let n = 256
        let x = Matrix(rows: n, cols: 4, storage: (0..<n * 4).map { _ in g.nextUnitFloat() })
        let labels = (0..<n).map { Int32($0 % 2) }
        let data = try Dataset(features: .floats(x.storage), featureCount: 4, targets: .classes(labels, classCount: 2))
        let dir = NSTemporaryDirectory() + "tb-bridge-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o700)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let channel = TrainingChannel()
        let bridge = AttachBridge()
        try bridge.listen(.unix(nil), channel: channel, name: "bridge", directory: dir)
        let path = try XCTUnwrap(bridge.server?.socketPath)
        let done = DispatchSemaphore(value: 0)
        let box = UncheckedBox(bridge)
        Thread {
            let model = Sequential([Dense(8, activation: .relu), Dense(2, activation: .softmax)], seed: 2)
            model.compile(optimizer: SGD(learningRate: 0.1), loss: .categoricalCrossentropy)
            let cb = ChannelCallback(channel: channel, epochs: 10_000, stepsPerEpoch: 16, batchSize: 16,
                                     checkpointPath: { e, u, final in "\(dir)/\(final ? "final" : "manual")-\(e)-\(u).tbmodel" },
                                     commandObserver: box.value.commandObserver)
            _ = try? model.fit(data, batchSize: 16, epochs: 10_000, callbacks: [box.value.publisher, cb])
            box.value.finish(reason: "stopped")
            done.signal()
        }.start()

        let a = try AttachConnection(.unix(path), token: nil), b = try AttachConnection(.unix(path), token: nil)
        let isEnd: (RunMessage) -> Bool = { if case .historyEnd = $0 { return true } else { return false } }
        _ = messages(a, until: isEnd); _ = messages(b, until: isEnd)
        a.send(.command(CommandMessage(id: 1, command: "pause")))
        let paused = try XCTUnwrap(messages(b) { self.ack($0, "pause") != nil }.compactMap { ack($0, "pause") }.first)
        XCTAssertTrue(paused.ok)
        XCTAssertEqual(paused.id, 1, "b sees a's ack, with a's id")
        XCTAssertNotEqual(paused.from, 0)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(channel.snapshot().updates, paused.update, "no update while paused, and the ack names the update")
        // While paused, commands are still served: set_lr applies from the next update, the checkpoint is written.
        b.send(.command(CommandMessage(id: 7, command: "set_lr", value: 0.05)))
        b.send(.command(CommandMessage(id: 8, command: "checkpoint")))
        let seen = messages(a) { self.ack($0, "checkpoint") != nil }
        let lr = try XCTUnwrap(seen.compactMap { ack($0, "set_lr") }.first)
        XCTAssertEqual(lr, Ack(id: 7, command: "set_lr", ok: true, applied: Applied(learningRate: 0.05), update: paused.update + 1,
                               message: "learning rate 0.1 -> 0.05", from: lr.from))
        let ck = try XCTUnwrap(seen.compactMap { ack($0, "checkpoint") }.first)
        XCTAssertEqual(ck.id, 8)
        let file = try XCTUnwrap(ck.applied.path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: file), file)
        XCTAssertEqual(try Sequential.load(from: file).model.parameterCount, 4 * 8 + 8 + 8 * 2 + 2, "the checkpoint loads")
        a.send(.command(CommandMessage(id: 2, command: "resume")))
        // The first batch after the resume used the new rate.
        let after = messages(b) { if case .batch = $0 { return true } else { return false } }
        guard case .batch(let first)? = after.last else { return XCTFail("no batch after resume: \(after)") }
        XCTAssertEqual(first.update, paused.update + 1)
        XCTAssertEqual(first.learningRate, 0.05)
        // A late client gets the history: every batch so far, the acks, then live.
        Thread.sleep(forTimeInterval: 0.2)
        let c = try AttachConnection(.unix(path), token: nil)
        let history = messages(c, until: isEnd)
        let batches = history.compactMap { m -> BatchMessage? in if case .batch(let x) = m { return x } else { return nil } }
        XCTAssertEqual(batches.first?.update, 1)
        XCTAssertEqual(batches.map(\.update), Array(1...(batches.last?.update ?? 0)), "every batch, in order")
        XCTAssertEqual(history.compactMap { m -> Int? in if case .ack(let x) = m { return x.id } else { return nil } }, [1, 7, 8, 2])
        XCTAssertTrue(history.contains { if case .event(let e) = $0 { return e.kind == "pause" } else { return false } })
        c.send(.command(CommandMessage(id: 3, command: "stop")))
        // Read while the run finishes (it waits up to 2 s for its clients to take the end).
        let tail = messages(a, timeout: 20) { if case .end = $0 { return true } else { return false } }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "stop ends fit")
        XCTAssertEqual(tail.compactMap { ack($0, "stop") }.first?.id, 3)
        guard case .end(let end)? = tail.last else { return XCTFail("no end (\(closedReason)): \(tail.suffix(3))") }
        XCTAssertEqual(end.reason, "stopped")
        XCTAssertEqual(a.next(timeout: 2), .closed("the run closed the connection"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        // After the end, nothing listens.
        XCTAssertThrowsError(try AttachConnection(.unix(path), token: nil))
    }
}

/// The client side: messages into a dashboard snapshot, and the address syntax.
final class AttachFeedTests: XCTestCase {
    func testFeedFillsTheSnapshotAsTheTrainerWould() {
        var feed = AttachFeed()
        var s = TrainingSnapshot()
        feed.apply(.hello(Hello(framework: "keras 3.15.1 (jax)", name: "mlp", pid: 9, model: ModelInfo(summary: "784-64-10", params: 50890),
                                epochs: 5, stepsPerEpoch: 2, batchSize: 100, metrics: ["loss", "accuracy", "val_loss", "val_accuracy"],
                                learningRate: 0.01, state: "paused")), to: &s)
        XCTAssertEqual(s.status, .paused)
        XCTAssertEqual(s.epochs, 5)
        XCTAssertEqual(s.stepsPerEpoch, 2)
        XCTAssertEqual(s.modelDescription, "784-64-10 (50890 params)")
        feed.apply(.batch(BatchMessage(epoch: 0, batch: 0, update: 1, time: 1, logs: ["loss": 2.0], learningRate: 0.01)), to: &s)
        feed.apply(.batch(BatchMessage(epoch: 0, batch: 1, update: 2, time: 1.5, logs: ["loss": .nan], learningRate: 0.02)), to: &s)
        XCTAssertEqual(s.batchLoss.count, 2)
        XCTAssertTrue(s.batchLoss[1].isNaN)
        XCTAssertEqual(s.batchLearningRate.values, [0.01, 0.02])
        // 1 update of 100 samples in 0.5 s.
        XCTAssertEqual(s.samplesPerSecond, 200, accuracy: 1e-9)
        XCTAssertEqual(s.updates, 2)
        feed.apply(.epoch(EpochMessage(epoch: 0, update: 2, time: 2, logs: ["loss": 1.5, "val_loss": 1.6], learningRate: 0.02)), to: &s)
        feed.apply(.epoch(EpochMessage(epoch: 1, update: 4, time: 3, logs: ["loss": 1.2, "accuracy": 0.5], learningRate: 0.02)), to: &s)
        // Every key one value per epoch, NaN where an epoch lacked it (as ChannelCallback and Keras's History).
        XCTAssertEqual(s.epochMetrics["loss"], [1.5, 1.2])
        XCTAssertEqual(s.epochMetrics["val_loss"]?.count, 2)
        XCTAssertTrue(s.epochMetrics["val_loss"]![1].isNaN)
        XCTAssertTrue(s.epochMetrics["accuracy"]![0].isNaN)
        XCTAssertEqual(s.epochMetrics["accuracy"]![1], 0.5)
        feed.apply(.event(EventMessage(kind: "checkpoint", epoch: 1, update: 4, time: 3, message: "checkpoint m.keras", path: "m.keras")), to: &s)
        feed.apply(.event(EventMessage(kind: "meteor", epoch: 1, update: 4, time: 3, message: "new kind")), to: &s)
        XCTAssertEqual(s.lastCheckpointPath, "m.keras")
        XCTAssertEqual(s.events.map(\.kind), [.checkpoint, .info], "an unknown kind is shown as info")
        feed.apply(.ack(Ack(id: 1, command: "set_lr", ok: true, applied: Applied(learningRate: 0.005), update: 5, message: "", from: 1)), to: &s)
        XCTAssertEqual(s.learningRate, 0.005)
        feed.apply(.ack(Ack(id: 2, command: "scale_lr", ok: false, update: 5, message: "bad factor", from: 2)), to: &s)
        XCTAssertEqual(s.events.last?.kind, .warning)
        feed.apply(.end(EndMessage(reason: "completed 5 epochs", epoch: 4, update: 10)), to: &s)
        XCTAssertEqual(s.status, .finished("completed 5 epochs"))
        XCTAssertEqual(feed.end?.update, 10)
    }

    /// A multi-line model summary (Keras's `model.summary()` table) becomes its first line, without control
    /// characters; the dashboard's model line is a single row.
    func testFeedShowsTheSummarysFirstLine() {
        let keras = "Model: \"keras-mlp\"\n┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓\n┃ Layer (type)   ┃ Output Shape ┃\n"
        XCTAssertEqual(AttachFeed.oneLine(keras), "Model: \"keras-mlp\"")
        XCTAssertEqual(AttachFeed.oneLine("\n\n  784-64-10  \n"), "784-64-10")
        XCTAssertEqual(AttachFeed.oneLine("──────\r\nlogistic\tregression\u{1b}[31m, 8 inputs\u{7}"), "logistic regression [31m, 8 inputs")
        XCTAssertEqual(AttachFeed.oneLine(""), "")
        XCTAssertEqual(AttachFeed.oneLine(String(repeating: "x", count: 5000)).count, 200)
        var feed = AttachFeed()
        var s = TrainingSnapshot()
        feed.apply(.hello(Hello(framework: "keras", name: "mlp", pid: 9, model: ModelInfo(summary: keras, params: 50890),
                                epochs: 5, stepsPerEpoch: 2, batchSize: 100, metrics: ["loss"], learningRate: 0.01,
                                state: "running")), to: &s)
        XCTAssertEqual(s.modelDescription, "Model: \"keras-mlp\" (50890 params)")
    }

    func testFeedBoundsWhatAHostileRunSends() {
        var feed = AttachFeed()
        var s = TrainingSnapshot()
        var logs: [String: Double] = [:]
        for i in 0..<1000 { logs["m\(i)"] = Double(i) }
        for e in 0..<10 {
            var l = logs
            for i in 0..<100 { l["e\(e)_\(i)"] = 1 }
            feed.apply(.epoch(EpochMessage(epoch: e, update: e, time: 0, logs: l, learningRate: nil)), to: &s)
        }
        XCTAssertLessThanOrEqual(s.epochMetrics.count, AttachFeed.maxMetrics)
        XCTAssertEqual(s.epochMetrics.values.map(\.count).max(), 10)
    }

    func testAddresses() throws {
        XCTAssertEqual(try AttachAddress.parse("auto"), .unix(nil))
        XCTAssertEqual(try AttachAddress.parse(""), .unix(nil))
        XCTAssertEqual(try AttachAddress.parse("/tmp/a.sock"), .unix("/tmp/a.sock"))
        XCTAssertEqual(try AttachAddress.parse("run.sock"), .unix("run.sock"))
        XCTAssertEqual(try AttachAddress.parse("127.0.0.1:0"), .tcp(host: "127.0.0.1", port: 0))
        XCTAssertEqual(try AttachAddress.parse("[::1]:8080"), .tcp(host: "::1", port: 8080))
        XCTAssertEqual(try AttachAddress.parse("example.org:22"), .tcp(host: "example.org", port: 22))
        XCTAssertThrowsError(try AttachAddress.parse("127.0.0.1:70000"))
        XCTAssertThrowsError(try AttachAddress.parse("127.0.0.1:"))
        XCTAssertThrowsError(try AttachAddress.parse("[::1]8080"))
        XCTAssertTrue(AttachAddress.isLoopback("127.0.0.1"))
        XCTAssertFalse(AttachAddress.isLoopback("0.0.0.0"))
        XCTAssertEqual(AttachServer.sanitizedName("my run/1"), "my_run_1")
        XCTAssertEqual(AttachServer.sanitizedName(".."), "run")
        XCTAssertEqual(AttachServer.sanitizedName(String(repeating: "a", count: 99)).count, 40)
    }

    func testListenIsValidatedByThePlan() throws {
        var c = RunConfiguration()
        c.listen = "0.0.0.0:9000"
        XCTAssertThrowsError(try TrainingPlan(c)) { XCTAssertTrue("\($0)".contains("listen: '0.0.0.0:9000': a run listens on the loopback address only"), "\($0)") }
        c.listen = "127.0.0.1:99999"
        XCTAssertThrowsError(try TrainingPlan(c)) { XCTAssertTrue("\($0)".contains("port in 0...65535"), "\($0)") }
        c.listen = "auto"
        XCTAssertEqual(try TrainingPlan(c).listen, .unix(nil))
        c.listen = nil
        XCTAssertNil(try TrainingPlan(c).listen)
    }
}
