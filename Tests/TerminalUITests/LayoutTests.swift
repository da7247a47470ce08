import XCTest
@testable import TerminalUI

final class LayoutTests: XCTestCase {
    func testVerticalFixedAndFill() {
        let r = Layout.vertical([.length(3), .fill(1), .length(1)]).split(Rect(x: 0, y: 0, width: 10, height: 20))
        XCTAssertEqual(r, [Rect(x: 0, y: 0, width: 10, height: 3), Rect(x: 0, y: 3, width: 10, height: 16),
                           Rect(x: 0, y: 19, width: 10, height: 1)])
    }

    func testHorizontalPercentageMinAndWeights() {
        let r = Layout.horizontal([.percentage(50), .fill(1), .fill(3)]).split(Rect(x: 2, y: 1, width: 100, height: 5))
        XCTAssertEqual(r.map(\.width), [50, 13, 37])
        XCTAssertEqual(r.map(\.x), [2, 52, 65])
        let m = Layout.horizontal([.min(10), .length(5)]).split(Rect(x: 0, y: 0, width: 30, height: 1))
        XCTAssertEqual(m.map(\.width), [25, 5])
    }

    func testTooSmallShrinksLastAndNeverNegative() {
        let r = Layout.vertical([.length(5), .length(5), .min(3), .percentage(150)], spacing: 1)
            .split(Rect(x: 0, y: 0, width: 4, height: 7))
        XCTAssertEqual(r.map(\.height), [4, 0, 0, 0])   // 7 rows - 3 gaps
        XCTAssertTrue(r.allSatisfy { $0.height >= 0 && $0.width >= 0 })
        for c in [Constraint.length(-3), .percentage(-10), .min(-1), .fill(-2)] {
            XCTAssertTrue(Layout.horizontal([c, .fill(1)]).split(.zero).allSatisfy { $0.width == 0 })
        }
        XCTAssertEqual(Layout.vertical([]).split(Rect(x: 0, y: 0, width: 3, height: 3)), [])
    }

    func testSpacing() {
        let r = Layout.horizontal([.length(3), .fill(1)], spacing: 2).split(Rect(x: 0, y: 0, width: 10, height: 1))
        XCTAssertEqual(r, [Rect(x: 0, y: 0, width: 3, height: 1), Rect(x: 5, y: 0, width: 5, height: 1)])
    }
}
