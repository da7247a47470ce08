#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NCursesBackend
import TerminalUI
import XCTest

/// Pure mapping tests: nothing here calls ncurses.
final class ColorMappingTests: XCTestCase {
    func testDefaultColourIsMinusOneInEveryColourMode() {
        XCTAssertEqual(ColorMapping.index(for: .default, mode: .ansi256), -1)
        XCTAssertEqual(ColorMapping.index(for: .default, mode: .ansi8), -1)
        XCTAssertEqual(ColorMapping.index(for: .default, mode: .truecolor), -1)
    }

    func testNoColourModeGivesNil() {
        XCTAssertNil(ColorMapping.index(for: .default, mode: .none))
        XCTAssertNil(ColorMapping.index(for: .rgb(255, 0, 0), mode: .none))
    }

    func testPrimaryAndGreys() {
        let cases: [(String, Int, Int)] = [
            ("#FF0000", 196, 1),
            ("#000000", 16, 0),
            ("#FFFFFF", 231, 7),
        ]
        for (hex, i256, i8) in cases {
            let c = Color(hex: hex)!
            XCTAssertEqual(ColorMapping.index(for: c, mode: .ansi256), i256, hex)
            XCTAssertEqual(ColorMapping.index(for: c, mode: .truecolor), i256, hex)
            XCTAssertEqual(ColorMapping.index(for: c, mode: .ansi8), i8, hex)
        }
        XCTAssertEqual(ColorMapping.index(for: Color(hex: "#808080")!, mode: .ansi256), 244)
        XCTAssertEqual(ColorMapping.index(for: Color(hex: "#80")!, mode: .ansi256), 244)
    }

    func testCubeAndRampEdges() {
        XCTAssertEqual(ColorMapping.xterm256(0, 255, 0), 46)
        XCTAssertEqual(ColorMapping.xterm256(0, 0, 255), 21)
        XCTAssertEqual(ColorMapping.xterm256(95, 135, 175), 16 + 36 * 1 + 6 * 2 + 3)
        XCTAssertEqual(ColorMapping.xterm256(8, 8, 8), 232)
        XCTAssertEqual(ColorMapping.xterm256(238, 238, 238), 255)
        XCTAssertEqual(ColorMapping.ansi8(0, 205, 0), 2)
        XCTAssertEqual(ColorMapping.ansi8(0, 0, 238), 4)
        for r in stride(from: 0, through: 255, by: 51) {
            for g in stride(from: 0, through: 255, by: 51) {
                for b in stride(from: 0, through: 255, by: 51) {
                    let i = ColorMapping.xterm256(UInt8(r), UInt8(g), UInt8(b))
                    XCTAssertTrue((16...255).contains(i), "\(r),\(g),\(b) -> \(i)")
                    XCTAssertTrue((0...7).contains(ColorMapping.ansi8(UInt8(r), UInt8(g), UInt8(b))))
                }
            }
        }
    }

    func testSignalExitStatus() {
        XCTAssertEqual(SignalTrap.exitStatus(for: SIGINT), 130)
        XCTAssertEqual(SignalTrap.exitStatus(for: SIGTERM), 143)
        XCTAssertEqual(SignalTrap.exitStatus(for: SIGHUP), 129)
    }
}
