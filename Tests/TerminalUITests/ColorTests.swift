import XCTest
@testable import TerminalUI

final class ColorTests: XCTestCase {
    func testXterm256() {
        XCTAssertEqual(ColorQuantizer.xterm256(255, 0, 0), 196)
        XCTAssertEqual(ColorQuantizer.xterm256(128, 128, 128), 244)
        XCTAssertEqual(ColorQuantizer.xterm256(0, 0, 0), 16)
        XCTAssertEqual(ColorQuantizer.xterm256(255, 255, 255), 231)
        XCTAssertEqual(ColorQuantizer.xterm256(95, 135, 175), 67)       // exact cube entry
        XCTAssertEqual(ColorQuantizer.xterm256(8, 8, 8), 232)           // exact grey entry
        XCTAssertEqual(ColorQuantizer.xterm256(238, 238, 238), 255)
        XCTAssertEqual(ColorQuantizer.xterm256(0x30, 0x30, 0x30), 236)  // grey closer than cube
    }

    func testANSI8() {
        XCTAssertEqual(ColorQuantizer.ansi8Index(255, 0, 0), 1)
        XCTAssertEqual(ColorQuantizer.ansi8Index(0, 0, 0), 0)
        XCTAssertEqual(ColorQuantizer.ansi8Index(255, 255, 255), 7)
        XCTAssertEqual(ColorQuantizer.ansi8Index(0, 200, 0), 2)
        XCTAssertEqual(ColorQuantizer.ansi8Index(20, 20, 250), 4)
    }

    func testTerminalColor() {
        let c = Color.rgb(255, 0, 0)
        XCTAssertEqual(ColorQuantizer.terminalColor(c, mode: .truecolor), .rgb(255, 0, 0))
        XCTAssertEqual(ColorQuantizer.terminalColor(c, mode: .ansi256), .indexed(196))
        XCTAssertEqual(ColorQuantizer.terminalColor(c, mode: .ansi8), .indexed(1))
        XCTAssertEqual(ColorQuantizer.terminalColor(c, mode: .none), .default)
        XCTAssertEqual(ColorQuantizer.terminalColor(.default, mode: .truecolor), .default)
    }

    func testColorModeAndNoColor() {
        XCTAssertTrue(ColorMode.noColorRequested(environment: ["NO_COLOR": "1"]))
        XCTAssertFalse(ColorMode.noColorRequested(environment: ["NO_COLOR": ""]))
        XCTAssertFalse(ColorMode.noColorRequested(environment: [:]))
        XCTAssertEqual(ColorMode.detect(environment: ["NO_COLOR": "x", "COLORTERM": "truecolor"], terminalColors: 256,
                                        override: .truecolor), ColorMode.none)
        XCTAssertEqual(ColorMode.detect(environment: ["COLORTERM": "truecolor"], terminalColors: 256), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: ["COLORTERM": "24bit"], terminalColors: 8), .ansi8)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 256), .ansi256)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 0), ColorMode.none)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "dumb"], terminalColors: 8), ColorMode.none)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 8, override: .ansi256), .ansi256)
        XCTAssertTrue(ColorMode.ansi8 < .truecolor)
    }

    func testSymbolsDetectionAndASCIISet() {
        XCTAssertTrue(Symbols.detect(environment: ["LANG": "en_US.UTF-8"]).isUnicode)
        XCTAssertTrue(Symbols.detect(environment: ["LC_ALL": "C.utf8", "LANG": "C"]).isUnicode)
        XCTAssertFalse(Symbols.detect(environment: ["LC_ALL": "C", "LANG": "en_US.UTF-8"]).isUnicode)
        XCTAssertFalse(Symbols.detect(environment: [:]).isUnicode)
        let a = Symbols.ascii
        let all = a.levels + a.horizontalEighths + a.densityRamp + [a.full, a.empty, a.upperHalf, a.lowerHalf,
            a.topLeft, a.topRight, a.bottomLeft, a.bottomRight, a.horizontal, a.vertical, a.ellipsis, a.invalid,
            a.chartLine, a.chartDots, a.chartDashed, a.markerLine]
        XCTAssertTrue(all.allSatisfy(\.isASCII))
        XCTAssertEqual(a.levels.count, 8)
        XCTAssertEqual(Symbols.unicode.levels.count, 8)
        XCTAssertEqual(Symbols.brailleBits(Symbols.braille(0xA5)), 0xA5)
        XCTAssertNil(Symbols.brailleBits("a"))
    }
}
