import XCTest
@testable import TerminalUI

final class GaugeTests: XCTestCase {
    func testFillWithEighths() {
        XCTAssertEqual(render(Gauge(ratio: 0.5, label: ""), width: 10, height: 1).lines, ["█████     "])
        XCTAssertEqual(render(Gauge(ratio: 0.3125, label: ""), width: 4, height: 1).lines, ["█▎  "])
        XCTAssertEqual(render(Gauge(ratio: 1, label: ""), width: 3, height: 1).lines, ["███"])
    }

    func testLabelAndClamping() {
        XCTAssertEqual(render(Gauge(ratio: 0.42), width: 9, height: 1).lines, ["███42%   "])
        XCTAssertEqual(render(Gauge(ratio: 7, symbols: .ascii), width: 6, height: 1).lines, ["#100%#"])
        XCTAssertEqual(render(Gauge(ratio: .nan, symbols: .ascii), width: 6, height: 1).lines, ["  0%  "])
        XCTAssertEqual(render(Gauge(ratio: -.infinity, symbols: .ascii), width: 6, height: 1).lines, ["  0%  "])
        XCTAssertEqual(render(Gauge(ratio: .infinity, label: "", symbols: .ascii), width: 3, height: 1).lines, ["###"])
        XCTAssertEqual(render(Gauge(ratio: 0.5, label: "epoch 3/10", symbols: .ascii), width: 5, height: 1).lines,
                       ["epoc~"])
    }

    func testLabelOverFillIsReversed() {
        let b = render(Gauge(ratio: 1, label: "x"), width: 1, height: 1)
        XCTAssertEqual(b.cell(x: 0, y: 0)?.style.modifiers, .reverse)
    }

    func testEdgeAreas() {
        for area in edgeAreas {
            for r in [0, 0.5, 1, .nan, 1e300] {
                assertStaysInside(Gauge(ratio: r, label: "Label", symbols: .unicode), area: area)
            }
        }
        XCTAssertTrue(render(Gauge(ratio: 0.77, label: "…ok", symbols: .ascii), width: 13, height: 3).cells
            .filter { $0.symbol != "…" }.allSatisfy { $0.symbol.isASCII })
    }
}
