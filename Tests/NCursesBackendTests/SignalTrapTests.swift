import Glibc
import NCursesBackend
import XCTest

/// Repeated hangups do not take the immediate-exit path (issue 7: closing the terminal delivered SIGHUP twice and the
/// final checkpoint was written in only 2 of 6 tries). If the second SIGHUP still forced the exit, this test process
/// would end with status 129 and the test run would fail.
final class SignalTrapTests: XCTestCase {
    func testRepeatedHangupsKeepTheFirstAndDoNotExit() {
        SignalTrap.clear()
        XCTAssertTrue(SignalTrap.install([SIGHUP], forceExitOnRepeat: true))
        defer { SignalTrap.uninstall([SIGHUP]); SignalTrap.clear() }
        XCTAssertNil(SignalTrap.pendingSignal())
        raise(SIGHUP)
        XCTAssertEqual(SignalTrap.pendingSignal(), SIGHUP)
        raise(SIGHUP)
        raise(SIGHUP)
        XCTAssertEqual(SignalTrap.pendingSignal(), SIGHUP, "still pending, process still running")
    }
}
