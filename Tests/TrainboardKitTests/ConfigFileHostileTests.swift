import Foundation
import TrainboardKit
import XCTest

/// Hostile config files (issue 7): alias bombs, non-scalar keys, binary text and huge values are refused at once
/// with a short message naming the file.
final class ConfigFileHostileTests: XCTestCase {
    private func write(_ bytes: [UInt8], name: String = "run.yaml") throws -> String {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }
    private func write(_ text: String) throws -> String { try write(Array(text.utf8)) }

    private func message(_ path: String) -> String {
        do { _ = try ConfigFile.load(path); return "" } catch { return "\(error)" }
    }

    /// The "billion laughs" shape: nine levels of aliases, a key that is an alias of the last one (295 bytes in the
    /// report; it spun forever inside the YAML composer).
    func testAliasBombIsRefusedBeforeExpansion() throws {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"]
        var prev = "a"
        for n in names {
            yaml += "\(n): &\(n) [*\(prev),*\(prev),*\(prev),*\(prev),*\(prev),*\(prev),*\(prev),*\(prev),*\(prev)]\n"
            prev = n
        }
        yaml += "? *i\n: 1\n"
        let path = try write(yaml)
        let start = Date()
        let m = message(path)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
        XCTAssertEqual(m, "--config: \(path):1: anchors and aliases are not supported in config files (found '&a'); write each value out")
        // An alias used as a value, in flow and block style.
        for text in ["epochs: &e 5\nbatch-size: *e\n", "x: {a: *y}\n", "hidden: [*h]\n", "- *a\n"] {
            XCTAssertTrue(message(try write(text)).contains("anchors and aliases are not supported"), text)
        }
    }

    /// `*` and `&` inside plain or quoted scalars and comments are text, not aliases.
    func testStarsAndAmpersandsInTextAreFine() throws {
        let path = try write("""
        # tuning: lr*2 & more, see *notes
        checkpoint: "runs/*&x-{epoch:02d}.tbmodel"
        csv-log: 'a*b&c.csv'
        journal: runs/a*b&c.jsonl
        """)
        let c = try ConfigFile.load(path)
        XCTAssertEqual(c.checkpoint, "runs/*&x-{epoch:02d}.tbmodel")
        XCTAssertEqual(c.csvLog, "a*b&c.csv")
        XCTAssertEqual(c.journal, "runs/a*b&c.jsonl")
    }

    func testNonScalarKeyIsNamedNotDumped() throws {
        let path = try write("? [epochs, 5]\n: 3\n")
        XCTAssertEqual(message(path), "--config: \(path):1: a key must be a flag name, got a list")
        let path2 = try write("{a: 1}: 3\n")
        XCTAssertEqual(message(path2), "--config: \(path2):1: a key must be a flag name, got a mapping")
    }

    func testInvalidUTF8IsNamedWithItsOffset() throws {
        let path = try write(Array("epochs: 5\nlr: 0".utf8) + [0xC3, 0x28] + Array("\n".utf8))
        XCTAssertEqual(message(path), "--config: \(path): not UTF-8 text (invalid byte at offset 15)")
    }

    /// A long value is quoted as a short excerpt, never echoed whole (a 6-level bomb printed a 100 MB error).
    func testLongValuesAreExcerpted() throws {
        let path = try write("epochs: " + String(repeating: "x", count: 10_000) + "\n")
        let m = message(path)
        XCTAssertLessThan(m.count, 200, m)
        XCTAssertTrue(m.contains("expected"), m)
        XCTAssertTrue(m.contains("... (10000 characters)"), m)
    }

    func testOversizedAndNonRegularFilesAreRefused() throws {
        let path = try write("# " + String(repeating: "x", count: 70_000) + "\nepochs: 1\n")
        XCTAssertEqual(message(path), "--config: cannot read \(path): the file has 70013 bytes; at most 65536 are accepted")
        let fifo = (path as NSString).deletingLastPathComponent + "/fifo.yaml"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertEqual(message(fifo), "--config: cannot read \(fifo): not a regular file (a FIFO)")
    }
}
