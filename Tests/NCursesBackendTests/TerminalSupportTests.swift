#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import NCursesBackend
import XCTest

/// `Terminal.unsupportedTerminal()`: which TERM values can drive the dashboard. The entries come from the system's
/// terminfo database (ncurses-base / ncurses-term, installed by .ci/deps); `infocmp dumb` shows no `cup`.
final class TerminalSupportTests: XCTestCase {
    private var savedTerm: String?

    override func setUp() {
        savedTerm = getenv("TERM").map { String(cString: $0) }
    }

    override func tearDown() {
        if let savedTerm { setenv("TERM", savedTerm, 1) } else { unsetenv("TERM") }
    }

    private func check(_ term: String?) -> TerminalError? {
        if let term { setenv("TERM", term, 1) } else { unsetenv("TERM") }
        return Terminal.unsupportedTerminal()
    }

    func testFullScreenTerminalsAreUsable() {
        for term in ["xterm-256color", "xterm", "screen", "tmux-256color", "vt100", "linux"] {
            XCTAssertNil(check(term), term)
        }
    }

    func testTerminalsWithoutCursorAddressingAreRejected() {
        // dumb: "am, cols#80, bel, cr, cud1, ind" only. emacs's M-x shell sets TERM=dumb.
        guard case .noCursorAddressing(term: "dumb")? = check("dumb") else {
            return XCTFail("dumb: \(String(describing: check("dumb")))")
        }
        XCTAssertEqual(check("dumb")?.description, "TERM='dumb' cannot move the cursor (no cup in its terminfo entry)")
    }

    func testUnknownEmptyAndUnsetTermAreRejected() {
        guard case .cannotInitialize(term: "tb-no-such-terminal")? = check("tb-no-such-terminal") else {
            return XCTFail("unknown TERM accepted")
        }
        guard case .cannotInitialize(term: nil)? = check("") else { return XCTFail("empty TERM accepted") }
        guard case .cannotInitialize(term: nil)? = check(nil) else { return XCTFail("unset TERM accepted") }
    }

    func testCheckingTwiceGivesTheSameAnswerAndLeavesNoTerminalBehind() {
        // The check frees the entry it loaded; a second round must not see state left by the first.
        for _ in 0..<3 {
            XCTAssertNil(check("xterm-256color"))
            XCTAssertNotNil(check("dumb"))
        }
    }
}
