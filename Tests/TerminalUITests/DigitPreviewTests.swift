import XCTest
@testable import TerminalUI

final class DigitPreviewTests: XCTestCase {
    func testHalfBlocksCarryTwoPixels() {
        let px: [UInt8] = [0, 255, 128, 64]                                // 2 rows x 2 cols
        let b = render(DigitPreview(pixels: px, rows: 2, cols: 2), width: 2, height: 1)
        XCTAssertEqual(b.lines, ["▀▀"])
        XCTAssertEqual(b.cell(x: 0, y: 0)?.style, Style(foreground: .rgb(0, 0, 0), background: .rgb(128, 128, 128)))
        XCTAssertEqual(b.cell(x: 1, y: 0)?.style, Style(foreground: .rgb(255, 255, 255), background: .rgb(64, 64, 64)))
    }

    func testMNISTSizeTakes28x14() {
        let px = (0..<784).map { UInt8(truncatingIfNeeded: $0) }
        let b = render(DigitPreview(pixels: px, rows: 28, cols: 28), width: 40, height: 20)
        for y in 0..<20 {
            for x in 0..<40 {
                XCTAssertEqual(b.cell(x: x, y: y)?.symbol == "▀", x < 28 && y < 14, "(\(x),\(y))")
            }
        }
    }

    func testDownsampleToFit() {
        let d = DigitPreview(pixels: [UInt8](repeating: 200, count: 784), rows: 28, cols: 28)
        XCTAssertEqual(d.scale(width: 14, height: 7), 2)
        XCTAssertEqual(d.scale(width: 10, height: 10), 3)
        let b = render(d, width: 14, height: 7)
        XCTAssertTrue(b.cells.allSatisfy { $0.symbol == "▀" && $0.style.foreground == .rgb(200, 200, 200) })
        var clip = d; clip.fit = false
        XCTAssertEqual(render(clip, width: 3, height: 2).lines, ["▀▀▀", "▀▀▀"])
    }

    func testASCIIRamp() {
        // Column means: 0, 255, (0+255)/2 = 127 -> ramp index 4 ('=').
        let px: [UInt8] = [0, 255, 0, 0, 255, 255]
        let b = render(DigitPreview(pixels: px, rows: 2, cols: 3, symbols: .ascii), width: 3, height: 1)
        XCTAssertEqual(b.lines, [" @="])
        XCTAssertTrue(b.isAllASCII)
    }

    func testOddRowsMissingPixelsAndEdgeAreas() {
        let d = DigitPreview(pixels: [255, 255, 255], rows: 3, cols: 2)     // 3 of 6 pixels given
        let b = render(d, width: 2, height: 2)
        XCTAssertEqual(b.cell(x: 1, y: 0)?.style, Style(foreground: .rgb(255, 255, 255), background: .rgb(0, 0, 0)))
        XCTAssertEqual(b.cell(x: 0, y: 1)?.style, Style(foreground: .rgb(0, 0, 0), background: .rgb(0, 0, 0)))
        for area in edgeAreas {
            for sym in [Symbols.unicode, .ascii] {
                assertStaysInside(DigitPreview(pixels: [UInt8](repeating: 9, count: 784), rows: 28, cols: 28, symbols: sym), area: area)
                assertStaysInside(DigitPreview(pixels: [], rows: 28, cols: 28, fit: false, symbols: sym), area: area)
                assertStaysInside(DigitPreview(pixels: [1], rows: -3, cols: 0, symbols: sym), area: area)
            }
        }
    }
}
