import AttachProtocol
import Foundation
import XCTest

/// The attach protocol's JSON form and framing, against lines written by hand from docs/attach-protocol.md.
final class AttachMessageTests: XCTestCase {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    private func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func testHelloHasDocumentedKeysAndNulls() throws {
        let h = Hello(framework: "trainboard 1.0", name: "mlp", pid: 42, model: ModelInfo(summary: "784-64-10", params: 50890),
                      epochs: 5, stepsPerEpoch: nil, batchSize: 128, metrics: ["loss", "val_loss"], learningRate: 0.01,
                      state: "running")
        let line = RunMessage.hello(h).line
        XCTAssertFalse(line.contains(0x0A))
        let o = try object(line)
        XCTAssertEqual(o["v"] as? Int, 1)
        XCTAssertEqual(o["type"] as? String, "hello")
        XCTAssertTrue(o["steps_per_epoch"] is NSNull, "a nullable field is written as null")
        XCTAssertEqual(o["batch_size"] as? Int, 128)
        XCTAssertEqual(o["learning_rate"] as? Double, 0.01)
        XCTAssertEqual((o["model"] as? [String: Any])?["params"] as? Int, 50890)
        XCTAssertEqual(o["commands"] as? [String], ["pause", "resume", "stop", "checkpoint", "set_lr", "scale_lr"])
        guard case .hello(let back) = try RunMessage.decode(line) else { return XCTFail("not hello") }
        XCTAssertEqual(back, h)
    }

    func testNonFiniteNumbersAreStrings() throws {
        let b = BatchMessage(epoch: 0, batch: 3, update: 4, time: 0.5,
                             logs: ["loss": .nan, "accuracy": .infinity, "mae": -.infinity, "valLoss": 1.5], learningRate: 0.1)
        let line = RunMessage.batch(b).line
        let s = text(line)
        XCTAssertTrue(s.contains(#""loss":"NaN""#), s)
        XCTAssertTrue(s.contains(#""accuracy":"Infinity""#), s)
        XCTAssertTrue(s.contains(#""mae":"-Infinity""#), s)
        // Log keys are kept as given (no snake_case conversion of dictionary keys).
        XCTAssertTrue(s.contains(#""valLoss":1.5"#), s)
        guard case .batch(let back) = try RunMessage.decode(line) else { return XCTFail("not batch") }
        XCTAssertTrue(back.logs["loss"]!.isNaN)
        XCTAssertEqual(back.logs["accuracy"], .infinity)
        XCTAssertEqual(back.logs["mae"], -.infinity)
        XCTAssertEqual(back.update, 4)
        // A hand-written line with a string where a number is expected, as another implementation writes it.
        let hand = Array(#"{"v":1,"type":"epoch","epoch":2,"update":30,"time":"NaN","logs":{"loss":"Infinity"},"learning_rate":0.5}"#.utf8)
        guard case .epoch(let e) = try RunMessage.decode(hand) else { return XCTFail("not epoch") }
        XCTAssertEqual(e.epoch, 2)
        XCTAssertTrue(e.time.isNaN)
        XCTAssertEqual(e.logs["loss"], .infinity)
        XCTAssertEqual(e.learningRate, 0.5)
    }

    func testDocumentExampleLinesDecode() throws {
        let ack = Array(#"{"v":1,"type":"ack","id":1,"command":"set_lr","ok":true,"applied":{"learning_rate":0.005},"update":2,"message":"learning rate 0.01 -> 0.005","from":1}"#.utf8)
        guard case .ack(let a) = try RunMessage.decode(ack) else { return XCTFail("not ack") }
        XCTAssertEqual(a, Ack(id: 1, command: "set_lr", ok: true, applied: Applied(learningRate: 0.005), update: 2,
                              message: "learning rate 0.01 -> 0.005", from: 1))
        let cmd = Array(#"{"v":1,"type":"command","id":1,"command":"set_lr","value":0.005}"#.utf8)
        XCTAssertEqual(try ClientMessage.decode(cmd), .command(CommandMessage(id: 1, command: "set_lr", value: 0.005)))
        let hello = Array(#"{"v":1,"type":"hello","framework":"keras 3.15.1 (jax)","name":"mlp","pid":4242,"model":{"summary":"784-64-10","params":50890},"epochs":5,"steps_per_epoch":94,"batch_size":128,"metrics":["loss","accuracy","val_loss","val_accuracy"],"learning_rate":0.01,"state":"running","commands":["pause","resume","stop","checkpoint","set_lr","scale_lr"]}"#.utf8)
        guard case .hello(let h) = try RunMessage.decode(hello) else { return XCTFail("not hello") }
        XCTAssertEqual(h.stepsPerEpoch, 94)
        XCTAssertEqual(h.pid, 4242)
    }

    func testUnknownFieldsAreIgnored() throws {
        let line = Array(#"{"v":1,"type":"ping","id":7,"extra":{"nested":[1,2,3]},"more":"x"}"#.utf8)
        XCTAssertEqual(try ClientMessage.decode(line), .ping(id: 7))
        let end = Array(#"{"v":1,"type":"end","reason":"completed 3 epochs","epoch":2,"update":30,"future":true}"#.utf8)
        XCTAssertEqual(try RunMessage.decode(end), .end(EndMessage(reason: "completed 3 epochs", epoch: 2, update: 30)))
    }

    func testRoundTripsOfEveryType() throws {
        let run: [RunMessage] = [
            .event(EventMessage(kind: "checkpoint", epoch: 1, update: 9, time: 2, message: "checkpoint a.keras", path: "/tmp/a.keras")),
            .historyEnd(count: 12), .pong(id: nil), .pong(id: 3), .error(ErrorMessage(id: nil, message: "bad")),
            .ack(Ack(id: nil, command: "pause", ok: true, update: 5, message: "paused", from: 0)),
            .end(EndMessage(reason: "stopped at epoch 3", epoch: 3, update: 40)),
            .epoch(EpochMessage(epoch: 0, update: 10, time: 1.25, logs: ["loss": 0.5, "val_loss": 0.6], learningRate: nil)),
        ]
        for m in run { XCTAssertEqual(try RunMessage.decode(m.line), m, text(m.line)) }
        let client: [ClientMessage] = [.auth(token: String(repeating: "ab", count: 32)), .ping(id: nil),
                                       .command(CommandMessage(id: 5, command: "checkpoint", path: "x y\n.keras")),
                                       .command(CommandMessage(id: nil, command: "scale_lr", value: 0.8))]
        for m in client {
            XCTAssertFalse(m.line.contains(0x0A), "a newline inside a string is escaped")
            XCTAssertEqual(try ClientMessage.decode(m.line), m, text(m.line))
        }
    }

    func testMalformedLinesAreRefusedWithReasons() {
        func reason(_ s: String) -> String {
            do { _ = try ClientMessage.decode(Array(s.utf8)); return "decoded" } catch { return "\(error)" }
        }
        XCTAssertTrue(reason("").contains("empty line"))
        XCTAssertTrue(reason("not json").contains("not a JSON object"))
        XCTAssertTrue(reason("[1,2]").contains("not a JSON object"))
        XCTAssertTrue(reason(#"{"type":"ping"}"#).contains("not a JSON object with"))
        XCTAssertTrue(reason(#"{"v":2,"type":"ping"}"#).contains("unsupported protocol version 2"))
        XCTAssertTrue(reason(#"{"v":1,"type":"dance","id":4}"#).contains("unknown message type \"dance\""))
        XCTAssertTrue(reason(#"{"v":1,"type":"command","id":4}"#).contains("missing field \"command\""), reason(#"{"v":1,"type":"command","id":4}"#))
        XCTAssertTrue(reason(#"{"v":1,"type":"command","command":"set_lr","value":"fast"}"#).contains("\"value\""))
        XCTAssertTrue(reason(#"{"v":1,"type":"auth","token":5}"#).contains("\"token\""))
        XCTAssertEqual(reason(#"{"v":1,"type":"ping"} "#), "decoded", "trailing whitespace is JSON whitespace")
        // The id of a refused line is kept for the error reply.
        do { _ = try ClientMessage.decode(Array(#"{"v":1,"type":"command","id":9,"command":3}"#.utf8)); XCTFail("decoded") } catch let e as AttachProtocol.DecodeError {
            XCTAssertEqual(e.id, 9)
        } catch { XCTFail("\(error)") }
        // Invalid UTF-8 is malformed, not a crash.
        XCTAssertThrowsError(try RunMessage.decode([0x7B, 0xFF, 0xFE, 0x7D]))
    }

    func testDiscoveryEntry() throws {
        let d = DiscoveryEntry(name: "run", pid: 7, framework: "trainboard 1.0", started: 1700000000, socket: "/r/run-7.sock",
                               tcp: nil, tokenFile: nil)
        let o = try object(AttachProtocol.encode(d))
        XCTAssertTrue(o["tcp"] is NSNull)
        XCTAssertTrue(o["token_file"] is NSNull)
        XCTAssertEqual(o["socket"] as? String, "/r/run-7.sock")
        XCTAssertEqual(try DiscoveryEntry.decode(AttachProtocol.encode(d)), d)
        XCTAssertThrowsError(try DiscoveryEntry.decode(Array("{}".utf8)))
    }
}

final class LineFramerTests: XCTestCase {
    func testLinesAcrossReads() throws {
        var f = LineFramer(limit: 100)
        f.append(Array("ab".utf8))
        XCTAssertNil(try f.nextLine())
        f.append(Array("c\nde\r\n\nfg".utf8))
        XCTAssertEqual(try f.nextLine(), Array("abc".utf8))
        XCTAssertEqual(try f.nextLine(), Array("de".utf8), "a CR before the newline is dropped")
        XCTAssertEqual(try f.nextLine(), [])
        XCTAssertNil(try f.nextLine())
        XCTAssertEqual(f.pendingCount, 2)
        f.append([0x0A])
        XCTAssertEqual(try f.nextLine(), Array("fg".utf8))
    }

    func testLimitIsExact() throws {
        var f = LineFramer(limit: 8)
        f.append(Array("12345678\n".utf8))
        XCTAssertEqual(try f.nextLine(), Array("12345678".utf8), "a line of exactly the limit is accepted")
        f.append(Array("123456789\n".utf8))
        XCTAssertThrowsError(try f.nextLine()) { XCTAssertEqual($0 as? LineFramer.LineTooLong, LineFramer.LineTooLong(limit: 8)) }
    }

    func testOversizedLineWithoutNewlineIsRefusedEarly() throws {
        var f = LineFramer(limit: 64 * 1024)
        let chunk = [UInt8](repeating: 0x61, count: 4096)
        var refusedAt = 0
        for i in 1...40 {
            f.append(chunk)
            do { _ = try f.nextLine() } catch { refusedAt = i; break }
        }
        // 16 chunks = 65536 bytes (the limit), the 17th exceeds it.
        XCTAssertEqual(refusedAt, 17)
    }

    func testManySmallLinesKeepBufferSmall() throws {
        var f = LineFramer(limit: 64)
        var n = 0
        for i in 0..<10_000 {
            f.append(Array("line \(i)\n".utf8))
            while let l = try f.nextLine() { XCTAssertEqual(String(decoding: l, as: UTF8.self), "line \(i)"); n += 1 }
            XCTAssertEqual(f.pendingCount, 0)
        }
        XCTAssertEqual(n, 10_000)
    }
}
