import XCTest
@testable import Dashboard
final class DashboardPlaceholderTests: XCTestCase { func testPlaceholder() { XCTAssertEqual(1 + 1, 2) } }
