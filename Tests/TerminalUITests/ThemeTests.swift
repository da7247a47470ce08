import XCTest
import Foundation
@testable import TerminalUI

final class ThemeTests: XCTestCase {
    func testParseValuesAndFallback() throws {
        let text = """
        # a comment

        theme[loss]="#ff0000"
          theme[val_loss] = "#80"
        theme[accuracy]="0 128 255"
        theme[text]=""
        theme[highlight_bg]="#112233"
        theme[title_mod]="underline italic"
        theme[main_bg]="#101010"
        """
        let (t, warnings) = try ThemeParser.parse(text, name: "t", file: "t.theme")
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(t.name, "t")
        XCTAssertEqual(t[.loss], Style(foreground: .rgb(255, 0, 0), background: .rgb(16, 16, 16)))
        XCTAssertEqual(t.entry(.valLoss).foreground, .rgb(128, 128, 128))
        XCTAssertEqual(t.entry(.accuracy).foreground, .rgb(0, 128, 255))
        XCTAssertEqual(t.entry(.text).foreground, .default)
        XCTAssertEqual(t[.highlight].background, .rgb(0x11, 0x22, 0x33))
        XCTAssertEqual(t.entry(.title).modifiers, [.underline, .italic])
        XCTAssertEqual(t.entry(.title).foreground, Theme.dark.entry(.title).foreground)   // fallback
        XCTAssertEqual(t.entry(.lr), Theme.dark.entry(.lr))
        XCTAssertEqual(t[.background], Style(foreground: .default, background: .rgb(16, 16, 16)))
    }

    func testUnknownKeysWarn() throws {
        let (t, w) = try ThemeParser.parse("theme[cpu_box]=\"#ffffff\"\ntheme[loss]=\"#00\"", name: "x", file: "x.theme")
        XCTAssertEqual(w.count, 1)
        XCTAssertEqual(w.first?.line, 1)
        XCTAssertEqual(w.first?.description, "x.theme:1: warning: unknown key 'cpu_box' ignored")
        XCTAssertEqual(t.entry(.loss).foreground, .rgb(0, 0, 0))
    }

    func testMalformedLinesThrowWithFileAndLine() {
        let bad = [
            "theme[loss]=#ff0000": "quoted value",
            "loss=\"#ff0000\"": "expected theme[key]",
            "theme[loss]\"#ff0000\"": "expected '='",
            "theme[loss]=\"#ff00\"": "expected a colour",
            "theme[loss]=\"300 0 0\"": "expected a colour",
            "theme[loss]=\"1 2\"": "expected a colour",
            "theme[loss_mod]=\"blink\"": "unknown modifier",
            "theme[loss=\"#ff0000\"": "expected theme[key]",
        ]
        for (line, expected) in bad {
            XCTAssertThrowsError(try ThemeParser.parse("# header\n\(line)", name: "b", file: "themes/b.theme")) { e in
                let d = String(describing: e)
                XCTAssertTrue(d.hasPrefix("themes/b.theme:2: "), d)
                XCTAssertTrue(d.contains(expected), d)
            }
        }
    }

    func testBuiltInAndShippedThemes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("themes").path
        let lib = ThemeLibrary(directories: [root])
        let names = lib.availableNames()
        for n in ["default", "light", "mono", "solarized-dark", "dracula", "nord"] { XCTAssertTrue(names.contains(n), n) }
        for n in names {
            let (t, w) = try lib.load(n)
            XCTAssertEqual(w, [], n)
            XCTAssertEqual(t.name, n)
        }
        // The shipped default file and the built-in theme agree; so do mono's.
        XCTAssertEqual(try lib.load("default").theme, Theme.dark)
        XCTAssertEqual(try lib.load("mono", base: .mono).theme, Theme.mono)
        let mono = try lib.load("mono").theme                              // on top of the dark default
        for role in ThemeRole.allCases {
            XCTAssertEqual(mono[role], Theme.mono[role], "\(role)")
            XCTAssertEqual(mono[role].foreground, .default); XCTAssertEqual(mono[role].background, .default)
        }
        XCTAssertEqual(try lib.load(root + "/nord.theme").theme.name, "nord")
    }

    func testLibraryFallbacksAndSearchOrder() throws {
        let empty = ThemeLibrary(directories: ["/nonexistent-\(UUID().uuidString)"])
        XCTAssertEqual(try empty.load("default").theme, Theme.dark)
        XCTAssertEqual(try empty.load("mono").theme, Theme.mono)
        XCTAssertEqual(empty.availableNames(), ["default", "mono"])
        XCTAssertThrowsError(try empty.load("nope")) { e in
            XCTAssertTrue(String(describing: e).contains("theme 'nope' not found"))
        }
        let dirs = ThemeLibrary.standardDirectories(explicit: "/x", environment: ["TRAINBOARD_THEMES": "/a:/b"],
                                                    currentDirectory: "/cwd", executablePath: "/opt/tb/bin/trainboard")
        XCTAssertEqual(dirs, ["/x", "/a", "/b", "/cwd/themes", "/opt/tb/bin/../share/trainboard/themes", "/opt/tb/bin/themes"])

        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("tb-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try "theme[loss]=\"#010203\"\n".write(to: tmp.appendingPathComponent("mine.theme"), atomically: true, encoding: .utf8)
        try "theme[loss]=oops\n".write(to: tmp.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)
        let lib = ThemeLibrary(directories: [tmp.path])
        XCTAssertEqual(try lib.load("mine").theme.entry(.loss).foreground, .rgb(1, 2, 3))
        XCTAssertThrowsError(try lib.load("broken")) { e in
            XCTAssertTrue(String(describing: e).contains("broken.theme:1:"), String(describing: e))
        }
    }
}
