import Dashboard
import Foundation
import XCTest

/// The control journal's reader validates what it replays and names the file and line; the writer never traps.
final class ControlJournalTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "journal-tests-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func write(_ text: String, _ name: String = "j.jsonl") -> String {
        let p = dir + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(text.utf8)))
        return p
    }

    func testWrittenEntriesReadBack() throws {
        let p = dir + "/sub/journal.jsonl"
        let w = ControlJournalWriter(path: p)
        let a = JournalEntry(action: "lr_scale", epoch: 0, update: 12, time: 1.5, learningRate: 0.125, factor: 1.25)
        let b = JournalEntry(action: "checkpoint", epoch: 1, update: 40, time: 3, path: "x.tbmodel")
        try w.append(a)
        try w.append(b)
        XCTAssertEqual(try ControlJournal.read(p), [a, b])
    }

    /// Values are checked as the flags are (issue 7: a journal's learning rate of -1 was applied, exit 0).
    func testOutOfRangeValuesAreRefusedWithFileAndLine() {
        let good = #"{"action":"lr_set","epoch":0,"update":3,"time":1,"learning_rate":0.05}"#
        let cases: [(String, String)] = [
            (#"{"action":"lr_set","epoch":0,"update":5,"time":1,"learning_rate":-1}"#, "learning_rate: expected a finite number >= 0, got -1.0"),
            (#"{"action":"lr_scale","epoch":0,"update":5,"time":1,"learning_rate":0.1,"factor":0}"#, "factor: expected a finite number > 0, got 0.0"),
            (#"{"action":"lr_set","epoch":-2,"update":5,"time":1,"learning_rate":0.1}"#, "epoch: expected a whole number >= 0, got -2"),
            (#"{"action":"lr_set","epoch":0,"update":-5,"time":1,"learning_rate":0.1}"#, "update: expected a whole number >= 0, got -5"),
            (#"{"action":"explode","epoch":0,"update":5,"time":1}"#, "action: expected one of"),
            (#"{"action":"lr_set","epoch":0,"update":5,"time":1}"#, "learning_rate: missing for action lr_set"),
            (#"{"action":"lr_set","epoch":"zero","update":5,"time":1}"#, "epoch: expected a number"),
            (#"{"epoch":0,"update":5,"time":1}"#, "missing field 'action'"),
            ("not json", "not a JSON object"),
        ]
        for (line, expected) in cases {
            let p = write(good + "\n\n" + line + "\n")
            XCTAssertThrowsError(try ControlJournal.read(p), line) { e in
                XCTAssertTrue("\(e)".hasPrefix("\(p):3: not a journal entry: \(expected)"), "\(e)")
            }
        }
    }

    func testInvalidUTF8AndNonRegularFilesAreNamed() throws {
        let p = dir + "/bad.jsonl"
        var bytes = Array(#"{"action":"pause"}"#.utf8)
        bytes.insert(0xFF, at: 5)
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
        XCTAssertThrowsError(try ControlJournal.read(p)) { e in
            XCTAssertEqual("\(e)", "\(p): cannot read the journal: not UTF-8 text (invalid byte at offset 5)")
        }
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o644), 0)
        XCTAssertThrowsError(try ControlJournal.read(dir + "/fifo")) { e in
            XCTAssertTrue("\(e)".hasSuffix("not a regular file (a FIFO)"), "\(e)")
        }
    }

    /// A journal on a full disk throws (naming the path) instead of trapping, and keeps failing afterwards.
    func testFullDiskIsAnErrorNotACrash() {
        let w = ControlJournalWriter(path: "/dev/full")
        let e = JournalEntry(action: "pause", epoch: 0, update: 1, time: 0)
        XCTAssertThrowsError(try w.append(e)) { err in
            XCTAssertEqual("\(err)", "/dev/full: cannot write the control journal: no space left on device")
        }
        XCTAssertThrowsError(try w.append(e))
        XCTAssertEqual(w.lastError, "no space left on device")
    }
}
