import XCTest
@testable import HyperSearch
final class PlaceholderTests: XCTestCase {}
