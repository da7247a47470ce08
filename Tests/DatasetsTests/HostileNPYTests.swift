import Datasets
import Foundation
import NeuralEngine
import XCTest

/// Hostile `.npy` headers (issue 7): a deeply nested header segfaulted the recursive parser (exit 139).
final class HostileNPYTests: XCTestCase {
    /// A version-2 `.npy` image whose header is `text` (version 2: 4-byte header length).
    private func npy(header text: String, data: [UInt8] = []) -> [UInt8] {
        let h = Array(text.utf8)
        let n = h.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF),
                UInt8(n >> 24 & 0xFF)] + h + data
    }

    func testDeeplyNestedHeaderIsRefusedNotACrash() {
        for (open, close) in [("[", "]"), ("(", ")"), ("{'a':", "}")] {
            let deep = String(repeating: open, count: 1_500) + String(repeating: close, count: 1_500)
            assertThrows(try NPYArray.decode(npy(header: deep)), contains: ["nested more than 16 levels deep"])
        }
        // Within the 10,000-byte header limit but still too deep.
        let deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 20) + String(repeating: ")", count: 20) + "}"
        assertThrows(try NPYArray.decode(npy(header: deep)), contains: ["nested more than 16 levels deep"])
    }

    func testOversizedHeaderIsRefusedBeforeParsing() {
        let big = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'pad': '" + String(repeating: "x", count: 20_000) + "'}"
        assertThrows(try NPYArray.decode(npy(header: big, data: [0, 0, 0, 0])), contains: ["larger than 10000"])
    }

    func testAHeaderDeclaringMoreThanTheFileHoldsIsRefused() {
        let lie = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
        assertThrows(try NPYArray.decode(npy(header: lie, data: [1, 2, 3])), contains: ["800000000000", "3"])
    }
}
