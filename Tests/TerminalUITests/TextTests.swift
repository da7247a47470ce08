import XCTest
@testable import TerminalUI

final class TextTests: XCTestCase {
    func testTruncate() {
        XCTAssertEqual(TextFormatting.truncate("hello", width: 5), "hello")
        XCTAssertEqual(TextFormatting.truncate("hello", width: 4), "hel…")
        XCTAssertEqual(TextFormatting.truncate("hello", width: 1, ellipsis: "~"), "~")
        XCTAssertEqual(TextFormatting.truncate("hello", width: 0), "")
        XCTAssertEqual(TextFormatting.truncate("hello", width: -3), "")
    }

    func testWrap() {
        XCTAssertEqual(TextFormatting.wrap("the quick brown fox", width: 10), ["the quick", "brown fox"])
        XCTAssertEqual(TextFormatting.wrap("abcdefghij", width: 4), ["abcd", "efgh", "ij"])
        XCTAssertEqual(TextFormatting.wrap("a\n\nb", width: 4), ["a", "", "b"])
        XCTAssertEqual(TextFormatting.wrap("", width: 4), [""])
        XCTAssertEqual(TextFormatting.wrap("x", width: 0), [])
    }

    func testCompactNumbers() {
        XCTAssertEqual(NumberFormat.compact(0.0123), "0.0123")
        XCTAssertEqual(NumberFormat.compact(0.00012), "1.2e-4")
        XCTAssertEqual(NumberFormat.compact(2.3456), "2.35")
        XCTAssertEqual(NumberFormat.compact(2.5), "2.5")
        XCTAssertEqual(NumberFormat.compact(1), "1")
        XCTAssertEqual(NumberFormat.compact(-0.5), "-0.5")
        XCTAssertEqual(NumberFormat.compact(1234.4), "1234")
        XCTAssertEqual(NumberFormat.compact(34_000_000), "3.4e7")
        XCTAssertEqual(NumberFormat.compact(0), "0")
        XCTAssertEqual(NumberFormat.compact(.nan), "NaN")
        XCTAssertEqual(NumberFormat.compact(-.infinity), "-inf")
        XCTAssertEqual(NumberFormat.compact(1e300), "1e300")
        XCTAssertEqual(NumberFormat.compact(-Double.greatestFiniteMagnitude), "-1.8e308")
    }

    func testParagraphAndAlignment() {
        let p = Paragraph("one two three", alignment: .right)
        XCTAssertEqual(render(p, width: 9, height: 3).lines, ["  one two", "    three", "         "])
        let c = Paragraph("ab\ncdef", alignment: .center, wrap: false, symbols: .ascii)
        XCTAssertEqual(render(c, width: 3, height: 2).lines, ["ab ", "cd~"])
        XCTAssertEqual(render(Paragraph("a\nb\nc", scroll: 1), width: 1, height: 2).lines, ["b", "c"])
        for area in edgeAreas { assertStaysInside(Paragraph("hello wonderful world"), area: area) }
    }

    func testNotice() {
        let n = Notice("Terminal too small")
        let b = render(n, width: 24, height: 5)
        XCTAssertEqual(b.lines, ["                        ", " ┌────────────────────┐ ", " │ Terminal too small │ ",
                                 " └────────────────────┘ ", "                        "])
        XCTAssertEqual(render(Notice("too small", symbols: .ascii), width: 5, height: 3).lines, [" too ", "small", "     "])
        XCTAssertEqual(render(Notice("too small"), width: 1, height: 1).lines, ["t"])
        for area in edgeAreas { assertStaysInside(Notice("Terminal too small: need 80x24"), area: area) }
    }
}
