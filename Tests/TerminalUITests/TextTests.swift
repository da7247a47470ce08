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

/// `NumberFormat.fixed` against Foundation's printf formatting, which it replaces in the dashboard's frames.
final class FixedFormatTests: XCTestCase {
    /// 200,000 values: every magnitude from 1e-12 to 1e12, both signs, integers, halves and the exact ties that
    /// printf rounds to even (0.125, 2.5, 0.5), -0.0, values just below and above a carry (9.9999995, 0.0995),
    /// NaN and infinities; decimals 0 to 11 (10 and 11 take the fallback). Every string equals String(format:).
    func testFixedEqualsPrintfForEveryMagnitudeAndTie() {
        var g = MMIXGenerator(state: 20261130)   // a fixed stream: a failure names its value and reproduces
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.125, 9.9999995, 0.0995, 0.995, 99.5,
                                999_999_999.5, 1e9, 123_456_789.123, .nan, .infinity, -.infinity, 1e-300, -1e-300,
                                0.1, 0.2, 0.3, 1.005, 2.675, 1.0000005]
        for _ in 0..<200_000 {
            let exponent = Double.random(in: -12...12, using: &g)
            var v = pow(10, exponent) * (Bool.random(using: &g) ? 1 : -1)
            switch Int.random(in: 0..<4, using: &g) {
            case 0: v = v.rounded()
            case 1: v = (v * 8).rounded() / 8   // exact binary fractions, ties for few decimals
            default: break
            }
            values.append(v)
        }
        var fallbacks = 0
        for (i, v) in values.enumerated() {
            let d = i % 12
            let expected = String(format: "%.\(d)f", v)
            XCTAssertEqual(NumberFormat.fixed(v, decimals: d), expected, "\(v) with \(d) decimals")
            if abs(v) * pow(10, Double(d)) >= 1e9 { fallbacks += 1 }
        }
        XCTAssertGreaterThan(fallbacks, 1000, "the fallback is exercised too")
        XCTAssertEqual(NumberFormat.fixed(-0.04, decimals: 1), "-0.0")
        XCTAssertEqual(NumberFormat.fixed(2.5, decimals: 0), "2")
        XCTAssertEqual(NumberFormat.fixed(0.0123, decimals: 4), "0.0123")
    }
}

/// Knuth's MMIX linear congruential generator (the high bits are used by `random(in:)`), seeded: enough to spread
/// the test's values over magnitudes and signs reproducibly.
private struct MMIXGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
