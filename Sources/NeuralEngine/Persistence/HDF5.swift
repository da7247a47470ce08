import CHDF5
import Foundation

/// A failed libhdf5 call: what Trainboard was doing and the library's own reason (its error stack, innermost
/// message), e.g. `open the HDF5 file: unable to open file (file signature not found)`.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// What failed and why, one line.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A small Swift layer over libhdf5 (Debian's `libhdf5-dev`, the serial 1.10 library) with just what Keras's files
/// need: files held in memory (written out and read in through `SafeFile`, so every write is atomic and every read
/// bounded), groups, float32 datasets with shapes, int32 scalars, and string attributes written as h5py writes
/// Python `str` values (variable-length, UTF-8).
///
/// Errors: every libhdf5 failure is thrown as `HDF5Error`; nothing traps on a malformed file (the library's automatic
/// error printing is turned off). Sizes read from a file (ranks, element counts, attribute and name lengths, member
/// counts) are bounded before anything is allocated.
///
/// Thread-safety: Debian's libhdf5 is built thread-safe (`H5_HAVE_THREADSAFE`: one lock around every call), so
/// different `HDF5File`s may be used from different threads; one file and its groups must be used from one thread
/// at a time.
public final class HDF5File {
    let id: hid_t

    /// The largest rank of a dataset read (Keras's Dense weights have 1 or 2 dimensions).
    public static let maximumRank = 8
    /// The most members of a group, or strings in one attribute, that are read.
    public static let maximumMembers = 1 << 16
    /// The longest string (attribute value or member name) read, in bytes.
    public static let maximumStringBytes = 64 << 20

    private init(id: hid_t) { self.id = id }

    deinit { H5Fclose(id) }

    /// A new, empty HDF5 file in memory (libhdf5's core driver without a backing file); get its bytes with `image()`.
    /// - Throws: `HDF5Error` when libhdf5 cannot create it.
    public static func create() throws -> HDF5File {
        tb_h5_quiet()
        let fapl = try h5check(H5Pcreate(tb_h5_file_access()), "create a file access property list")
        defer { H5Pclose(fapl) }
        try h5check(H5Pset_fapl_core(fapl, 1 << 16, false), "select the in-memory driver")
        let fid = try h5check(H5Fcreate("trainboard-memory.h5", tb_h5_acc_trunc(), tb_h5_default(), fapl),
                              "create an HDF5 file in memory")
        return HDF5File(id: fid)
    }

    /// Opens the HDF5 file whose bytes are `image` (read-only; the bytes are copied).
    /// - Throws: `HDF5Error` when the bytes are not an HDF5 file libhdf5 can open.
    public static func open(image: [UInt8]) throws -> HDF5File {
        tb_h5_quiet()
        guard image.count >= 8, image.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw HDF5Error("not an HDF5 file (no HDF5 signature at the start)")
        }
        try checkSuperblock(image)
        let fapl = try h5check(H5Pcreate(tb_h5_file_access()), "create a file access property list")
        defer { H5Pclose(fapl) }
        try h5check(H5Pset_fapl_core(fapl, 1 << 16, false), "select the in-memory driver")
        _ = try image.withUnsafeBytes { b in
            try h5check(H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: b.baseAddress), b.count),
                        "hand the file's bytes to libhdf5")
        }
        let fid = try h5check(H5Fopen("trainboard-image.h5", tb_h5_acc_rdonly(), fapl), "open the HDF5 file")
        return HDF5File(id: fid)
    }

    /// Checks the superblock (HDF5 file format specification, "Superblock", versions 0-3) before libhdf5 sees the
    /// bytes: a known version, 8-byte offsets and lengths (what libhdf5 writes on 64-bit systems), base address 0,
    /// and an end-of-file address no larger than the bytes present. A truncated file is refused here with its two
    /// sizes, because libhdf5 1.10 can read past the end of a truncated image's heaps instead of failing.
    static func checkSuperblock(_ b: [UInt8]) throws {
        func le64(_ at: Int) -> UInt64? {
            guard at >= 0, at + 8 <= b.count else { return nil }
            return (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
        }
        guard b.count > 12 else { throw HDF5Error("the file is truncated: \(b.count) bytes, shorter than an HDF5 superblock") }
        let version = b[8]
        let offsetsAt: Int, eofAt: Int
        switch version {
        case 0, 1:
            offsetsAt = 13
            eofAt = (version == 0 ? 24 : 28) + 16
        case 2, 3:
            offsetsAt = 9
            eofAt = 12 + 16
        default:
            throw HDF5Error("unknown HDF5 superblock version \(version)")
        }
        guard b[offsetsAt] == 8, b[offsetsAt + 1] == 8 else {
            throw HDF5Error("HDF5 offsets of \(b[offsetsAt]) and lengths of \(b[offsetsAt + 1]) bytes are not supported (8 expected)")
        }
        let baseAt = version <= 1 ? (version == 0 ? 24 : 28) : 12
        guard let base = le64(baseAt), let eof = le64(eofAt) else {
            throw HDF5Error("the file is truncated: \(b.count) bytes end inside the HDF5 superblock")
        }
        guard base == 0 else { throw HDF5Error("an HDF5 base address of \(base) is not supported (0 expected)") }
        guard eof <= UInt64(b.count) else {
            throw HDF5Error("the file is truncated: it has \(b.count) bytes but its HDF5 superblock says \(eof)")
        }
    }

    /// The file's bytes as they would be on disk.
    /// - Throws: `HDF5Error` when libhdf5 cannot flush or copy the image.
    public func image() throws -> [UInt8] {
        try h5check(H5Fflush(id, H5F_SCOPE_GLOBAL), "flush the HDF5 file")
        let size = try h5check(H5Fget_file_image(id, nil, 0), "measure the HDF5 file")
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = try bytes.withUnsafeMutableBytes { b in
            try h5check(H5Fget_file_image(id, b.baseAddress, b.count), "copy the HDF5 file")
        }
        guard copied == size else { throw HDF5Error("copy the HDF5 file: got \(copied) of \(size) bytes") }
        return bytes
    }

    /// The root group `/`.
    /// - Throws: `HDF5Error` when it cannot be opened (a damaged file).
    public func root() throws -> HDF5Group {
        HDF5Group(file: self, id: try h5check(H5Gopen2(id, "/", tb_h5_default()), "open the root group"), path: "")
    }
}

/// A group in an `HDF5File` (kept open until released). `path` is its path from the root (`layers/dense/vars`), for
/// messages.
public final class HDF5Group {
    let file: HDF5File
    let id: hid_t
    /// The group's path from the root, without a leading `/` (empty for the root).
    public let path: String

    init(file: HDF5File, id: hid_t, path: String) {
        self.file = file
        self.id = id
        self.path = path
    }

    deinit { H5Gclose(id) }

    func child(_ name: String) -> String { path.isEmpty ? name : path + "/" + name }

    // MARK: Members

    /// Creates the group `name` (one path component) inside this one.
    /// - Throws: `HDF5Error` (e.g. the name exists).
    public func createGroup(_ name: String) throws -> HDF5Group {
        let gid = try h5check(H5Gcreate2(id, name, tb_h5_default(), tb_h5_default(), tb_h5_default()),
                              "create group \(child(name))")
        return HDF5Group(file: file, id: gid, path: child(name))
    }

    /// Whether a link `name` (one path component) exists here.
    public func contains(_ name: String) -> Bool {
        guard !name.isEmpty, !name.contains("/"), name != "." else { return false }
        let r = H5Lexists(id, name, tb_h5_default())
        if r < 0 { tb_h5_clear() }
        return r > 0
    }

    /// Opens the member group `name` (one path component).
    /// - Throws: `HDF5Error` naming the path when it is missing or not a group.
    public func group(_ name: String) throws -> HDF5Group {
        guard contains(name) else { throw HDF5Error("no group \(child(name))") }
        let oid = try h5check(H5Oopen(id, name, tb_h5_default()), "open \(child(name))")
        guard H5Iget_type(oid) == H5I_GROUP else {
            H5Oclose(oid)
            throw HDF5Error("\(child(name)) is not a group")
        }
        return HDF5Group(file: file, id: oid, path: child(name))
    }

    /// Whether the member `name` is a dataset.
    public func isDataset(_ name: String) -> Bool {
        guard contains(name) else { return false }
        let oid = H5Oopen(id, name, tb_h5_default())
        guard oid >= 0 else { tb_h5_clear(); return false }
        defer { H5Oclose(oid) }
        return H5Iget_type(oid) == H5I_DATASET
    }

    /// The names of the members (links) of this group, in name order (at most `HDF5File.maximumMembers`).
    /// - Throws: `HDF5Error` when the group cannot be listed or has too many members.
    public func memberNames() throws -> [String] {
        var info = H5G_info_t()
        try h5check(H5Gget_info(id, &info), "list group \(path.isEmpty ? "/" : path)")
        guard info.nlinks <= UInt64(HDF5File.maximumMembers) else {
            throw HDF5Error("group \(path.isEmpty ? "/" : path) has \(info.nlinks) members, more than the \(HDF5File.maximumMembers) read")
        }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = try h5check(H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, tb_h5_default()),
                                "read a member name of \(path.isEmpty ? "/" : path)")
            guard n < 4096 else { throw HDF5Error("a member name of \(path.isEmpty ? "/" : path) is \(n) bytes long") }
            var buffer = [CChar](repeating: 0, count: n + 1)
            try h5check(H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, n + 1, tb_h5_default()),
                        "read a member name of \(path.isEmpty ? "/" : path)")
            names.append(String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    // MARK: Datasets

    /// Writes a float32 dataset `name` of `shape` (row-major; `[]` = a scalar) holding `values`
    /// (`values.count` = the product of `shape`), as h5py writes a `float32` NumPy array (little-endian IEEE,
    /// contiguous).
    /// - Throws: `HDF5Error`; a count that does not match the shape is refused.
    public func write(_ name: String, float32 values: [Float], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw HDF5Error("dataset \(child(name)): \(values.count) values for shape \(shape)")
        }
        try write(name, fileType: tb_h5_ieee_f32le(), memoryType: tb_h5_native_float(), shape: shape, values: values)
    }

    /// Writes an int32 scalar dataset `name` (Keras's optimizer `iteration`).
    /// - Throws: `HDF5Error`.
    public func write(_ name: String, int32 value: Int32) throws {
        try write(name, fileType: tb_h5_std_i32le(), memoryType: tb_h5_native_int32(), shape: [], values: [value])
    }

    private func write<T>(_ name: String, fileType: hid_t, memoryType: hid_t, shape: [Int], values: [T]) throws {
        let space: hid_t
        if shape.isEmpty {
            space = try h5check(H5Screate(H5S_SCALAR), "create a scalar dataspace")
        } else {
            let dims = shape.map { hsize_t($0) }
            space = try h5check(H5Screate_simple(Int32(dims.count), dims, nil), "create a dataspace of shape \(shape)")
        }
        defer { H5Sclose(space) }
        let ds = try h5check(H5Dcreate2(id, name, fileType, space, tb_h5_default(), tb_h5_default(), tb_h5_default()),
                             "create dataset \(child(name))")
        defer { H5Dclose(ds) }
        guard !values.isEmpty else { return }
        _ = try values.withUnsafeBytes { b in
            try h5check(H5Dwrite(ds, memoryType, tb_h5_all(), tb_h5_all(), tb_h5_default(), b.baseAddress),
                        "write dataset \(child(name))")
        }
    }

    /// Reads the numeric dataset `name` as float32 (libhdf5 converts from float64 or integers): its shape (`[]` for a
    /// scalar) and row-major values.
    /// - Parameter maxElements: refuse a dataset with more elements (before allocating).
    /// - Throws: `HDF5Error` naming the dataset when it is missing, not numeric, of a too high rank, too large, or
    ///   unreadable.
    public func readFloats(_ name: String, maxElements: Int) throws -> (shape: [Int], values: [Float]) {
        let (ds, shape, count) = try openNumeric(name, maxElements: maxElements)
        defer { H5Dclose(ds) }
        guard count > 0 else { return (shape, []) }
        var values = [Float](repeating: 0, count: count)
        _ = try values.withUnsafeMutableBytes { b in
            try h5check(H5Dread(ds, tb_h5_native_float(), tb_h5_all(), tb_h5_all(), tb_h5_default(), b.baseAddress),
                        "read dataset \(child(name))")
        }
        return (shape, values)
    }

    /// Reads the numeric scalar (or one-element) dataset `name` as a 64-bit integer (Keras's `iteration`).
    /// - Throws: `HDF5Error` naming the dataset.
    public func readInteger(_ name: String) throws -> Int64 {
        let (ds, shape, count) = try openNumeric(name, maxElements: 1)
        defer { H5Dclose(ds) }
        guard count == 1 else { throw HDF5Error("dataset \(child(name)) has shape \(shape), expected a scalar") }
        var v: Int64 = 0
        try h5check(H5Dread(ds, tb_h5_native_int64(), tb_h5_all(), tb_h5_all(), tb_h5_default(), &v),
                    "read dataset \(child(name))")
        return v
    }

    private func openNumeric(_ name: String, maxElements: Int) throws -> (hid_t, [Int], Int) {
        guard isDataset(name) else { throw HDF5Error("no dataset \(child(name))") }
        let ds = try h5check(H5Dopen2(id, name, tb_h5_default()), "open dataset \(child(name))")
        do {
            let type = try h5check(H5Dget_type(ds), "read the type of dataset \(child(name))")
            let cls = H5Tget_class(type)
            H5Tclose(type)
            guard cls == H5T_FLOAT || cls == H5T_INTEGER else {
                throw HDF5Error("dataset \(child(name)) is not numeric (HDF5 type class \(cls.rawValue))")
            }
            let space = try h5check(H5Dget_space(ds), "read the shape of dataset \(child(name))")
            defer { H5Sclose(space) }
            let shape = try dimensions(space, what: "dataset \(child(name))")
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, p <= maxElements else {
                    throw HDF5Error("dataset \(child(name)) has shape \(shape), more than the \(maxElements) values expected")
                }
                count = p
            }
            return (ds, shape, count)
        } catch {
            H5Dclose(ds)
            throw error
        }
    }

    /// The dimensions of a dataspace (`[]` for a scalar), bounded in rank.
    private func dimensions(_ space: hid_t, what: String) throws -> [Int] {
        let kind = H5Sget_simple_extent_type(space)
        if kind == H5S_SCALAR { return [] }
        guard kind == H5S_SIMPLE else { throw HDF5Error("\(what) has no data (null dataspace)") }
        let rank = try h5check(H5Sget_simple_extent_ndims(space), "read the rank of \(what)")
        guard rank <= HDF5File.maximumRank else {
            throw HDF5Error("\(what) has \(rank) dimensions, more than the \(HDF5File.maximumRank) read")
        }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try h5check(H5Sget_simple_extent_dims(space, &dims, nil), "read the shape of \(what)")
        guard dims.allSatisfy({ $0 <= hsize_t(Int32.max) }) else { throw HDF5Error("\(what) has dimensions \(dims)") }
        return dims.map { Int($0) }
    }

    // MARK: Attributes

    /// The names of this group's attributes.
    /// - Throws: `HDF5Error`.
    public func attributeNames() throws -> [String] {
        let n = try h5check(H5Aget_num_attrs(id), "count the attributes of \(path.isEmpty ? "/" : path)")
        guard n <= Int32(HDF5File.maximumMembers) else {
            throw HDF5Error("\(path.isEmpty ? "/" : path) has \(n) attributes")
        }
        var names: [String] = []
        for i in 0..<Int(n) {
            let aid = try h5check(H5Aopen_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(i), tb_h5_default(), tb_h5_default()),
                                  "open an attribute of \(path.isEmpty ? "/" : path)")
            defer { H5Aclose(aid) }
            let len = try h5check(H5Aget_name(aid, 0, nil), "read an attribute name")
            guard len < 4096 else { throw HDF5Error("an attribute name of \(path.isEmpty ? "/" : path) is \(len) bytes long") }
            var buffer = [CChar](repeating: 0, count: len + 1)
            try h5check(H5Aget_name(aid, len + 1, &buffer), "read an attribute name")
            names.append(String(decoding: buffer.prefix(len).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Whether the attribute `name` exists.
    public func hasAttribute(_ name: String) -> Bool {
        let r = H5Aexists(id, name)
        if r < 0 { tb_h5_clear() }
        return r > 0
    }

    /// Sets the attribute `name` to one string, as h5py writes a Python `str` (variable-length, UTF-8, scalar).
    /// - Throws: `HDF5Error`.
    public func setAttribute(_ name: String, string value: String) throws {
        try setStrings(name, [value], scalar: true)
    }

    /// Sets the attribute `name` to a 1-D array of strings, as h5py writes a list of Python `str` or `bytes`
    /// (variable-length strings; Keras's `layer_names` and `weight_names`). An empty list is written as h5py writes
    /// `[]`: an empty float64 array.
    /// - Throws: `HDF5Error`.
    public func setAttribute(_ name: String, strings values: [String]) throws {
        if values.isEmpty {
            let dims: [hsize_t] = [0]
            let space = try h5check(H5Screate_simple(1, dims, nil), "create an empty dataspace")
            defer { H5Sclose(space) }
            let aid = try h5check(H5Acreate2(id, name, tb_h5_ieee_f64le(), space, tb_h5_default(), tb_h5_default()),
                                  "create attribute \(name) of \(path.isEmpty ? "/" : path)")
            H5Aclose(aid)
            return
        }
        try setStrings(name, values, scalar: false)
    }

    private func setStrings(_ name: String, _ values: [String], scalar: Bool) throws {
        let type = try h5check(H5Tcopy(tb_h5_c_s1()), "create a string type")
        defer { H5Tclose(type) }
        try h5check(H5Tset_size(type, tb_h5_variable()), "make a variable-length string type")
        try h5check(H5Tset_cset(type, H5T_CSET_UTF8), "make a UTF-8 string type")
        let space: hid_t
        if scalar {
            space = try h5check(H5Screate(H5S_SCALAR), "create a scalar dataspace")
        } else {
            let dims: [hsize_t] = [hsize_t(values.count)]
            space = try h5check(H5Screate_simple(1, dims, nil), "create a dataspace")
        }
        defer { H5Sclose(space) }
        if hasAttribute(name) { try h5check(H5Adelete(id, name), "replace attribute \(name)") }
        let aid = try h5check(H5Acreate2(id, name, type, space, tb_h5_default(), tb_h5_default()),
                              "create attribute \(name) of \(path.isEmpty ? "/" : path)")
        defer { H5Aclose(aid) }
        let cStrings = values.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers = cStrings.map { UnsafePointer<CChar>($0) }
        try h5check(H5Awrite(aid, type, &pointers), "write attribute \(name) of \(path.isEmpty ? "/" : path)")
    }

    /// The attribute `name` as strings (nil when absent): variable-length or fixed-length strings (Keras 2 wrote
    /// fixed-length `bytes` arrays), one per element; a numeric attribute with no elements (h5py's `[]`) is `[]`.
    /// - Throws: `HDF5Error` naming the attribute when it holds something else or is too large.
    public func strings(_ name: String) throws -> [String]? {
        guard hasAttribute(name) else { return nil }
        let what = "attribute \(name) of \(path.isEmpty ? "/" : path)"
        let aid = try h5check(H5Aopen(id, name, tb_h5_default()), "open \(what)")
        defer { H5Aclose(aid) }
        let type = try h5check(H5Aget_type(aid), "read the type of \(what)")
        defer { H5Tclose(type) }
        let space = try h5check(H5Aget_space(aid), "read the shape of \(what)")
        defer { H5Sclose(space) }
        let shape = try dimensions(space, what: what)
        guard shape.count <= 1, (shape.first ?? 1) <= HDF5File.maximumMembers else {
            throw HDF5Error("\(what) has shape \(shape), expected a string or a list of strings")
        }
        let n = shape.first ?? 1
        let cls = H5Tget_class(type)
        if cls != H5T_STRING {
            if n == 0 && (cls == H5T_FLOAT || cls == H5T_INTEGER) { return [] }
            throw HDF5Error("\(what) is not a string (HDF5 type class \(cls.rawValue))")
        }
        guard n > 0 else { return [] }
        let memory = try h5check(H5Tcopy(tb_h5_c_s1()), "create a string type")
        defer { H5Tclose(memory) }
        let variable = H5Tis_variable_str(type)
        guard variable >= 0 else { throw HDF5Error("\(what): \(tb_h5_message())") }
        if variable > 0 {
            try h5check(H5Tset_size(memory, tb_h5_variable()), "make a variable-length string type")
            try h5check(H5Tset_cset(memory, H5Tget_cset(type)), "set the string type's character set")
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            try h5check(H5Aread(aid, memory, &pointers), "read \(what)")
            defer { H5Dvlen_reclaim(memory, space, tb_h5_default(), &pointers) }
            var out: [String] = []
            var total = 0
            for p in pointers {
                guard let p else { out.append(""); continue }
                let len = strnlen(p, HDF5File.maximumStringBytes + 1)
                total += len
                guard total <= HDF5File.maximumStringBytes else {
                    throw HDF5Error("\(what) is longer than \(HDF5File.maximumStringBytes) bytes")
                }
                out.append(String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self))
            }
            return out
        }
        let size = H5Tget_size(type)
        guard size > 0, size <= HDF5File.maximumStringBytes / max(1, n) else {
            throw HDF5Error("\(what) has \(n) strings of \(size) bytes")
        }
        try h5check(H5Tset_size(memory, size), "make a fixed-length string type")
        try h5check(H5Tset_strpad(memory, H5T_STR_NULLPAD), "make a fixed-length string type")
        var bytes = [UInt8](repeating: 0, count: size * n)
        _ = try bytes.withUnsafeMutableBytes { b in try h5check(H5Aread(aid, memory, b.baseAddress), "read \(what)") }
        return (0..<n).map { i in
            let chunk = bytes[i * size ..< (i + 1) * size]
            return String(decoding: chunk.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The attribute `name` as one string (nil when absent); a one-element list counts as one string.
    /// - Throws: `HDF5Error` when it is not a single string.
    public func string(_ name: String) throws -> String? {
        guard let all = try strings(name) else { return nil }
        guard all.count == 1 else {
            throw HDF5Error("attribute \(name) of \(path.isEmpty ? "/" : path) holds \(all.count) strings, expected one")
        }
        return all[0]
    }
}

/// The calling thread's libhdf5 error stack as one line (and cleared).
func tb_h5_message() -> String {
    var buffer = [CChar](repeating: 0, count: 600)
    tb_h5_last_error(&buffer, buffer.count)
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.isEmpty ? "libhdf5 gave no reason" : text
}

/// Returns `value` when it is not negative (libhdf5's failure value), else throws `HDF5Error` "`what`: reason".
@discardableResult
func h5check<T: BinaryInteger>(_ value: T, _ what: @autoclosure () -> String) throws -> T {
    guard value >= 0 else { throw HDF5Error("\(what()): \(tb_h5_message())") }
    return value
}
