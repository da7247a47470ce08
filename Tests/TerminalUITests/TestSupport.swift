import XCTest
@testable import TerminalUI

/// Renders `widget` into a fresh `width x height` buffer and returns it.
func render(_ widget: some Widget, width: Int, height: Int) -> CellBuffer {
    var b = CellBuffer(width: width, height: height)
    b.render(widget)
    return b
}

/// Renders `widget` into `area` of a larger buffer filled with a sentinel and checks nothing outside `area` changed.
func assertStaysInside(_ widget: some Widget, area: Rect, file: StaticString = #filePath, line: UInt = #line) {
    let sentinel = Cell("%", style: Style(modifiers: .italic))
    var b = CellBuffer(area: Rect(x: 0, y: 0, width: area.right + 3, height: area.bottom + 3), fill: sentinel)
    widget.render(area, into: &b)
    for y in 0..<b.area.height {
        for x in 0..<b.area.width {
            let inside = x >= area.x && x < area.right && y >= area.y && y < area.bottom
            if !inside, b.cell(x: x, y: y) != sentinel {
                XCTFail("wrote outside \(area) at (\(x), \(y))", file: file, line: line)
                return
            }
        }
    }
}

/// The areas every widget is tried on: zero sizes, 1x1, width 1, height 1, small, wide.
let edgeAreas: [Rect] = [
    .zero, Rect(x: 1, y: 1, width: 0, height: 5), Rect(x: 1, y: 1, width: 5, height: 0),
    Rect(x: 1, y: 1, width: 1, height: 1), Rect(x: 2, y: 1, width: 1, height: 6), Rect(x: 1, y: 2, width: 9, height: 1),
    Rect(x: 1, y: 1, width: 2, height: 2), Rect(x: 3, y: 2, width: 7, height: 3), Rect(x: 0, y: 0, width: 40, height: 12),
]
