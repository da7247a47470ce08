import Foundation
import XCTest

/// A fresh temporary directory for one test, removed by the caller's `addTeardownBlock`.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tbkit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Where Debian's dataset-fashion-mnist installs the IDX files.
let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
