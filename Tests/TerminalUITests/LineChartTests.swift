import XCTest
@testable import TerminalUI

final class LineChartTests: XCTestCase {
    func testASCIIRampWithAxis() {
        let c = LineChart(series: [ChartSeries(name: "loss", ys: [0, 1, 2, 3])], symbols: .ascii)
        XCTAssertEqual(render(c, width: 8, height: 4).lines, ["  3|   *", "1.5|  * ", "   | *  ", "  0|*   "])
    }

    func testBrailleDiagonal() {
        let c = LineChart(series: [ChartSeries(name: "s", ys: (0..<8).map(Double.init))], showYAxis: false)
        let lo = Symbols.braille(0x40 | 0x20), hi = Symbols.braille(0x02 | 0x08)
        XCTAssertEqual(render(c, width: 4, height: 2).lines, ["  \(lo)\(hi)", "\(lo)\(hi)  "])
        XCTAssertEqual(lo, "⡠")
    }

    func testBrailleMergesSeriesInOneCell() {
        let a = ChartSeries(name: "a", ys: [0, 0], style: Style(modifiers: .bold))
        let b = ChartSeries(name: "b", ys: [1, 1], style: Style(modifiers: .dim))
        let c = LineChart(series: [a, b], yBounds: 0...1, showYAxis: false)
        let buf = render(c, width: 1, height: 1)
        XCTAssertEqual(buf.lines, [String(Symbols.braille(0x40 | 0x80 | 0x01 | 0x08))])
        XCTAssertEqual(buf.cell(x: 0, y: 0)?.style, Style(modifiers: .dim))       // last series wins the style
    }

    func testExplicitPointsBoundsAndClipping() {
        let s = ChartSeries(name: "p", points: [(x: 0, y: 0), (x: 10, y: 10), (x: 20, y: 100)], marker: .dots)
        let c = LineChart(series: [s], xBounds: 0...10, yBounds: 0...10, showYAxis: false, symbols: .ascii)
        XCTAssertEqual(render(c, width: 3, height: 3).lines, ["  .", "   ", ".  "])
    }

    func testNonFiniteSkippedAndMarked() {
        let s = ChartSeries(name: "l", ys: [0, .nan, 2, .infinity, 4])
        let c = LineChart(series: [s], showYAxis: false, invalidStyle: Style(modifiers: .underline), symbols: .ascii)
        let b = render(c, width: 5, height: 3)
        XCTAssertEqual(b.lines, [" ! !*", " **  ", "*    "])   // the marker hides the line at (3, 0)
        XCTAssertEqual(b.cell(x: 1, y: 0)?.style, Style(modifiers: .underline))
        var quiet = c; quiet.markInvalid = false
        XCTAssertEqual(render(quiet, width: 5, height: 3).lines, ["   **", " **  ", "*    "])
        let allBad = LineChart(series: [ChartSeries(name: "x", ys: [.nan, .nan])], symbols: .ascii)
        XCTAssertTrue(render(allBad, width: 6, height: 3).isAllASCII)
    }

    func testLogScaleAndLabels() {
        let s = ChartSeries(name: "l", ys: [1, 10, 100, 1000])
        let c = LineChart(series: [s], logY: true, symbols: .ascii)
        XCTAssertEqual(render(c, width: 9, height: 4).lines,
                       ["1000|   *", "31.6|  * ", "    | *  ", "   1|*   "])
        let neg = LineChart(series: [ChartSeries(name: "n", ys: [-1, 0, 0.001, 0.1])], logY: true, symbols: .ascii)
        XCTAssertEqual(render(neg, width: 11, height: 3).lines[0], "  0.1|    *")
    }

    func testMarkersLegendAndXLabels() {
        let s = ChartSeries(name: "lr", ys: [1, 1, 1, 1, 1, 1], marker: .dashed)
        let c = LineChart(series: [s], yBounds: 0...2, showYAxis: false, xLabels: ["0", "5"],
                          markers: [ChartMarker(x: 2, label: "best")], symbols: .ascii)
        let b = render(c, width: 6, height: 4)
        XCTAssertEqual(b.lines, ["  :be~", ": : : ", "  :   ", "0    5"])
        var legend = c; legend.showLegend = true; legend.markers = []
        XCTAssertEqual(render(legend, width: 6, height: 4).lines[0], "  : lr")
        XCTAssertTrue(render(legend, width: 6, height: 4).isAllASCII)
    }

    func testMillionPointRampAndSine() {
        let n = 1_000_000
        let ramp = LineChart(series: [ChartSeries(name: "r", ys: (0..<n).map(Double.init))], showYAxis: false)
        let b = render(ramp, width: 120, height: 40)
        // Each cell column holds a contiguous run of braille cells that climbs monotonically to the right.
        var lastTop = Int.max
        for x in 0..<120 {
            let ys = (0..<40).filter { b.cell(x: x, y: $0)?.symbol != " " }
            XCTAssertFalse(ys.isEmpty, "column \(x) empty")
            guard let top = ys.first, let bottom = ys.last else { continue }
            XCTAssertEqual(ys.count, bottom - top + 1, "column \(x) not contiguous")
            XCTAssertLessThanOrEqual(top, lastTop)
            XCTAssertEqual(Double(top), 39 - Double(x) * 40 / 120, accuracy: 1.5)
            lastTop = top
        }
        XCTAssertEqual(b.cell(x: 0, y: 39)?.symbol.unicodeScalars.first.map { $0.value & 0xFF40 }, 0x2840)
        // Three sine periods: the top and the bottom rows are each reached in exactly three separate runs.
        let sine = (0..<n).map { sin(Double($0) / Double(n) * 6 * .pi) }
        let sb = render(LineChart(series: [ChartSeries(name: "s", ys: sine)], showYAxis: false, symbols: .ascii),
                        width: 120, height: 40)
        func runs(_ row: Int) -> Int {
            let line = Array(sb.lines[row])
            return (0..<120).filter { line[$0] != " " && ($0 == 0 || line[$0 - 1] == " ") }.count
        }
        XCTAssertEqual(runs(0), 3)
        XCTAssertEqual(runs(39), 3)
        XCTAssertTrue(sb.isAllASCII)
    }

    func testEdgeCasesNeverTrapOrEscape() {
        let weird: [ChartSeries] = [
            ChartSeries(name: "empty", ys: []),
            ChartSeries(name: "one", ys: [5]),
            ChartSeries(name: "huge", ys: [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude, 1e-300]),
            ChartSeries(name: "bad", ys: [.nan, .infinity, -.infinity]),
            ChartSeries(name: "xs", xs: [3, .nan, -1e308, 1e308, 2], ys: [1, 2, 3, .nan, 0], marker: .dots),
            ChartSeries(name: "step0", ys: [1, 2, 3], xStart: 0, xStep: 0, marker: .dashed),
            ChartSeries(name: "stepNaN", ys: [1, 2, 3], xStart: .nan, xStep: .nan),
        ]
        let bounds: [ClosedRange<Double>?] = [nil, 0...0, -.infinity...(.infinity), 5...5, -1e308...1e308]
        for sym in [Symbols.unicode, .ascii] {
            for area in edgeAreas {
                for xb in bounds {
                    for yb in bounds {
                        for log in [false, true] {
                            let c = LineChart(series: weird, xBounds: xb, yBounds: yb, logY: log, xLabels: ["a", "bb", "c"],
                                              markers: [ChartMarker(x: 1, label: "m"), ChartMarker(x: .nan)],
                                              showLegend: true, symbols: sym)
                            assertStaysInside(c, area: area)
                            if !sym.isUnicode {
                                var buf = CellBuffer(width: area.right, height: area.bottom)
                                buf.render(c, in: area)
                                XCTAssertTrue(buf.isAllASCII)
                            }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(render(LineChart(series: []), width: 6, height: 3).lines, ["  1│  ", "0.5│  ", "  0│  "])
    }
}
