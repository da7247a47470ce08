import XCTest
@testable import TerminalUI

/// Checks that every double-width character in `b` is followed by its continuation cell and that no continuation
/// cell is orphaned (the invariant `CellBuffer` keeps).
func assertWidePairsIntact(_ b: CellBuffer, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    let w = b.area.width
    for y in 0..<b.area.height {
        for x in 0..<w {
            let c = b.cells[y * w + x]
            if c.isContinuation {
                let ok = x > 0 && b.cells[y * w + x - 1].width == 2
                if !ok { XCTFail("orphan continuation at (\(x), \(y)) \(message)", file: file, line: line); return }
            } else if c.width == 2 {
                let ok = x + 1 < w && b.cells[y * w + x + 1].isContinuation
                if !ok { XCTFail("split wide \(c.symbol) at (\(x), \(y)) \(message)", file: file, line: line); return }
            }
        }
    }
}

final class CharacterWidthTests: XCTestCase {
    func testSpotValues() {
        // Expected widths from Unicode 14.0 EastAsianWidth.txt (W/F -> 2) and the general category (Mn/Me/Cf -> 0).
        let cases: [(String, Int)] = [
            ("a", 1), ("~", 1), ("é", 1), ("e\u{301}", 1), ("ß", 1), ("Ж", 1), ("α", 1), ("€", 1), ("│", 1), ("⣿", 1),
            ("\u{301}", 0), ("\u{3099}", 0), ("\u{302A}", 0), ("\u{200B}", 0), ("\u{FEFF}", 0), ("\u{AD}", 1), ("\u{600}", 1),
            ("手", 2), ("写", 2), ("数", 2), ("字", 2), ("あ", 2), ("ア", 2), ("ｱ", 1), ("Ａ", 2), ("！", 2), ("｡", 1),
            ("한", 2), ("ㄱ", 2), ("\u{3000}", 2), ("、", 2), ("〿", 1),
            ("😀", 2), ("👍🏽", 2), ("🚀", 2), ("🤖", 2), ("⌚", 2), ("⭐", 2),
            ("🇯🇵", 1), ("❤️", 1), ("☃", 1), ("1️⃣", 1),
        ]
        for (s, w) in cases {
            XCTAssertEqual(s.count, 1, "\(s) should be one Character")
            XCTAssertEqual(CharacterWidth.of(Character(s)), w, "\(s) \(s.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    func testRangeBoundaries() {
        // (code point, width): both ends of the main ranges of EastAsianWidth.txt and their neighbours.
        let cases: [(UInt32, Int)] = [
            (0x10FF, 1), (0x1100, 2), (0x115F, 2), (0x1160, 0), (0x11FF, 0), (0x1200, 1),
            (0x2E7F, 1), (0x2E80, 2), (0x303E, 2), (0x303F, 1), (0x3041, 2),
            (0x3400, 2), (0x4DBF, 2), (0x4DC0, 1), (0x4E00, 2), (0x9FFF, 2), (0xA4C6, 2), (0xA4D0, 1),
            (0xABFF, 1), (0xAC00, 2), (0xD7A3, 2), (0xD7B0, 0),
            (0xF8FF, 1), (0xF900, 2), (0xFAFF, 2), (0xFB00, 1),
            (0xFF01, 2), (0xFF60, 2), (0xFF61, 1), (0xFFDC, 1), (0xFFE0, 2), (0xFFE6, 2), (0xFFE8, 1),
            (0x1F2FF, 1), (0x1F300, 2), (0x1F320, 2), (0x1F321, 1), (0x1F64F, 2), (0x1F650, 1),
            (0x1F680, 2), (0x1F6C5, 2), (0x1F6C6, 1), (0x1F947, 2), (0x1F9FF, 2),
            (0x20000, 2), (0x2A6DF, 2), (0x2FFFD, 2), (0x2FFFE, 1), (0x30000, 2), (0x3FFFD, 2), (0x3FFFE, 1),
        ]
        for (v, w) in cases {
            XCTAssertEqual(CharacterWidth.of(Unicode.Scalar(v)!), w, String(v, radix: 16))
        }
    }

    func testRangesAreSortedAndDisjoint() {
        let r = CharacterWidth.wideRanges
        for i in 1..<r.count { XCTAssertGreaterThan(r[i].lowerBound, r[i - 1].upperBound + 1, "\(i)") }
    }

    func testStringWidth() {
        XCTAssertEqual("手写数字.npz".cellWidth, 12)
        XCTAssertEqual("data 😀 ok".cellWidth, 10)
        XCTAssertEqual("Cafe\u{301}".cellWidth, 4)
        XCTAssertEqual("".cellWidth, 0)
        XCTAssertEqual("abc".cellWidth, 3)
    }
}

final class WideCellBufferTests: XCTestCase {
    func testWideCharactersTakeTwoCells() {
        var b = CellBuffer(width: 20, height: 1)
        XCTAssertEqual(b.write("手写数字.npz", x: 0, y: 0), 12)
        XCTAssertEqual(b.line(0), "手写数字.npz        ")      // 8 characters in 12 cells, then 8 blank cells
        XCTAssertEqual(b.cell(x: 0, y: 0)?.symbol, "手")
        XCTAssertEqual(b.cell(x: 1, y: 0)?.isContinuation, true)
        XCTAssertEqual(b.cell(x: 6, y: 0)?.symbol, "字")
        XCTAssertEqual(b.cell(x: 8, y: 0)?.symbol, ".")
        XCTAssertEqual(b.cell(x: 11, y: 0)?.symbol, "z")
        assertWidePairsIntact(b)
    }

    func testEmoji() {
        var b = CellBuffer(width: 8, height: 1)
        XCTAssertEqual(b.write("a😀b👍🏽", x: 0, y: 0), 6)
        XCTAssertEqual(b.line(0), "a😀b👍🏽  ")
        XCTAssertEqual(b.cell(x: 4, y: 0)?.symbol, "👍🏽")      // the skin-tone modifier stays with its base
        XCTAssertEqual(b.cell(x: 5, y: 0)?.isContinuation, true)
        assertWidePairsIntact(b)
    }

    func testMaxWidthNeverSplitsAWideCharacter() {
        for maxWidth in 0...13 {
            var b = CellBuffer(area: Rect(x: 0, y: 0, width: 16, height: 1), fill: Cell("#"))
            let n = b.write("手写数字.npz", x: 0, y: 0, maxWidth: maxWidth)
            XCTAssertEqual(n, min(maxWidth, 12), "maxWidth \(maxWidth)")
            // Cells past maxWidth are untouched; an odd maxWidth inside the CJK part ends with a padding space.
            XCTAssertEqual(b.cell(x: min(maxWidth, 12), y: 0)?.symbol, "#", "maxWidth \(maxWidth)")
            if maxWidth < 8 && maxWidth % 2 == 1 {
                XCTAssertEqual(b.cell(x: maxWidth - 1, y: 0), Cell(" "), "maxWidth \(maxWidth)")
            }
            assertWidePairsIntact(b, "maxWidth \(maxWidth)")
        }
        var b = CellBuffer(width: 10, height: 1)
        b.write("手写数字", x: 0, y: 0, maxWidth: 5)
        XCTAssertEqual(b.line(0), "手写      ")
    }

    func testRightEdgePadsInsteadOfSplitting() {
        var b = CellBuffer(area: Rect(x: 0, y: 0, width: 5, height: 1), fill: Cell("#"))
        XCTAssertEqual(b.write("ab手", x: 2, y: 0), 3)
        XCTAssertEqual(b.line(0), "##ab ")
        var c = CellBuffer(width: 3, height: 1)
        c.set(x: 2, y: 0, symbol: "字", style: .plain)        // set at the last column: a space instead
        XCTAssertEqual(c.cell(x: 2, y: 0), Cell(" "))
        assertWidePairsIntact(c)
    }

    func testLeftClippingShowsTheVisibleHalfAsASpace() {
        var b = CellBuffer(area: Rect(x: 2, y: 0, width: 4, height: 1), fill: Cell("#"))
        XCTAssertEqual(b.write("手a字", x: 1, y: 0), 5)
        XCTAssertEqual(b.line(0), " a字")
        assertWidePairsIntact(b)
    }

    func testOverwritingEitherHalfBlanksTheOther() {
        var b = CellBuffer(width: 6, height: 1)
        b.write("手写", x: 0, y: 0)
        b.set(x: 1, y: 0, symbol: "x", style: .plain)          // right half of 手
        XCTAssertEqual(b.line(0), " x写  ")
        b.set(x: 2, y: 0, symbol: "y", style: .plain)          // left half of 写
        XCTAssertEqual(b.line(0), " xy   ")
        assertWidePairsIntact(b)

        var c = CellBuffer(width: 6, height: 1)
        c.write("手写", x: 0, y: 0)
        c.write("数", x: 1, y: 0)                               // straddles both
        XCTAssertEqual(c.line(0), " 数   ")
        assertWidePairsIntact(c)
    }

    func testBlankingKeepsTheOtherHalfsStyle() {
        let red = Style(foreground: .rgb(255, 0, 0))
        var b = CellBuffer(width: 4, height: 1)
        b.write("手", x: 0, y: 0, style: red)
        b.set(x: 1, y: 0, symbol: "x", style: .plain)
        XCTAssertEqual(b.cell(x: 0, y: 0), Cell(" ", style: red))
    }

    func testCombiningMarksStayWithTheirBase() {
        var b = CellBuffer(width: 6, height: 1)
        XCTAssertEqual(b.write("e\u{301}x\u{301}\u{308}", x: 0, y: 0), 2)
        XCTAssertEqual(b.cell(x: 0, y: 0)?.symbol.unicodeScalars.map(\.value), [0x65, 0x301])
        XCTAssertEqual(b.cell(x: 1, y: 0)?.symbol.unicodeScalars.map(\.value), [0x78, 0x301, 0x308])
        // A combining mark without a base and a zero-width space take no cell.
        var c = CellBuffer(width: 4, height: 1)
        XCTAssertEqual(c.write("\u{301}a\u{200B}b", x: 0, y: 0), 2)
        XCTAssertEqual(c.line(0), "ab  ")
    }

    func testFillAcrossHalves() {
        var b = CellBuffer(width: 6, height: 2)
        b.write("手写数", x: 0, y: 0)
        b.fill(Rect(x: 1, y: 0, width: 2, height: 1), with: Cell("-"))
        XCTAssertEqual(b.line(0), " -- 数")
        assertWidePairsIntact(b)
        b.fill(Rect(x: 0, y: 1, width: 5, height: 1), with: Cell("字"))   // odd width: the last column is a space
        XCTAssertEqual(b.line(1), "字字  ")
        assertWidePairsIntact(b)
    }

    func testCopyingCellByCellKeepsPairs() {
        var a = CellBuffer(width: 8, height: 1)
        a.write("x手写y", x: 0, y: 0)
        var b = CellBuffer(width: 8, height: 1)
        for x in 0..<8 { b.set(x: x, y: 0, a.cell(x: x, y: 0)!) }
        XCTAssertEqual(a, b)
        // A continuation cell set anywhere else is a space.
        var c = CellBuffer(width: 4, height: 1)
        c.set(x: 2, y: 0, a.cell(x: 2, y: 0)!)
        XCTAssertEqual(c.line(0), "    ")
        assertWidePairsIntact(c)
    }

    func testDiffEmitsBothHalvesTogether() {
        var prev = CellBuffer(width: 6, height: 1)
        prev.write("a手b", x: 0, y: 0)
        var next = prev
        next.setStyle(Rect(x: 2, y: 0, width: 1, height: 1), style: Style(modifiers: .bold))  // right half only
        XCTAssertEqual(BufferDiff(previous: prev, next: next).changes.map(\.x), [1, 2])
        next = prev
        next.write("写", x: 1, y: 0)                                        // same cells, other character
        let d = BufferDiff(previous: prev, next: next).changes
        XCTAssertEqual(d.map(\.x), [1, 2])
        XCTAssertEqual(d[0].cell.symbol, "写")
        XCTAssertTrue(d[1].cell.isContinuation)
        next = prev
        next.write("xy", x: 2, y: 0)                                        // breaks the pair from the right
        XCTAssertEqual(BufferDiff(previous: prev, next: next).changes.map(\.x), [1, 2, 3])
    }
}

final class WideTextFormattingTests: XCTestCase {
    func testTruncateByCells() {
        XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: 12), "手写数字.npz")
        XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: 11), "手写数字.n…")
        XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: 7), "手写数…")
        XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: 6), "手写… ")   // no half character: a pad
        XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: 2), "… ")
        XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: 1), "…")
        for w in 1...13 { XCTAssertEqual(TextFormatting.truncate("手写数字.npz", width: w).cellWidth, min(w, 12), "\(w)") }
        XCTAssertEqual(TextFormatting.truncate("a😀b", width: 3), "a… ")
    }

    func testPrefixAndSuffix() {
        XCTAssertEqual(TextFormatting.prefix("手写数字", width: 5).0, "手写")
        XCTAssertEqual(TextFormatting.prefix("手写数字", width: 5).1, 4)
        XCTAssertEqual(TextFormatting.suffix("a/手写数字.npz", width: 9).0, "数字.npz")
        XCTAssertEqual(TextFormatting.suffix("a/手写数字.npz", width: 9).1, 8)
    }

    func testWrapByCells() {
        XCTAssertEqual(TextFormatting.wrap("手写 数字 abc", width: 5), ["手写", "数字", "abc"])
        XCTAssertEqual(TextFormatting.wrap("手写数字", width: 3), ["手", "写", "数", "字"])
        for line in TextFormatting.wrap("a 手写数字手写数字 😀😀😀 e\u{301}e\u{301}", width: 5) {
            XCTAssertLessThanOrEqual(line.cellWidth, 5, line)
        }
    }

    func testAlignedWidgetsUseCellWidths() {
        // A right-aligned table cell and a centred paragraph line measure CJK text in cells.
        let p = Paragraph("手写", alignment: .right)
        let b = render(p, width: 6, height: 1)
        XCTAssertEqual(b.line(0), "  手写")
        assertWidePairsIntact(b)
    }
}
