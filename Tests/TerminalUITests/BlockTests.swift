import XCTest
@testable import TerminalUI

final class BlockTests: XCTestCase {
    func testBorderTitleAndInner() {
        let block = Block(title: "Loss")
        let b = render(block, width: 10, height: 4)
        XCTAssertEqual(b.lines, ["┌ Loss ──┐", "│        │", "│        │", "└────────┘"])
        XCTAssertEqual(block.inner(Rect(x: 0, y: 0, width: 10, height: 4)), Rect(x: 1, y: 1, width: 8, height: 2))
    }

    func testASCIIAndLongTitle() {
        let b = render(Block(title: "Validation accuracy", symbols: .ascii), width: 8, height: 3)
        XCTAssertEqual(b.lines, ["+Valid~+", "|      |", "+------+"])
        XCTAssertTrue(b.isAllASCII)
    }

    func testTinyAreas() {
        for area in edgeAreas {
            assertStaysInside(Block(title: "T"), area: area)
            let inner = Block(title: "T").inner(area)
            XCTAssertTrue(inner.width >= 0 && inner.height >= 0)
        }
        XCTAssertEqual(render(Block(), width: 1, height: 1).lines, ["┘"])
    }
}
