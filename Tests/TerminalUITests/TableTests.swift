import XCTest
@testable import TerminalUI

final class TableTests: XCTestCase {
    let rows = [["1", "0.512", "91.2"], ["2", "0.301", "94.0"], ["3", "0.254", "95.1"], ["4", "0.231", "95.9"]]

    func testFitColumnsAndNewestRows() {
        let t = Table(header: ["ep", "loss", "acc"], rows: rows, alignments: [.right, .right, .right])
        XCTAssertEqual(render(t, width: 14, height: 3).lines, ["ep  loss  acc ", " 3 0.254 95.1 ", " 4 0.231 95.9 "])
    }

    func testOffsetScrollAndHighlight() {
        var t = Table(header: ["ep", "loss"], rows: rows, scroll: .offset(0))
        XCTAssertEqual(render(t, width: 8, height: 3).lines, ["ep loss ", "1  0.512", "2  0.301"])
        t.highlightedRow = 3                                             // scrolled into view
        let b = render(t, width: 8, height: 3)
        XCTAssertEqual(b.lines, ["ep loss ", "3  0.254", "4  0.231"])
        XCTAssertEqual(b.cell(x: 7, y: 2)?.style.modifiers, .reverse)
        XCTAssertEqual(b.cell(x: 7, y: 1)?.style.modifiers, [])
        t.scroll = .offset(99)
        XCTAssertEqual(render(t, width: 8, height: 3).lines[1], "3  0.254")
    }

    func testTruncationAndFixedFill() {
        let t = Table(header: ["name", "value"], rows: [["learning_rate", "0.001"]], widths: [.fixed(6), .fill])
        XCTAssertEqual(render(t, width: 12, height: 2).lines, ["name   value", "learn… 0.001"])
        let a = Table(header: ["name"], rows: [["learning_rate"]], widths: [.fixed(6)], symbols: .ascii)
        XCTAssertEqual(render(a, width: 12, height: 2).lines, ["name        ", "learn~      "])
        XCTAssertEqual(t.columnWidths(total: 12), [6, 5])
        XCTAssertEqual(t.columnWidths(total: 7), [6])                      // second column dropped
        XCTAssertEqual(t.columnWidths(total: 3), [3])
    }

    func testRaggedAndEmpty() {
        let t = Table(header: ["a", "b"], rows: [["x"], ["y", "z", "extra"]])
        XCTAssertEqual(render(t, width: 7, height: 3).lines, ["a b    ", "x      ", "y z ex…"])
        XCTAssertEqual(render(Table(header: [], rows: []), width: 3, height: 1).lines, ["   "])
        for area in edgeAreas {
            assertStaysInside(t, area: area)
            assertStaysInside(Table(header: ["h"], rows: [], widths: [.fixed(-4)]), area: area)
            var h = t; h.highlightedRow = 99; assertStaysInside(h, area: area)
        }
    }
}
