import Foundation
import TerminalUI
import TrainboardKit
import XCTest

final class ResolvedThemeTests: XCTestCase {
    private func themeFile(_ text: String) throws -> String {
        let path = try makeTemporaryDirectory(self).appendingPathComponent("mine.theme").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testRequestedThemeComesFirstAndWarningsArePrintable() throws {
        let path = try themeFile("theme[text]=\"#d0d0d0\"\ntheme[nope]=\"#ffffff\"\n")
        let r = try ResolvedTheme.load(path)
        XCTAssertFalse(r.themes.isEmpty)
        XCTAssertEqual(r.warnings.count, 1, "\(r.warnings)")
        // Printed as is by the CLI: one "warning:", naming file and line.
        XCTAssertTrue(r.warnings[0].hasPrefix("\(path):2: warning: "), r.warnings[0])
        XCTAssertTrue(r.warnings[0].contains("nope"), r.warnings[0])
        XCTAssertEqual(r.warnings[0].components(separatedBy: "warning:").count, 2, r.warnings[0])
    }

    func testMalformedLineNamesFileAndLine() throws {
        let path = try themeFile("# comment\ntheme[text]=\"#d0d0d0\"\nnot a theme line\n")
        XCTAssertThrowsError(try ResolvedTheme.load(path)) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.key, "theme")
            XCTAssertTrue(e.description.contains("\(path):3"), e.description)
        }
    }

    func testMissingThemeIsAConfigurationError() {
        XCTAssertThrowsError(try ResolvedTheme.load("nosuchtheme")) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "theme")
            XCTAssertTrue("\(error)".contains("nosuchtheme"), "\(error)")
        }
    }

    func testMissingThemeFileSaysNoSuchFile() {
        XCTAssertThrowsError(try ResolvedTheme.load("themes/nosuch.theme")) { error in
            XCTAssertEqual("\(error)", "--theme: cannot read theme file themes/nosuch.theme: no such file")
        }
    }

    /// The source tree's themes/ is searched after every other location, so bundled themes resolve from any
    /// working directory.
    func testSourceTreeThemesAreTheLastFallback() throws {
        let source = ThemeLibrary.sourceThemesDirectory
        XCTAssertTrue(FileManager.default.fileExists(atPath: source + "/nord.theme"), source)
        let dirs = ThemeLibrary.standardDirectories(environment: [:], currentDirectory: "/nowhere",
                                                    executablePath: "/opt/bin/trainboard", sourceDirectory: source)
        XCTAssertEqual(dirs.last, source)
        XCTAssertEqual(dirs.first, "/nowhere/themes")
        let library = ThemeLibrary(directories: ["/nowhere/themes", source])
        XCTAssertEqual(library.path(for: "nord"), source + "/nord.theme")
        XCTAssertTrue(ThemeLibrary.standard().directories.contains(source))
    }

    func testBuiltInDefault() throws {
        let r = try ResolvedTheme.load(nil)
        XCTAssertGreaterThanOrEqual(r.themes.count, 2)   // default and mono are built in
        XCTAssertTrue(r.warnings.allSatisfy { $0.contains("warning:") }, "\(r.warnings)")
    }
}
