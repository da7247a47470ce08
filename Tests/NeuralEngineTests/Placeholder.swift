import XCTest
@testable import NeuralEngine
final class NeuralEnginePlaceholderTests: XCTestCase { func testPlaceholder() { XCTAssertEqual(1 + 1, 2) } }
