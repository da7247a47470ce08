import XCTest
@testable import Dashboard

final class ReducerTests: XCTestCase {
    func reduce(_ s: inout DashboardState, _ k: KeyInput, _ status: TrainingStatus = .running) -> [DashboardEffect] {
        DashboardReducer.reduce(&s, key: k, status: status, themeCount: 5)
    }

    func testTrainingKeysSendCommands() {
        var s = DashboardState()
        XCTAssertEqual(reduce(&s, .char("p")), [.command(.togglePause)])
        XCTAssertEqual(reduce(&s, .char(" ")), [.command(.togglePause)])
        XCTAssertEqual(reduce(&s, .char("c")), [.command(.checkpoint)])
        XCTAssertEqual(reduce(&s, .char("+")), [.command(.scaleLearningRate(1.25))])
        XCTAssertEqual(reduce(&s, .char("-")), [.command(.scaleLearningRate(0.8))])
        XCTAssertEqual(reduce(&s, .char("s")), [.command(.stop)])
        XCTAssertFalse(s.quitRequested, "s stops but keeps the dashboard")
    }

    func testNoCommandsAfterTrainingEnded() {
        var s = DashboardState()
        for k in ["p", "c", "s", "+", "-"] { XCTAssertEqual(reduce(&s, .char(Character(k)), .finished("done")), []) }
    }

    func testQuitStopsFirstThenSecondQuitSkipsSummary() {
        var s = DashboardState()
        XCTAssertEqual(reduce(&s, .char("q")), [.command(.stop)])
        XCTAssertTrue(s.quitRequested)
        XCTAssertFalse(s.skipSummary)
        XCTAssertEqual(reduce(&s, .char("q"), .stopping), [.exit])
        XCTAssertTrue(s.skipSummary)
        var done = DashboardState()
        XCTAssertEqual(reduce(&done, .char("q"), .finished("completed")), [.exit])
        XCTAssertFalse(done.skipSummary)
    }

    func testTypingAnExactLearningRate() {
        var s = DashboardState()
        XCTAssertEqual(reduce(&s, .char("l")), [])
        XCTAssertEqual(s.lrInput, "")
        for c in "2.5e-3x" { _ = reduce(&s, .char(c)) }
        XCTAssertEqual(s.lrInput, "2.5e-3", "letters other than e are ignored")
        XCTAssertEqual(reduce(&s, .char("q")), [], "q is text while typing, not quit")
        XCTAssertFalse(s.quitRequested)
        XCTAssertEqual(reduce(&s, .enter), [.command(.setLearningRate(0.0025))])
        XCTAssertNil(s.lrInput)
        _ = reduce(&s, .char("l")); _ = reduce(&s, .char("-")); _ = reduce(&s, .char("1"))
        XCTAssertEqual(reduce(&s, .enter), [])
        XCTAssertEqual(s.message, "not a positive number: '-1'")
        _ = reduce(&s, .char("l")); _ = reduce(&s, .char("5")); _ = reduce(&s, .backspace)
        XCTAssertEqual(s.lrInput, "")
        XCTAssertEqual(reduce(&s, .escape), [])
        XCTAssertNil(s.lrInput)
    }

    func testViewToggles() {
        var s = DashboardState()
        XCTAssertEqual(reduce(&s, .tab), []); XCTAssertEqual(s.chartView, .recent)
        _ = reduce(&s, .tab); XCTAssertEqual(s.chartView, .perBatch)
        _ = reduce(&s, .tab); XCTAssertEqual(s.chartView, .whole)
        for _ in 0..<5 { _ = reduce(&s, .char("t")) }
        XCTAssertEqual(s.themeIndex, 0, "five themes cycle back")
        _ = reduce(&s, .char("d")); XCTAssertTrue(s.showDigits)
        _ = reduce(&s, .char("?")); XCTAssertTrue(s.showHelp)
        _ = reduce(&s, .escape); XCTAssertFalse(s.showHelp)
        _ = reduce(&s, .char("g")); XCTAssertTrue(s.logScaleLR)
        XCTAssertEqual(reduce(&s, .resize), [.redraw])
    }
}
