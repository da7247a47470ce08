import Foundation
import NeuralEngine
import XCTest

final class NPYTests: XCTestCase {
    func testFloat32RoundTrip() throws {
        let a = try NPYArray(float32: [1.5, -2, 0, 3.25, .infinity, -0.125], shape: [2, 3])
        let bytes = a.encoded()
        XCTAssertEqual(Array(bytes.prefix(8)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "header padded to 64 bytes")
        XCTAssertEqual(bytes[10 + headerLength - 1], 0x0A, "header ends with a newline")
        XCTAssertEqual(bytes.count, 10 + headerLength + 24)
        let b = try NPYArray.decode(bytes)
        XCTAssertEqual(b.shape, [2, 3])
        XCTAssertEqual(b.storage, .float32([1.5, -2, 0, 3.25, .infinity, -0.125]))
        XCTAssertEqual(b, a)
    }

    func testIntegerAndByteRoundTrips() throws {
        for a in [try NPYArray(uint8: [0, 1, 255], shape: [3]),
                  try NPYArray(int32: [Int32.min, -1, 0, Int32.max], shape: [2, 2]),
                  try NPYArray(int64: [Int64.min, 42], shape: [2, 1]),
                  try NPYArray(shape: [], storage: .float64([3.5])),
                  try NPYArray(shape: [2], storage: .bool([true, false])),
                  try NPYArray(shape: [0, 4], storage: .float32([]))] {
            XCTAssertEqual(try NPYArray.decode(a.encoded()), a)
        }
    }

    func testSizeMismatchOnConstruction() {
        assertThrows(try NPYArray(float32: [1, 2, 3], shape: [2, 2]), contains: ["size mismatch", "4", "3"])
    }

    func testBadMagic() {
        var bytes = (try? NPYArray(uint8: [1], shape: [1]).encoded()) ?? []
        bytes[1] = 0x58
        assertThrows(try NPYArray.decode(bytes), contains: ["bad magic", "93 58 55 4d 50 59"])
    }

    func testTruncatedData() throws {
        let bytes = try NPYArray(int32: [1, 2, 3], shape: [3]).encoded()
        assertThrows(try NPYArray.decode(Array(bytes.dropLast(2))), contains: ["size mismatch", "12", "10"])
    }

    func testUnsupportedDTypeAndMissingFortranOrderKey() throws {
        func file(_ header: String, dataBytes: Int) -> [UInt8] {
            var h = header
            while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
            h += "\n"
            let n = h.utf8.count
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(h.utf8)
                + [UInt8](repeating: 0, count: dataBytes)
        }
        assertThrows(try NPYArray.decode(file("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", dataBytes: 16)),
                     contains: ["unsupported", "<c16"])
        // A 1-D Fortran-ordered array is the same as C order and is accepted.
        let v = try NPYArray.decode(file("{'descr': '<i4', 'fortran_order': True, 'shape': (2,), }", dataBytes: 8))
        XCTAssertEqual(v.storage, .int32([0, 0]))
        // Big-endian data is swapped.
        var be = file("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", dataBytes: 0)
        be += [0, 0, 1, 2]
        XCTAssertEqual(try NPYArray.decode(be).storage, .int32([258]))
        assertThrows(try NPYArray.decode(file("{'descr': '<f4', 'shape': (1,), }", dataBytes: 4)),
                     contains: ["fortran_order"])
    }

    /// Files written by NumPy 2.4.6 with `np.save(f, np.asfortranarray(a))` (bytes committed here, base64), so the
    /// test needs no Python: the header says `'fortran_order': True` and the data are column-major.
    func testFortranOrderedArraysAreTransposedIntoRowMajor() throws {
        func decode(_ base64: String) throws -> NPYArray {
            try NPYArray.decode(Array(try XCTUnwrap(Data(base64Encoded: base64))))
        }
        // a = [[1.5, 2, -3], [4, 5.25, 6]] float32; on disk (order='K'): 1.5 4 2 5.25 -3 6.
        let f4 = try decode("k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AACAQAAAAEAAAKhAAABAwAAAwEA=")
        XCTAssertEqual(f4.shape, [2, 3])
        XCTAssertEqual(f4.storage, .float32([1.5, 2, -3, 4, 5.25, 6]))
        // a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4); on disk: 0 12 4 16 8 20 1 13 5 17 9 21 2 14 ...
        let u1 = try decode("k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoADAQQCBQBDQURCRUCDgYSChYDDwcTCxc=")
        XCTAssertEqual(u1.shape, [2, 3, 4])
        XCTAssertEqual(u1.storage, .uint8(Array(0..<24)))
        // a = [[1, -2], [3, 4], [5, 6]] as big-endian int64 ('>i8'): swapped and transposed.
        let i8 = try decode("k05VTVBZAQB2AHsnZGVzY3InOiAnPmk4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMywgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAQAAAAAAAAADAAAAAAAAAAX//////////gAAAAAAAAAEAAAAAAAAAAY=")
        XCTAssertEqual(i8.shape, [3, 2])
        XCTAssertEqual(i8.storage, .int64([1, -2, 3, 4, 5, 6]))
        // Shapes with only one dimension above 1 are the same in both orders; an empty array stays empty.
        XCTAssertEqual(NPYArray.rowMajor(fromColumnMajor: [1, 2, 3], shape: [1, 3, 1]), [1, 2, 3])
        XCTAssertEqual(NPYArray.rowMajor(fromColumnMajor: [Int](), shape: [0, 4]), [])
        // 2x2x2 by hand: element (i, j, k) is at i + 2j + 4k on disk.
        let disk = [0, 4, 2, 6, 1, 5, 3, 7].map { "e\($0)" }   // C index of each disk position
        XCTAssertEqual(NPYArray.rowMajor(fromColumnMajor: disk, shape: [2, 2, 2]), (0..<8).map { "e\($0)" })
    }

    func testReadsArraysWrittenByNumPy() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try runPython("""
        import numpy as np
        np.save('f4.npy', np.array([[1.5, 2.0, -3.0], [4.0, 5.25, 6.0]], dtype=np.float32))
        np.save('u1.npy', np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
        np.save('i8.npy', np.array([-1, 0, 7], dtype=np.int64))
        np.save('f8.npy', np.array([0.1, 1e300]))
        np.save('b1.npy', np.array([True, False, True]))
        np.save('i4.npy', np.array([[1, -2]], dtype=np.int32))
        np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
        np.save('c16.npy', np.ones(2, dtype=np.complex128))
        np.lib.format.write_array(open('v2.npy', 'wb'), np.array([1, 2], dtype=np.uint8), version=(2, 0))
        """, in: dir.path)
        func load(_ n: String) throws -> NPYArray { try NPYArray.read(contentsOf: URL(fileURLWithPath: dir.file(n))) }
        let f4 = try load("f4.npy")
        XCTAssertEqual(f4.shape, [2, 3])
        XCTAssertEqual(f4.storage, .float32([1.5, 2, -3, 4, 5.25, 6]))
        let u1 = try load("u1.npy")
        XCTAssertEqual(u1.shape, [2, 3, 4])
        XCTAssertEqual(u1.storage, .uint8(Array(0..<24)))
        XCTAssertEqual(try load("i8.npy").storage, .int64([-1, 0, 7]))
        XCTAssertEqual(try load("f8.npy").storage, .float64([0.1, 1e300]))
        XCTAssertEqual(try load("b1.npy").storage, .bool([true, false, true]))
        XCTAssertEqual(try load("i4.npy").integers(), [1, -2])
        XCTAssertEqual(try load("v2.npy").storage, .uint8([1, 2]))
        // np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)) holds 0 3 1 4 2 5 on disk; read back in C order.
        let fortran = try load("fortran.npy")
        XCTAssertEqual(fortran.shape, [2, 3])
        XCTAssertEqual(fortran.storage, .float32([0, 1, 2, 3, 4, 5]))
        assertThrows(try load("c16.npy"), contains: ["unsupported", "<c16"])

        // And NumPy reads what we write.
        try NPYArray(float32: [0.5, -1, 2, 3], shape: [2, 2]).write(to: URL(fileURLWithPath: dir.file("ours.npy")))
        try runPython("""
        import numpy as np
        a = np.load('ours.npy')
        assert a.dtype == np.float32 and a.shape == (2, 2), (a.dtype, a.shape)
        assert (a == np.array([[0.5, -1], [2, 3]], dtype=np.float32)).all(), a
        """, in: dir.path)
    }
}
