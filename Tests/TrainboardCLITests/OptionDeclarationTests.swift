import Foundation
import SafeIO
@testable import trainboard
import TrainboardKit
import XCTest

/// "An option is declared once": adding a training option touches two files, `RunConfiguration.swift` (stored
/// property, `Field` line with key, kind, default and help; `TrainingPlan` validation and header line) and
/// `TrainOptions.swift` (one `@Option`/`@Flag` line). These tests fail when the two disagree or when a third place
/// starts listing options again.
final class OptionDeclarationTests: XCTestCase {
    /// The property names of the parsed `train` flags (without `config`).
    private func flagProperties() throws -> [String] {
        try TrainOptions.parse([]).flagValues.map(\.property)
    }

    func testEveryFlagHasAFieldAndEveryFieldAFlag() throws {
        let flags = try flagProperties()
        XCTAssertEqual(flags.count, Set(flags).count, "a flag is declared twice")
        XCTAssertEqual(Set(flags), Set(RunConfiguration.fields.map(\.property)))
        XCTAssertEqual(RunConfiguration.fromFlags(try TrainOptions.parse([]).flagValues).unmatched, [])
        for key in ["data", "batch-size", "init", "reduce-lr-on-plateau", "log-jsonl", "terminate-on-nan", "charts"] {
            XCTAssertTrue(flags.contains(RunConfiguration.propertyName(key)), key)
        }
    }

    /// The stored properties of `RunConfiguration` are exactly the table's, in its order, named by its keys.
    func testStoredPropertiesAreTheTable() {
        let stored = Mirror(reflecting: RunConfiguration()).children.compactMap(\.label)
        XCTAssertEqual(stored, RunConfiguration.fields.map(\.property))
        XCTAssertEqual(RunConfiguration.fields.map(\.key), RunConfiguration.keyNames)
        XCTAssertEqual(RunConfiguration.field("reduce-lr-on-plateau")?.property, "reduceLrOnPlateau")
    }

    /// Each flag given alone sets its own field, and only it, to the value given (the mapping by property name).
    func testEachFlagSetsItsField() throws {
        for f in RunConfiguration.fields {
            var cases: [(args: [String], value: Any)] = []
            switch f.kind {
            case .wholeNumber: cases = [(["--\(f.key)", "3"], 3)]
            case .number: cases = [(["--\(f.key)", "0.25"], 0.25)]
            case .seed: cases = [(["--\(f.key)", "7"], UInt64(7))]
            case .text: cases = [(["--\(f.key)", "x,y"], "x,y")]
            case .boolean:
                cases = [(["--\(f.key)"], true)]
                if f.key == "terminate-on-nan" { cases.append((["--no-terminate-on-nan"], false)) }
            }
            for (args, value) in cases {
                var expected = RunConfiguration()
                XCTAssertTrue(f.set(value, in: &expected), f.key)
                let got = try TrainOptions.parse(args).configuration
                XCTAssertEqual(got, expected, "\(args)")
            }
        }
        // No flag given: nothing set (an off @Flag is "not given", so a config file can turn it on).
        XCTAssertEqual(try TrainOptions.parse([]).configuration, RunConfiguration())
        XCTAssertEqual(try TrainOptions.parse(["--config", "run.yaml"]).configuration, RunConfiguration())
    }

    /// `--help` shows every option under its key with the table's text, defaults written in.
    func testHelpComesFromTheTable() {
        let help = TrainOptions.helpMessage(columns: 100_000)
        for f in RunConfiguration.fields {
            XCTAssertTrue(help.contains("--\(f.key)"), f.key)
            XCTAssertTrue(help.contains(f.help), f.key)
            XCTAssertFalse(f.help.isEmpty, f.key)
            XCTAssertFalse(f.help.contains("{default}"), "\(f.key) has no default to show")
        }
        XCTAssertTrue(help.contains("--epochs <epochs>"))
        XCTAssertTrue(help.contains("Epochs to train, >= 1 (default 60)."))
        XCTAssertTrue(help.contains("--checkpoint <path>"))
        XCTAssertTrue(help.contains("TerminateOnNaN; default on)"))
        XCTAssertTrue(help.contains("cycle i lasts T = t0 * tmult^i epochs"), "discussion of --schedule")
    }

    /// The rule on the sources: `TrainOptions.swift` names each option on one code line only (its flag: no mapping
    /// line), and no file other than the two declares options (`Field(` lines, `.option(` helps).
    func testAnOptionIsDeclaredInTwoFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let optionsFile = root.appendingPathComponent("trainboard/TrainOptions.swift").path
        let code = try source(optionsFile).split(separator: "\n").filter {
            !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//")
        }
        for f in RunConfiguration.fields {
            let lines = code.filter { mentions($0, f.property) }
            XCTAssertEqual(lines.count, 1, "\(f.property) in TrainOptions.swift: \(lines)")
        }
        var declaring: Set<String> = []
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        XCTAssertGreaterThan(files.count, 20)
        for file in files where file.hasSuffix(".swift") {
            let text = try source(root.appendingPathComponent(file).path)
            if text.contains("Field(\"") || text.contains(".option(\\.") { declaring.insert(file) }
        }
        XCTAssertEqual(declaring, ["TrainboardKit/RunConfiguration.swift", "trainboard/TrainOptions.swift"])
    }

    func testUnmatchedFlagsAreReported() {
        let (c, unmatched) = RunConfiguration.fromFlags([("epochs", 3), ("nope", 1), ("seed", "seven"), ("lr", nil)])
        XCTAssertEqual(unmatched, ["nope", "seed"])
        var expected = RunConfiguration()
        expected.epochs = 3
        XCTAssertEqual(c, expected)
    }

    private func source(_ path: String) throws -> String {
        String(decoding: try SafeFile.read(path, limit: 1 << 20), as: UTF8.self)
    }

    /// Whether `line` has `word` as a whole identifier (backticks allowed: `` `init` ``).
    private func mentions(_ line: Substring, _ word: String) -> Bool {
        let id = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_"))
        var search = line.startIndex..<line.endIndex
        while let r = line.range(of: word, range: search) {
            let before = r.lowerBound == line.startIndex ? nil : line[line.index(before: r.lowerBound)]
            let after = r.upperBound == line.endIndex ? nil : line[r.upperBound]
            let isolated = { (c: Character?) in c.map { !$0.unicodeScalars.allSatisfy(id.contains) } ?? true }
            if isolated(before) && isolated(after) { return true }
            search = r.upperBound..<line.endIndex
        }
        return false
    }
}
