import AttachProtocol
import Dashboard
import Foundation
@testable import TrainboardKit
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The run's attach server over real Unix and TCP sockets in a private temporary directory.
final class AttachServerTests: XCTestCase {
    private var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "tb-attach-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o700)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private static func hello() -> Hello {
        Hello(framework: "trainboard test", name: "t", pid: Int(getpid()), model: ModelInfo(summary: "m", params: 3),
              epochs: 2, stepsPerEpoch: 3, batchSize: 4, metrics: ["loss"], learningRate: 0.1, state: "running")
    }

    private func server(_ address: AttachAddress = .unix(nil), limits: AttachServer.Limits = AttachServer.Limits(),
                        onCommand: @escaping @Sendable (CommandMessage, Int) -> Void = { _, _ in }) throws -> AttachServer {
        try AttachServer(address: address, name: "test run", framework: "trainboard test", directory: dir, limits: limits,
                         hello: { Self.hello() }, onCommand: onCommand)
    }

    private func batch(_ e: Int, _ b: Int) -> RunMessage {
        .batch(BatchMessage(epoch: e, batch: b, update: e * 3 + b + 1, time: Double(b), logs: ["loss": 1.0 / Double(b + 1)], learningRate: 0.1))
    }

    /// Reads messages until `stop` says so or `timeout` passes.
    private func read(_ c: AttachConnection, timeout: Double = 5, until stop: (RunMessage) -> Bool) -> [RunMessage] {
        c.readMessages(timeout: timeout, until: stop).messages
    }

    private func isHistoryEnd(_ m: RunMessage) -> Bool { if case .historyEnd = m { return true } else { return false } }

    func testLateClientGetsHelloHistoryThenLive() throws {
        let s = try server()
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        let path = try XCTUnwrap(s.socketPath)
        XCTAssertTrue(path.hasPrefix(dir + "/test_run-"), path)
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "socket mode")
        let discovery = try DiscoveryEntry.decode(Array(try Data(contentsOf: URL(fileURLWithPath: s.discoveryFile))))
        XCTAssertEqual(discovery.socket, path)
        XCTAssertEqual(discovery.pid, Int(getpid()))
        XCTAssertNil(discovery.tcp)

        let early: [RunMessage] = [batch(0, 0), batch(0, 1), batch(0, 2),
                                   .epoch(EpochMessage(epoch: 0, update: 3, time: 3, logs: ["loss": 0.5], learningRate: 0.1)),
                                   .event(EventMessage(kind: "pause", epoch: 1, update: 3, time: 3.5, message: "paused")),
                                   .pong(id: 1), .error(ErrorMessage(id: nil, message: "not kept"))]
        for m in early { s.publish(m) }
        Thread.sleep(forTimeInterval: 0.2)
        let c = try AttachConnection(.unix(path), token: nil)
        let got = read(c, until: isHistoryEnd)
        // hello, the 5 kept messages in order (pong and error are never history), history_end with their count.
        XCTAssertEqual(got.count, 7)
        XCTAssertEqual(got.first, .hello(Self.hello()))
        XCTAssertEqual(Array(got[1...5]), Array(early[0...4]))
        XCTAssertEqual(got.last, .historyEnd(count: 5))
        s.publish(batch(1, 0))
        XCTAssertEqual(read(c) { _ in true }, [batch(1, 0)])
        s.finish(EndMessage(reason: "completed 2 epochs", epoch: 1, update: 6), flushSeconds: 1)
        XCTAssertEqual(read(c) { _ in true }, [.end(EndMessage(reason: "completed 2 epochs", epoch: 1, update: 6))])
        XCTAssertEqual(c.next(timeout: 2), .closed("the run closed the connection"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "socket removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.discoveryFile), "discovery file removed")
    }

    /// `trainboard attach` reads the `hello` itself (to tell a refusal from a greeting) and hands it to the source: the
    /// reader thread's feed must know it, or the batch size is lost and samples/s stays 0 (the bug seen with Keras).
    func testAttachSourceContinuesFromTheGreetingItWasGiven() throws {
        let s = try server()
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        for b in 0..<3 { s.publish(batch(0, b)) }
        let c = try AttachConnection(.unix(try XCTUnwrap(s.socketPath)), token: nil)
        let first = try XCTUnwrap(read(c) { _ in true }.first)
        XCTAssertEqual(first, .hello(Self.hello()))
        let source = AttachSource(connection: c, first: first)
        XCTAssertEqual(source.channel.snapshot().modelDescription, "m (3 params)", "the greeting is shown at once")
        source.start()
        defer { source.stop(waitingUpTo: 2) }
        let end = Date().addingTimeInterval(5)
        while source.channel.snapshot().updates < 3 && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        let snap = source.channel.snapshot()
        XCTAssertEqual(snap.updates, 3)
        XCTAssertEqual(snap.batchSize, 4)
        // Updates 1 -> 3 at times 0 -> 2 s, 4 samples each: (3 - 1) * 4 / 2 = 4 samples/s.
        XCTAssertEqual(snap.samplesPerSecond, 4, accuracy: 1e-9)
        XCTAssertNotNil(snap.etaSeconds)
    }

    /// `p` twice before the run confirms the first (a slow batch has not ended yet) sends pause then resume, as a
    /// local run toggles; once the run's events arrive, `p` follows the run's state again (also a pause by another
    /// client), and a refused pause does not leave the dashboard believing it is paused.
    func testTogglePauseFollowsWhatWasAskedUntilTheRunConfirms() throws {
        let got = Locked<[String]>([])
        let s = try server { m, _ in got.withLock { $0.append(m.command) } }
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        let c = try AttachConnection(.unix(try XCTUnwrap(s.socketPath)), token: nil)
        let source = AttachSource(connection: c, first: try XCTUnwrap(read(c) { _ in true }.first))
        source.start()
        defer { source.stop(waitingUpTo: 2) }
        func commands(_ n: Int) -> [String] {
            let end = Date().addingTimeInterval(5)
            while got.withLock({ $0.count }) < n && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
            return got.withLock { $0 }
        }
        func status(_ want: TrainingStatus) {
            let end = Date().addingTimeInterval(5)
            while source.channel.snapshot().status != want && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
            XCTAssertEqual(source.channel.snapshot().status, want)
        }
        source.channel.send(.togglePause)
        source.channel.send(.togglePause)
        XCTAssertEqual(commands(2), ["pause", "resume"], "no event yet: the second p undoes the first")
        // Another client paused the run: the event says so, and p resumes.
        s.publish(.event(EventMessage(kind: "pause", epoch: 0, update: 1, time: 1, message: "paused by client 9")))
        status(.paused)
        source.channel.send(.togglePause)
        XCTAssertEqual(commands(3), ["pause", "resume", "resume"])
        s.publish(.event(EventMessage(kind: "resume", epoch: 0, update: 1, time: 2, message: "resumed")))
        status(.running)
        source.channel.send(.togglePause)
        XCTAssertEqual(commands(4), ["pause", "resume", "resume", "pause"])
        // The run refuses that pause (ack ok false for our id 4): p asks for a pause again.
        s.publish(.ack(Ack(id: 4, command: "pause", ok: false, update: 1, message: "cannot pause", from: 1)))
        let end = Date().addingTimeInterval(5)
        while !source.channel.snapshot().events.contains(where: { $0.message.contains("cannot pause") }) && Date() < end {
            Thread.sleep(forTimeInterval: 0.01)
        }
        source.channel.send(.togglePause)
        XCTAssertEqual(commands(5), ["pause", "resume", "resume", "pause", "pause"])
    }

    func testMalformedLinesGetErrorsAndTheConnectionStays() throws {
        let got = Locked<[CommandMessage]>([])
        let s = try server { c, _ in got.withLock { $0.append(c) } }
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        let c = try AttachConnection(.unix(s.socketPath), token: nil)
        _ = read(c, until: isHistoryEnd)
        c.sendRawForTesting(Array("not json\n{\"v\":7,\"type\":\"ping\"}\n{\"v\":1,\"type\":\"jump\",\"id\":12}\n{\"v\":1,\"type\":\"ping\",\"id\":5}\n".utf8))
        let replies = read(c) { if case .pong = $0 { return true } else { return false } }
        XCTAssertEqual(replies.count, 4, "\(replies)")
        guard case .error(let e1) = replies[0], case .error(let e2) = replies[1], case .error(let e3) = replies[2] else {
            return XCTFail("\(replies)")
        }
        XCTAssertTrue(e1.message.contains("not a JSON object"), e1.message)
        XCTAssertTrue(e2.message.contains("unsupported protocol version 7"), e2.message)
        XCTAssertEqual(e3.id, 12)
        XCTAssertTrue(e3.message.contains("unknown message type \"jump\""), e3.message)
        XCTAssertEqual(replies[3], .pong(id: 5))
        c.send(.command(CommandMessage(id: 3, command: "pause")))
        let deadline = Date().addingTimeInterval(3)
        while got.withLock({ $0.isEmpty }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(got.withLock { $0 }, [CommandMessage(id: 3, command: "pause")])
    }

    func testOversizedLineIsAnsweredThenClosed() throws {
        let s = try server()
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        let c = try AttachConnection(.unix(s.socketPath), token: nil)
        _ = read(c, until: isHistoryEnd)
        c.sendRawForTesting([UInt8](repeating: 0x61, count: AttachProtocol.clientLineLimit + 10))
        let replies = read(c) { _ in false }
        guard case .error(let e)? = replies.first else { return XCTFail("\(replies)") }
        XCTAssertTrue(e.message.contains("longer than the protocol's limit of 65536 bytes"), e.message)
        XCTAssertEqual(c.next(timeout: 1), .closed("detached"))
    }

    func testAcksReachEveryClientWithTheCommandsId() throws {
        let channel = TrainingChannel()
        let bridge = AttachBridge()
        try bridge.listen(.unix(nil), channel: channel, name: "acks", directory: dir)
        defer { bridge.finish(reason: "done") }
        let path = try XCTUnwrap(bridge.server?.socketPath)
        let a = try AttachConnection(.unix(path), token: nil), b = try AttachConnection(.unix(path), token: nil)
        _ = read(a, until: isHistoryEnd); _ = read(b, until: isHistoryEnd)
        b.send(.command(CommandMessage(id: 41, command: "set_lr", value: 0.05)))
        b.send(.command(CommandMessage(id: 42, command: "set_lr", value: -1)))
        b.send(.command(CommandMessage(id: 43, command: "fly")))
        // The valid command reaches the trainer's inbox as the dashboard's `l` would put it.
        let deadline = Date().addingTimeInterval(3)
        var taken: [ControlCommand] = []
        while taken.isEmpty && Date() < deadline { taken = channel.drainCommands(); Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(taken, [.setLearningRate(0.05)])
        // The trainer takes it and applies it at update 8 (7 done).
        let report = bridge.commandObserver(.setLearningRate(0.05))
        report(CommandOutcome(ok: true, learningRate: 0.05, update: 8, message: "learning rate 0.1 -> 0.05"))
        // A command from the run's own dashboard is acknowledged with id null, from 0.
        bridge.commandObserver(.pause)(CommandOutcome(ok: true, update: 9, message: "paused at update 9"))
        let isPauseAck: (RunMessage) -> Bool = { if case .ack(let x) = $0 { return x.command == "pause" } else { return false } }
        for c in [a, b] {
            let acks = read(c, until: isPauseAck).compactMap { m -> Ack? in if case .ack(let x) = m { return x } else { return nil } }
            XCTAssertEqual(acks.count, 4, "\(acks)")
            let byID = Dictionary(acks.compactMap { x in x.id.map { ($0, x) } }, uniquingKeysWith: { x, _ in x })
            XCTAssertEqual(byID[42]?.ok, false)
            XCTAssertTrue(byID[42]?.message.contains("finite number >= 0") == true)
            XCTAssertEqual(byID[43]?.ok, false)
            XCTAssertTrue(byID[43]?.message.contains("unknown command \"fly\"") == true)
            XCTAssertEqual(byID[41], Ack(id: 41, command: "set_lr", ok: true, applied: Applied(learningRate: 0.05), update: 8,
                                          message: "learning rate 0.1 -> 0.05", from: byID[41]?.from ?? -1))
            XCTAssertEqual(acks.last, Ack(id: nil, command: "pause", ok: true, update: 9, message: "paused at update 9", from: 0))
        }
        // Both connections numbered, the sender's number in `from`.
        XCTAssertEqual(bridge.server?.connectionCount, 2)
    }

    func testAClientThatNeverReadsDoesNotBlockPublishing() throws {
        var limits = AttachServer.Limits()
        limits.queueLimit = 1 << 20
        limits.stallSeconds = 2
        let s = try server(limits: limits)
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        let path = try XCTUnwrap(s.socketPath)
        let stuck = try AttachConnection(.unix(path), token: nil)  // never reads
        let reader = try AttachConnection(.unix(path), token: nil)
        _ = read(reader, until: isHistoryEnd)
        // A reader on its own thread, as a dashboard.
        let received = Locked(0)
        let readerDone = DispatchSemaphore(value: 0)
        let box = UncheckedBox(reader)
        Thread {
            while true {
                switch box.value.next(timeout: 5) {
                case .message(.event(let e)):
                    received.withLock { $0 += 1 }
                    if e.update == 4_999 { readerDone.signal(); return }
                case .message: continue
                default: readerDone.signal(); return
                }
            }
        }.start()
        // 5,000 messages of ~1 KiB (5 MB) at a fast trainer's pace (5,000/s): far more than the socket buffers and the stuck
        // client's 1 MiB queue. The publisher never runs more than 400 messages (~400 KB) ahead of the reader, so that
        // a reader slowed down (ThreadSanitizer makes decoding ~10x slower) stays under the same 1 MiB limit.
        let big = String(repeating: "x", count: 900)
        var inPublish = 0.0
        let paceDeadline = Date().addingTimeInterval(60)
        for i in 0..<5_000 {
            while i - received.withLock({ $0 }) > 400 && Date() < paceDeadline { Thread.sleep(forTimeInterval: 0.001) }
            let t0 = Date()
            s.publish(.event(EventMessage(kind: "info", epoch: 0, update: i, time: 0, message: big)))
            inPublish += Date().timeIntervalSince(t0)
            if i % 10 == 9 { Thread.sleep(forTimeInterval: 0.002) }
        }
        // Publishing is a locked append: far under a second for 5,000 messages even on a busy machine.
        XCTAssertLessThan(inPublish, 2, "publish blocked")
        XCTAssertEqual(readerDone.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(received.withLock { $0 }, 5_000, "the reading client got every message")
        let deadline = Date().addingTimeInterval(5)
        while s.connectionCount > 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(s.connectionCount, 1, "the stuck client was disconnected, the reader was not")
        _ = stuck
    }

    func testTCPNeedsTheToken() throws {
        var limits = AttachServer.Limits()
        limits.authSeconds = 1
        let s = try server(.tcp(host: "127.0.0.1", port: 0), limits: limits)
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        let tcp = try XCTUnwrap(s.tcpAddress)
        let token = try XCTUnwrap(s.token)
        XCTAssertEqual(token.count, 64)
        XCTAssertTrue(token.allSatisfy { "0123456789abcdef".contains($0) })
        XCTAssertEqual(try AttachConnection.readToken(try XCTUnwrap(s.tokenFile)), token)
        var st = stat()
        XCTAssertEqual(stat(s.tokenFile!, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "token file mode")
        let address = try AttachAddress.parse(tcp)
        // No token: nothing is sent, the run times out the auth.
        let none = try AttachConnection(address, token: nil)
        let r0 = read(none, timeout: 4) { _ in false }
        guard case .error(let e0)? = r0.first else { return XCTFail("\(r0)") }
        XCTAssertTrue(e0.message.contains("authentication timed out"), e0.message)
        // A wrong token (same length, one digit off).
        let wrong = String(token.dropLast()) + (token.last == "0" ? "1" : "0")
        let bad = try AttachConnection(address, token: wrong)
        let r1 = read(bad, timeout: 3) { _ in false }
        XCTAssertEqual(r1.count, 1)
        guard case .error(let e1)? = r1.first else { return XCTFail("\(r1)") }
        XCTAssertTrue(e1.message.contains("authentication failed"), e1.message)
        // The right one.
        let good = try AttachConnection(address, token: token)
        let r2 = read(good, until: isHistoryEnd)
        XCTAssertEqual(r2.first, .hello(Self.hello()))
        XCTAssertEqual(r2.last, .historyEnd(count: 0))
    }

    func testRefusesNonLoopbackAndLiveOrForeignPaths() throws {
        XCTAssertThrowsError(try server(.tcp(host: "0.0.0.0", port: 0))) { XCTAssertTrue("\($0)".contains("loopback address only")) }
        let s = try server()
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        XCTAssertThrowsError(try server(.unix(s.socketPath))) { XCTAssertTrue("\($0)".contains("another run is listening")) }
        let file = dir + "/plain.txt"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("keep me".utf8)))
        XCTAssertThrowsError(try server(.unix(file))) { XCTAssertTrue("\($0)".contains("not a socket")) }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "keep me")
        let open = dir + "/open"
        mkdir(open, 0o755)
        XCTAssertThrowsError(try AttachServer(address: .unix(nil), name: "x", framework: "f", directory: open,
                                              hello: { Self.hello() }, onCommand: { _, _ in })) {
            XCTAssertTrue("\($0)".contains("expected 700"), "\($0)")
        }
    }

    func testHistoryThinningKeepsEachEpochsLastBatch() throws {
        var limits = AttachServer.Limits()
        limits.historyBatches = 10
        let s = try server(limits: limits)
        defer { s.finish(EndMessage(reason: "done", epoch: 0, update: 0), flushSeconds: 0.5) }
        for e in 0..<4 {
            for b in 0..<5 { s.publish(batch(e, b)) }
            s.publish(.epoch(EpochMessage(epoch: e, update: e * 5 + 5, time: 0, logs: [:], learningRate: nil)))
        }
        Thread.sleep(forTimeInterval: 0.2)
        let c = try AttachConnection(.unix(s.socketPath), token: nil)
        let got = read(c, until: isHistoryEnd)
        let batches = got.compactMap { m -> BatchMessage? in if case .batch(let b) = m { return b } else { return nil } }
        let epochs = got.filter { if case .epoch = $0 { return true } else { return false } }
        XCTAssertEqual(epochs.count, 4)
        XCTAssertLessThanOrEqual(batches.count, 10)
        for e in 0..<4 { XCTAssertTrue(batches.contains { $0.epoch == e && $0.batch == 4 }, "epoch \(e)'s last batch kept") }
        // Still in the original order.
        let order = batches.map { $0.epoch * 10 + $0.batch }
        XCTAssertEqual(order, order.sorted())
    }
}
