import XCTest
@testable import TerminalUI

final class SparklineTests: XCTestCase {
    private func line(_ data: [Double], width: Int = 8, symbols: Symbols = .unicode, log: Bool = false) -> String {
        render(Sparkline(data: data, logScale: log, symbols: symbols), width: width, height: 1).lines[0]
    }

    func testShortSeriesRenderOneGlyphPerValue() {
        XCTAssertEqual(line([], width: 4), "    ")
        XCTAssertEqual(line([1], width: 4), "▄   ")
        XCTAssertEqual(line([1, 1], width: 4), "▄▄  ")
        XCTAssertEqual(line([0.5, 0.5, 0.5], width: 4), "▄▄▄ ")
        XCTAssertEqual(line([0, 0, 0], width: 4), "▄▄▄ ")           // max = 0: no division by zero
    }

    func testScaling() {
        XCTAssertEqual(line([1, 5, 22, 13, 5], width: 5), "▁▂█▅▂")
        XCTAssertEqual(line([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(line([1, 5, 22, 13, 5], width: 5, symbols: .ascii), "_.#=.")
    }

    func testNewestValuesShownRightmost() {
        XCTAssertEqual(line([7, 7, 0, 1, 2, 3], width: 4), "▁▃▆█")
    }

    func testNonFiniteValuesAreMarkedAndIgnoredForScaling() {
        let s = Sparkline(data: [0, .nan, 7, .infinity, -.infinity], invalidStyle: Style(modifiers: .bold))
        let b = render(s, width: 5, height: 1)
        XCTAssertEqual(b.lines, ["▁×█××"])
        XCTAssertEqual(b.cell(x: 1, y: 0)?.style, Style(modifiers: .bold))
        XCTAssertEqual(render(Sparkline(data: [.nan], symbols: .ascii), width: 2, height: 1).lines, ["! "])
    }

    func testHugeRangesDoNotOverflow() {
        XCTAssertEqual(line([0.01, 1e8], width: 2), "▁█")
        XCTAssertEqual(line([-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude, 0], width: 3), "▁█▅")
        XCTAssertEqual(line([0.01, 0.1, 1, 10, 100, 1000, 1e4, 1e5], log: true), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(line([0, -1, 10, 100], width: 4, log: true), "▁▁▁█")   // <= 0 in log scale: lowest
    }

    func testFixedBoundsClamp() {
        let s = Sparkline(data: [-5, 0, 5, 10, 50], min: 0, max: 10)
        XCTAssertEqual(render(s, width: 5, height: 1).lines, ["▁▁▅██"])
    }

    func testMultiRow() {
        let b = render(Sparkline(data: [0, 15, 7]), width: 3, height: 2)
        XCTAssertEqual(b.lines, [" █ ", "▁██"])
    }

    func testEdgeAreasAndASCII() {
        let data: [Double] = [3, .nan, 1e300, -2, 0, 4, .infinity, 8]
        for area in edgeAreas {
            for sym in [Symbols.unicode, .ascii] {
                assertStaysInside(Sparkline(data: data, symbols: sym), area: area)
                assertStaysInside(Sparkline(data: data, logScale: true, symbols: sym), area: area)
            }
        }
        XCTAssertTrue(render(Sparkline(data: data, symbols: .ascii), width: 8, height: 3).isAllASCII)
    }
}
