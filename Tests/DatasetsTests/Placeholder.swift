import XCTest
@testable import Datasets
final class DatasetsPlaceholderTests: XCTestCase { func testPlaceholder() { XCTAssertEqual(1 + 1, 2) } }
