import XCTest
@testable import TerminalUI

/// Every widget in ASCII mode writes only ASCII; absurd inputs never trap.
final class RobustnessTests: XCTestCase {
    private func widgets(_ s: Symbols) -> [any Widget] {
        [
            Block(title: "A very long title indeed", symbols: s),
            Sparkline(data: [1, .nan, 3, -.infinity, 1e8, 0.01], symbols: s),
            Sparkline(data: [1, 10, 100, 0, -5], logScale: true, symbols: s),
            LineChart(series: [ChartSeries(name: "loss", ys: [3, 2, .nan, 1.5, 1]),
                               ChartSeries(name: "lr", ys: [1, 1, 0.5, 0.5, 0.1], marker: .dashed),
                               ChartSeries(name: "acc", points: [(x: 0, y: 0.1), (x: 4, y: 0.9)], marker: .dots)],
                      xLabels: ["0", "2", "4"], markers: [ChartMarker(x: 2, label: "best epoch")], showLegend: true,
                      symbols: s),
            Gauge(ratio: 0.37, label: "epoch 37 of 100, 12 s left", symbols: s),
            Table(header: ["epoch", "loss", "accuracy"], rows: [["1", "0.123456789", "0.98765"], ["2", "0.1", "0.99"]],
                  widths: [.fixed(3), .fit, .fill], highlightedRow: 0, symbols: s),
            KeyHints([("q", "quit"), ("space", "pause/resume"), ("+/-", "learning rate")], symbols: s),
            DigitPreview(pixels: (0..<784).map { UInt8(truncatingIfNeeded: $0 * 7) }, rows: 28, cols: 28, symbols: s),
            Paragraph("Training finished: best val_loss 0.0123 at epoch 17.", alignment: .center, wrap: false, symbols: s),
            Notice("Terminal too small: need at least 80x24", symbols: s),
        ]
    }

    func testASCIIModeWritesOnlyASCII() {
        for w in widgets(.ascii) {
            for (width, height) in [(1, 1), (3, 2), (7, 3), (20, 5), (60, 16)] {
                var b = CellBuffer(width: width, height: height)
                w.render(b.area, into: &b)
                XCTAssertTrue(b.isAllASCII, "\(type(of: w)) \(width)x\(height): \(b.lines)")
            }
        }
    }

    func testAllWidgetsStayInsideTheirArea() {
        for s in [Symbols.unicode, .ascii] {
            for w in widgets(s) {
                for area in edgeAreas { assertStaysInside(w, area: area) }
            }
        }
    }

    func testAbsurdInputsDoNotTrap() {
        let big = Int.max
        let r = Layout.horizontal([.fill(big), .fill(big), .length(big), .percentage(big), .min(big)], spacing: big)
            .split(Rect(x: 0, y: 0, width: 100, height: 1))
        XCTAssertTrue(r.allSatisfy { $0.width >= 0 && $0.width <= 100 })
        XCTAssertEqual(r.reduce(0) { $0 + $1.width }, 100)
        let t = Table(header: ["a", "b"], rows: [["x", "y"]], widths: [.fixed(big), .fixed(big)], columnSpacing: big)
        assertStaysInside(t, area: Rect(x: 1, y: 1, width: 10, height: 3))
        XCTAssertEqual(t.columnWidths(total: 10), [10])
        assertStaysInside(DigitPreview(pixels: [1, 2, 3], rows: big, cols: big), area: Rect(x: 0, y: 0, width: 5, height: 5))
        assertStaysInside(DigitPreview(pixels: [1, 2, 3], rows: big, cols: big, fit: false), area: Rect(x: 0, y: 0, width: 5, height: 5))
        assertStaysInside(Paragraph("a\nb", scroll: big), area: Rect(x: 0, y: 0, width: 5, height: 5))
        assertStaysInside(Sparkline(data: [.greatestFiniteMagnitude, -.greatestFiniteMagnitude], min: .nan, max: .infinity),
                          area: Rect(x: 0, y: 0, width: 5, height: 3))
        assertStaysInside(Gauge(ratio: .greatestFiniteMagnitude), area: Rect(x: 0, y: 0, width: 5, height: 1))
        let lc = LineChart(series: [ChartSeries(name: "s", ys: [1, 2], xStart: -.greatestFiniteMagnitude,
                                                xStep: .greatestFiniteMagnitude)],
                           xBounds: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
                           markers: [ChartMarker(x: .greatestFiniteMagnitude), ChartMarker(x: -.infinity)])
        assertStaysInside(lc, area: Rect(x: 0, y: 0, width: 12, height: 4))
    }

    func testRenderHelperAndBlockFill() {
        var b = CellBuffer(width: 4, height: 3)
        let fill = Style(background: .rgb(1, 2, 3))
        b.render(Block(borders: .none, fillStyle: fill), in: Rect(x: 1, y: 1, width: 2, height: 1))
        XCTAssertEqual(b.cell(x: 1, y: 1)?.style, fill)
        XCTAssertEqual(b.cell(x: 0, y: 1)?.style, .plain)
        XCTAssertEqual(Block(borders: .none).inner(Rect(x: 1, y: 1, width: 2, height: 2)), Rect(x: 1, y: 1, width: 2, height: 2))
        XCTAssertEqual(Block(title: "t", borders: .none).inner(Rect(x: 0, y: 0, width: 3, height: 3)),
                       Rect(x: 0, y: 1, width: 3, height: 2))
    }
}
