import Foundation
import SafeIO

/// A NumPy `.npy` array: a shape and typed, C-ordered (row-major) storage.
///
/// Reads format versions 1.0, 2.0 and 3.0 (3.0 only differs by a UTF-8 header) with the dtypes `|u1`, `|i1`, `|b1`,
/// `<i4`, `<i8`, `<f4`, `<f8` (and their big-endian `>` forms, which are byte-swapped on load). Writes version 1.0
/// (2.0 when the header does not fit in 65,535 bytes), little-endian, C order, header padded to 64 bytes as NumPy does.
/// Fortran-ordered (column-major, `'fortran_order': True`) arrays are read and transposed into row-major order, so
/// `storage` is always C order whatever the file's layout (as `np.load(...)` followed by `np.ascontiguousarray`).
///
/// Thread-safety: a value; safe to share between threads. The static functions keep no state.
public struct NPYArray: Sendable, Equatable {
    /// Typed element storage, row-major over `shape`.
    public enum Storage: Sendable, Equatable {
        /// `|u1`
        case uint8([UInt8])
        /// `|i1`
        case int8([Int8])
        /// `|b1` (one byte per element, 0 or 1)
        case bool([Bool])
        /// `<i4`
        case int32([Int32])
        /// `<i8`
        case int64([Int64])
        /// `<f4`
        case float32([Float])
        /// `<f8`
        case float64([Double])

        /// Number of elements stored.
        public var count: Int {
            switch self {
            case .uint8(let a): return a.count
            case .int8(let a): return a.count
            case .bool(let a): return a.count
            case .int32(let a): return a.count
            case .int64(let a): return a.count
            case .float32(let a): return a.count
            case .float64(let a): return a.count
            }
        }

        /// This storage, read as a column-major array of `shape`, in row-major order (see `NPYArray.rowMajor`).
        func rowMajor(fromColumnMajor shape: [Int]) -> Storage {
            switch self {
            case .uint8(let a): return .uint8(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            case .int8(let a): return .int8(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            case .bool(let a): return .bool(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            case .int32(let a): return .int32(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            case .int64(let a): return .int64(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            case .float32(let a): return .float32(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            case .float64(let a): return .float64(NPYArray.rowMajor(fromColumnMajor: a, shape: shape))
            }
        }

        /// The little-endian NumPy `descr` string of this storage (`"|u1"`, `"<f4"`, ...).
        public var descr: String {
            switch self {
            case .uint8: return "|u1"
            case .int8: return "|i1"
            case .bool: return "|b1"
            case .int32: return "<i4"
            case .int64: return "<i8"
            case .float32: return "<f4"
            case .float64: return "<f8"
            }
        }
    }

    /// Dimensions, outermost first (`[]` for a scalar, which holds one element).
    public let shape: [Int]
    /// The elements, `shape.reduce(1, *)` of them.
    public let storage: Storage

    /// An array of `storage` viewed with `shape`. Throws `NPYError.sizeMismatch` when the element count differs from
    /// the product of `shape`, and `NPYError.badHeader` for a negative dimension.
    public init(shape: [Int], storage: Storage) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw NPYError.badHeader("negative dimension in shape \(shape)") }
        let expected = try NPYArray.elementCount(shape)
        guard expected == storage.count else {
            throw NPYError.sizeMismatch(expected: expected, actual: storage.count)
        }
        self.shape = shape
        self.storage = storage
    }

    /// Number of elements (product of `shape`).
    public var count: Int { storage.count }

    /// The NumPy `descr` of the storage.
    public var descr: String { storage.descr }

    /// The elements converted to `Float` (exact for `u1`/`i1`/`b1`; `i4`, `i8` and `f8` are rounded to nearest).
    public func floats() -> [Float] {
        switch storage {
        case .float32(let a): return a
        case .float64(let a): return a.map { Float($0) }
        case .uint8(let a): return a.map { Float($0) }
        case .int8(let a): return a.map { Float($0) }
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        case .int32(let a): return a.map { Float($0) }
        case .int64(let a): return a.map { Float($0) }
        }
    }

    /// The elements as `Int64` when the dtype is integral or boolean; `nil` for floating-point storage.
    public func integers() -> [Int64]? {
        switch storage {
        case .float32, .float64: return nil
        case .uint8(let a): return a.map { Int64($0) }
        case .int8(let a): return a.map { Int64($0) }
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        case .int32(let a): return a.map { Int64($0) }
        case .int64(let a): return a
        }
    }

    // MARK: Decoding

    /// Decodes a complete `.npy` file image (a Fortran-ordered array is transposed into row-major order). Throws
    /// `NPYError` naming what was wrong: bad magic, an unsupported version or dtype, a malformed header, or data shorter/longer than the header's shape promises.
    public static func decode(_ bytes: [UInt8]) throws -> NPYArray {
        try bytes.withUnsafeBytes { try decode(buffer: $0) }
    }

    /// Decodes a complete `.npy` file image held in `data` (see `decode(_: [UInt8])`).
    public static func decode(_ data: Data) throws -> NPYArray {
        try data.withUnsafeBytes { try decode(buffer: $0) }
    }

    /// Reads and decodes the `.npy` file at `url`. File-system errors are rethrown as they are; format errors are
    /// `NPYError`.
    public static func read(contentsOf url: URL) throws -> NPYArray {
        try decode(try Data(contentsOf: url))
    }

    /// The parsed header of a `.npy` file.
    public struct Header: Sendable, Equatable {
        /// The dtype string, e.g. `"<f4"`.
        public var descr: String
        /// Whether the data is in Fortran (column-major) order.
        public var fortranOrder: Bool
        /// The array shape.
        public var shape: [Int]
        /// Byte offset of the first data byte.
        public var dataOffset: Int
    }

    /// The largest header accepted (bytes), as NumPy's default `max_header_size`.
    public static let maximumHeaderBytes = 10_000

    /// Parses the magic, version and header dictionary at the start of `buffer` without touching the data.
    /// The header's length is bounded by `maximumHeaderBytes` and its nesting by 16 levels (a deeply nested header
    /// crashed the recursive parser).
    public static func parseHeader(_ buffer: UnsafeRawBufferPointer) throws -> Header {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY
        guard buffer.count >= 10 else {
            if buffer.count >= 6 && !zip(buffer.prefix(6), magic).allSatisfy({ $0 == $1 }) {
                throw NPYError.badMagic(Array(buffer.prefix(6)))
            }
            throw NPYError.truncated(expected: 10, actual: buffer.count)
        }
        let found = Array(buffer.prefix(6))
        guard found == magic else { throw NPYError.badMagic(found) }
        let major = buffer[6], minor = buffer[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(buffer[8]) | Int(buffer[9]) << 8
            headerStart = 10
        case 2, 3:
            guard buffer.count >= 12 else { throw NPYError.truncated(expected: 12, actual: buffer.count) }
            headerLength = Int(buffer[8]) | Int(buffer[9]) << 8 | Int(buffer[10]) << 16 | Int(buffer[11]) << 24
            headerStart = 12
        default:
            throw NPYError.unsupportedVersion(major: major, minor: minor)
        }
        // NumPy itself refuses headers over 10,000 bytes unless told to trust the file (`max_header_size`).
        guard headerLength <= maximumHeaderBytes else {
            throw NPYError.badHeader("header of \(headerLength) bytes is larger than \(maximumHeaderBytes)")
        }
        let dataOffset = headerStart + headerLength
        guard buffer.count >= dataOffset else { throw NPYError.truncated(expected: dataOffset, actual: buffer.count) }
        let headerBytes = UnsafeRawBufferPointer(rebasing: buffer[headerStart ..< dataOffset])
        guard let text = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw NPYError.badHeader("header is not valid text")
        }
        var parser = PyLiteralParser(text)
        guard case .dict(let dict) = try parser.parse() else {
            throw NPYError.badHeader("header is not a dictionary: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard case .string(let descr)? = dict["descr"] else { throw NPYError.badHeader("missing or non-string 'descr'") }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw NPYError.badHeader("missing or non-boolean 'fortran_order'")
        }
        guard case .tuple(let dims)? = dict["shape"] else { throw NPYError.badHeader("missing or non-tuple 'shape'") }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let v) = d, v >= 0 else { throw NPYError.badHeader("shape \(dims) has a non-integer or negative dimension") }
            shape.append(v)
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: dataOffset)
    }

    /// Decodes from raw memory (see `decode(_: [UInt8])`).
    public static func decode(buffer: UnsafeRawBufferPointer) throws -> NPYArray {
        let header = try parseHeader(buffer)
        let n = try elementCount(header.shape)
        let descr = header.descr
        guard descr.count == 3, let kindByte = descr.utf8.dropFirst().first, let width = Int(String(descr.suffix(1))) else {
            throw NPYError.unsupportedDType(descr)
        }
        let order = descr.utf8.first
        let bigEndian: Bool
        switch order {
        case UInt8(ascii: "<"), UInt8(ascii: "|"), UInt8(ascii: "="): bigEndian = false
        case UInt8(ascii: ">"): bigEndian = true
        default: throw NPYError.unsupportedDType(descr)
        }
        let kind = Character(UnicodeScalar(kindByte))
        switch (kind, width) {
        case ("u", 1), ("i", 1), ("b", 1), ("i", 4), ("i", 8), ("f", 4), ("f", 8): break
        default: throw NPYError.unsupportedDType(descr)
        }
        let (byteCount, overflow) = n.multipliedReportingOverflow(by: width)
        guard !overflow else { throw NPYError.badHeader("shape \(header.shape) is too large") }
        let available = buffer.count - header.dataOffset
        guard available == byteCount else {
            throw NPYError.sizeMismatch(expected: byteCount, actual: available)
        }
        let data = UnsafeRawBufferPointer(rebasing: buffer[header.dataOffset...])
        let storage: Storage
        switch (kind, width) {
        case ("u", 1): storage = .uint8(Array(data))
        case ("i", 1): storage = .int8(data.map { Int8(bitPattern: $0) })
        case ("b", 1): storage = .bool(data.map { $0 != 0 })
        case ("i", 4): storage = .int32(load(data, count: n, as: Int32.self, bigEndian: bigEndian))
        case ("i", 8): storage = .int64(load(data, count: n, as: Int64.self, bigEndian: bigEndian))
        case ("f", 4):
            if bigEndian || UInt32(littleEndian: 1) != 1 {
                storage = .float32(load(data, count: n, as: UInt32.self, bigEndian: bigEndian).map { Float(bitPattern: $0) })
            } else {
                storage = .float32(copyRaw(data, count: n, as: Float.self))
            }
        default:
            if bigEndian || UInt64(littleEndian: 1) != 1 {
                storage = .float64(load(data, count: n, as: UInt64.self, bigEndian: bigEndian).map { Double(bitPattern: $0) })
            } else {
                storage = .float64(copyRaw(data, count: n, as: Double.self))
            }
        }
        // With at most one dimension above 1, Fortran and C order are the same sequence.
        let needsTranspose = header.fortranOrder && header.shape.filter({ $0 > 1 }).count > 1
        return try NPYArray(shape: header.shape,
                            storage: needsTranspose ? storage.rowMajor(fromColumnMajor: header.shape) : storage)
    }

    /// The elements of a column-major (Fortran-order) array `a` of `shape`, in row-major (C) order.
    ///
    /// Element (i0, ..., ik) is at offset Σ i_j · s_j in `a`, with s_0 = 1 and s_j = s_(j-1) · shape[j-1]; the output
    /// walks the indices in C order (last index fastest) and keeps that offset up to date, one addition per element
    /// plus one correction per carry. `a.count` must equal the product of `shape`.
    public static func rowMajor<T>(fromColumnMajor a: [T], shape: [Int]) -> [T] {
        let n = a.count
        guard n > 0, shape.count > 1 else { return a }
        var strides = [Int](repeating: 1, count: shape.count)
        for j in 1..<shape.count { strides[j] = strides[j - 1] * shape[j - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        let last = shape.count - 1
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            a.withUnsafeBufferPointer { src in
                var offset = 0
                for i in 0..<n {
                    (out.baseAddress! + i).initialize(to: src[offset])
                    var k = last
                    while k >= 0 {
                        index[k] += 1
                        offset += strides[k]
                        if index[k] < shape[k] { break }
                        offset -= strides[k] * shape[k]
                        index[k] = 0
                        k -= 1
                    }
                }
            }
            initialized = n
        }
    }

    /// `count` elements of `T` copied bit for bit from `data` (which may be unaligned).
    private static func copyRaw<T: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int, as: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buf, initialized in
            if count > 0, let base = data.baseAddress, let dst = buf.baseAddress {
                UnsafeMutableRawPointer(dst).copyMemory(from: base, byteCount: count * MemoryLayout<T>.stride)
            }
            initialized = count
        }
    }

    private static func load<T: FixedWidthInteger & BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int, as: T.Type,
                                                  bigEndian: Bool) -> [T] {
        var out = copyRaw(data, count: count, as: T.self)
        if bigEndian {
            for i in out.indices { out[i] = T(bigEndian: out[i]) }
        } else if T(littleEndian: 1) != 1 {
            for i in out.indices { out[i] = T(littleEndian: out[i]) }
        }
        return out
    }

    private static func elementCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw NPYError.badHeader("shape \(shape) is too large") }
            n = p
        }
        return n
    }

    // MARK: Encoding

    /// The `.npy` file image of this array (version 1.0, or 2.0 for a header over 65,535 bytes; little-endian;
    /// C order).
    public func encoded() -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        var version: UInt8 = 1
        var prefix = 10
        if dict.utf8.count + 1 + prefix > 65_535 { version = 2; prefix = 12 }
        let unpadded = prefix + dict.utf8.count + 1
        let padding = (64 - unpadded % 64) % 64
        dict += String(repeating: " ", count: padding) + "\n"
        let headerLength = dict.utf8.count
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
        if version == 1 {
            out += [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        } else {
            out += (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) }
        }
        out += Array(dict.utf8)
        func append<T: FixedWidthInteger>(_ values: [T]) {
            out.reserveCapacity(out.count + values.count * MemoryLayout<T>.size)
            for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        }
        switch storage {
        case .uint8(let a): out += a
        case .int8(let a): out += a.map { UInt8(bitPattern: $0) }
        case .bool(let a): out += a.map { $0 ? 1 : 0 }
        case .int32(let a): append(a)
        case .int64(let a): append(a)
        case .float32(let a): append(a.map { $0.bitPattern })
        case .float64(let a): append(a.map { $0.bitPattern })
        }
        return out
    }

    /// Writes `encoded()` to `url` atomically (a temporary file renamed into place). File-system errors are rethrown.
    public func write(to url: URL) throws {
        try SafeFile.write(encoded(), to: url.path)
    }

    /// A `Float32` array of `shape`. Throws `NPYError.sizeMismatch` when `values.count` is not the product of `shape`.
    public init(float32 values: [Float], shape: [Int]) throws { try self.init(shape: shape, storage: .float32(values)) }
    /// A `UInt8` array of `shape`. Throws `NPYError.sizeMismatch` when `values.count` is not the product of `shape`.
    public init(uint8 values: [UInt8], shape: [Int]) throws { try self.init(shape: shape, storage: .uint8(values)) }
    /// An `Int32` array of `shape`. Throws `NPYError.sizeMismatch` when `values.count` is not the product of `shape`.
    public init(int32 values: [Int32], shape: [Int]) throws { try self.init(shape: shape, storage: .int32(values)) }
    /// An `Int64` array of `shape`. Throws `NPYError.sizeMismatch` when `values.count` is not the product of `shape`.
    public init(int64 values: [Int64], shape: [Int]) throws { try self.init(shape: shape, storage: .int64(values)) }
}

/// What was wrong with `.npy` bytes.
public enum NPYError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not start with `\x93NUMPY`; carries the first bytes found.
    case badMagic([UInt8])
    /// A format version other than 1.x, 2.x or 3.x.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// Fewer bytes than the fixed header needs.
    case truncated(expected: Int, actual: Int)
    /// The header dictionary is malformed; the message says how.
    case badHeader(String)
    /// A dtype (`descr`) this reader does not handle.
    case unsupportedDType(String)
    /// The data size (bytes when decoding, elements when building) differs from what the shape requires.
    case sizeMismatch(expected: Int, actual: Int)

    /// A one-line message saying what was wrong (the caller adds the file name).
    public var description: String {
        switch self {
        case .badMagic(let b):
            return "not a .npy array: bad magic \(b.map { String(format: "%02x", $0) }.joined(separator: " ")) (expected 93 4e 55 4d 50 59, \"\\x93NUMPY\")"
        case .unsupportedVersion(let major, let minor):
            return "unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)"
        case .truncated(let e, let a):
            return ".npy header truncated: expected at least \(e) bytes, found \(a)"
        case .badHeader(let m):
            return "malformed .npy header: \(m)"
        case .unsupportedDType(let d):
            return "unsupported .npy dtype '\(d)' (supported: |u1, |i1, |b1, <i4, <i8, <f4, <f8 and big-endian forms)"
        case .sizeMismatch(let e, let a):
            return ".npy size mismatch: the shape requires \(e) but \(a) are present"
        }
    }
}

/// A parser for the subset of Python literals used by `.npy` headers: dicts, tuples, lists, strings, ints, booleans.
private struct PyLiteralParser {
    enum Value: Equatable {
        case dict([String: Value]), tuple([Value]), string(String), int(Int), bool(Bool), none
    }

    private let s: [UInt8]
    private var i = 0
    /// Containers open at `i`; bounded by `maximumDepth` so a deeply nested header cannot exhaust the stack.
    private var depth = 0
    /// A real header nests two levels (`{'shape': (3, 4)}`); anything deeper than this is refused.
    static let maximumDepth = 16

    init(_ text: String) { s = Array(text.utf8) }

    mutating func parse() throws -> Value {
        let v = try value()
        skipSpace()
        guard i == s.count else { throw NPYError.badHeader("unexpected text after the dictionary at offset \(i)") }
        return v
    }

    private mutating func skipSpace() {
        while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x0D || s[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < s.count, s[i] == c else {
            throw NPYError.badHeader("expected '\(Character(UnicodeScalar(c)))' at offset \(i)")
        }
        i += 1
    }

    private mutating func value() throws -> Value {
        skipSpace()
        guard i < s.count else { throw NPYError.badHeader("unexpected end of header") }
        let opensContainer = s[i] == UInt8(ascii: "{") || s[i] == UInt8(ascii: "(") || s[i] == UInt8(ascii: "[")
        if opensContainer {
            depth += 1
            guard depth <= Self.maximumDepth else {
                throw NPYError.badHeader("nested more than \(Self.maximumDepth) levels deep at offset \(i)")
            }
        }
        defer { if opensContainer { depth -= 1 } }
        switch s[i] {
        case UInt8(ascii: "{"):
            i += 1
            var d: [String: Value] = [:]
            while true {
                skipSpace()
                if i < s.count, s[i] == UInt8(ascii: "}") { i += 1; return .dict(d) }
                guard case .string(let key) = try value() else { throw NPYError.badHeader("non-string key at offset \(i)") }
                try expect(UInt8(ascii: ":"))
                d[key] = try value()
                skipSpace()
                if i < s.count, s[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .dict(d)
            }
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = s[i] == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            i += 1
            var items: [Value] = []
            while true {
                skipSpace()
                if i < s.count, s[i] == close { i += 1; return .tuple(items) }
                items.append(try value())
                skipSpace()
                if i < s.count, s[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(close)
                return .tuple(items)
            }
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let q = s[i]
            i += 1
            let start = i
            while i < s.count, s[i] != q { i += 1 }
            guard i < s.count else { throw NPYError.badHeader("unterminated string") }
            let str = String(decoding: s[start..<i], as: UTF8.self)
            i += 1
            return .string(str)
        default:
            let start = i
            while i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "_") || (s[i] >= 0x30 && s[i] <= 0x39)
                    || (s[i] | 0x20 >= 0x61 && s[i] | 0x20 <= 0x7A) { i += 1 }
            let word = String(decoding: s[start..<i], as: UTF8.self)
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                // NumPy may write Python 2 longs as "3L".
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let v = Int(digits) else { throw NPYError.badHeader("unexpected token '\(word)' at offset \(start)") }
                return .int(v)
            }
        }
    }
}
