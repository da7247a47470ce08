import XCTest
@testable import TerminalUI
final class TerminalUIPlaceholderTests: XCTestCase { func testPlaceholder() { XCTAssertEqual(1 + 1, 2) } }
