import XCTest
@testable import TerminalUI

final class KeyHintsTests: XCTestCase {
    let hints: [(key: String, action: String)] = [("q", "quit"), ("p", "pause"), ("s", "save")]

    func testFits() {
        XCTAssertEqual(render(KeyHints(hints), width: 26, height: 1).lines, ["q: quit  p: pause  s: save"])
    }

    func testDropsWholeHintsWithEllipsis() {
        XCTAssertEqual(render(KeyHints(hints), width: 20, height: 1).lines, ["q: quit  p: pause … "])
        XCTAssertEqual(render(KeyHints(hints, symbols: .ascii), width: 12, height: 1).lines, ["q: quit ~   "])
    }

    func testFirstHintCut() {
        XCTAssertEqual(render(KeyHints(hints, symbols: .ascii), width: 5, height: 1).lines, ["q: q~"])
        XCTAssertEqual(render(KeyHints(hints), width: 1, height: 1).lines, ["…"])
    }

    func testStyles() {
        let b = render(KeyHints([("q", "quit")], keyStyle: Style(modifiers: .bold)), width: 7, height: 1)
        XCTAssertEqual(b.cell(x: 0, y: 0)?.style.modifiers, .bold)
        XCTAssertEqual(b.cell(x: 3, y: 0)?.style.modifiers, [])
    }

    func testEdgeAreas() {
        for area in edgeAreas {
            assertStaysInside(KeyHints(hints), area: area)
            assertStaysInside(KeyHints([]), area: area)
        }
    }
}
