#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses
@testable import NCursesBackend
import TerminalUI
import XCTest

/// The pure width table of TerminalUI against the C library, and what the ncurses backend draws for wide characters.
final class WideCharacterBackendTests: XCTestCase {
    /// The C library's wcwidth in C.UTF-8 (glibc 2.36: Unicode 14.0) must agree on every character it knows
    /// (wcwidth >= 0), except where glibc widens beyond the standard: 3248..324F (East Asian Ambiguous, 1 in
    /// non-CJK use) and 4DC0..4DFF (Yijing hexagrams, Neutral), and 1171E (AHOM CONSONANT SIGN MEDIAL RA, a
    /// nonspacing mark in glibc's Unicode 14 data, a spacing mark in the Swift runtime's newer data).
    func testAgreesWithTheCLibrary() throws {
        #if canImport(Glibc)
        guard let loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { throw XCTSkip("no C.UTF-8 locale") }
        let old = uselocale(loc)   // this thread only
        defer { uselocale(old); freelocale(loc) }
        guard tb_wcwidth(0x624B) == 2 else { throw XCTSkip("the C library has no wide-character table") }
        var checked = 0, mismatches: [String] = []
        for v in UInt32(0x20)...0x3FFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            if (0x3248...0x324F).contains(v) || (0x4DC0...0x4DFF).contains(v) || v == 0x1171E { continue }
            let c = Int(tb_wcwidth(wchar_t(bitPattern: v)))
            guard c >= 0 else { continue }
            checked += 1
            if CharacterWidth.of(s) != c, mismatches.count < 20 {
                mismatches.append("\(String(v, radix: 16)): ours \(CharacterWidth.of(s)), wcwidth \(c)")
            }
        }
        XCTAssertEqual(mismatches, [])
        XCTAssertGreaterThan(checked, 140_000)   // 150,686 with glibc 2.36
        #else
        throw XCTSkip("glibc only")
        #endif
    }

    func testEncodeInASCIIModeGivesOneQuestionMarkPerCharacter() {
        let t = Terminal(options: TerminalOptions(forceASCII: true))
        XCTAssertEqual(t.encode("a").columns, 1)
        XCTAssertFalse(t.encode("a").question)
        for s: Character in ["手", "😀", "é", "\u{301}"] {
            let r = t.encode(s)
            XCTAssertEqual(r.columns, 1, "\(s)")
            XCTAssertTrue(r.question, "\(s)")
            XCTAssertEqual(t.wideScratch[0], wchar_t(UInt8(ascii: "?")))
        }
    }

    func testEncodeInAUTF8LocaleDrawsWideCharactersTwoColumnsWide() throws {
        let t = Terminal()
        guard t.isUTF8 else { throw XCTSkip("the test process has no UTF-8 locale") }
        XCTAssertEqual(t.encode("手").columns, 2)
        XCTAssertEqual(t.wideScratch[0], 0x624B)
        XCTAssertEqual(t.wideScratch[1], 0)
        XCTAssertEqual(t.encode("😀").columns, 2)
        let e = t.encode("e\u{301}")                  // base + combining mark: one cell, both scalars
        XCTAssertEqual(e.columns, 1)
        XCTAssertEqual(Array(t.wideScratch[0..<3]), [0x65, 0x301, 0])
        XCTAssertTrue(t.encode("\u{301}").question)   // a mark without a base
        XCTAssertTrue(t.encode("\u{1}").question)     // a control character
    }
}
