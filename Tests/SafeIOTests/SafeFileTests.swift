import Glibc
import SafeIO
import XCTest

final class SafeFileTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/safeio-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        dir = String(cString: p)
    }

    override func tearDown() { _ = system("rm -rf '\(dir)'") }

    private func contents(_ path: String) throws -> String { String(decoding: try SafeFile.read(path, limit: 1 << 20), as: UTF8.self) }
    private func names(_ sub: String = "") -> [String] {
        guard let d = opendir(dir + sub) else { return [] }
        defer { closedir(d) }
        var r: [String] = []
        while let e = readdir(d) {
            let n = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if n != "." && n != ".." { r.append(n) }
        }
        return r.sorted()
    }

    func testNewAndReplacedFilesAreWholeKeepTheirModeAndLeaveNoTemporary() throws {
        let p = dir + "/a/b/model.json"
        try SafeFile.write("first", to: p, createDirectories: true)
        XCTAssertEqual(try contents(p), "first")
        chmod(p, 0o600)
        try SafeFile.write("second, longer", to: p)
        XCTAssertEqual(try contents(p), "second, longer")
        var st = stat()
        XCTAssertEqual(stat(p, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(FileKind(path: dir + "/a/b"), .directory)
        XCTAssertEqual(names(), ["a"])
        XCTAssertEqual(names("/a/b"), ["model.json"], "no temporary left")
    }

    func testDevicesAreWrittenThroughNeverReplaced() throws {
        try SafeFile.write("x", to: "/dev/null")
        XCTAssertEqual(FileKind(path: "/dev/null"), .characterDevice)
        XCTAssertThrowsError(try SafeFile.write("x", to: "/dev/full")) { e in
            XCTAssertEqual((e as? FileError)?.reason, "no space left on device")
            XCTAssertEqual((e as? FileError)?.path, "/dev/full")
        }
        XCTAssertEqual(FileKind(path: "/dev/full"), .characterDevice)
        let log = try AppendingFile(path: "/dev/null", truncate: true)
        try log.append("row\n")
        try log.close()
        XCTAssertEqual(FileKind(path: "/dev/null"), .characterDevice)
        let full = try AppendingFile(path: "/dev/full", truncate: true)
        XCTAssertThrowsError(try full.append("row\n"))
        XCTAssertEqual(FileKind(path: "/dev/full"), .characterDevice)
    }

    func testSymlinksAreFollowedAndKept() throws {
        let target = dir + "/real.txt", link = dir + "/link.txt"
        try SafeFile.write("old", to: target)
        XCTAssertEqual(symlink("real.txt", link), 0)
        try SafeFile.write("new", to: link)
        XCTAssertEqual(FileKind(path: link), .symlink)
        XCTAssertEqual(try contents(target), "new")
        let appended = try AppendingFile(path: link, truncate: false)
        try appended.append("+row")
        try appended.close()
        XCTAssertEqual(FileKind(path: link), .symlink)
        XCTAssertEqual(try contents(target), "new+row")
        // A link to a device is followed to the device, which is written through.
        XCTAssertEqual(symlink("/dev/null", dir + "/null-link"), 0)
        try SafeFile.write("x", to: dir + "/null-link")
        XCTAssertEqual(FileKind(path: dir + "/null-link"), .symlink)
        XCTAssertEqual(FileKind(path: "/dev/null"), .characterDevice)
    }

    func testDanglingLinksDirectoriesAndReaderlessFIFOsAreRefused() throws {
        XCTAssertEqual(symlink(dir + "/nowhere", dir + "/dangling"), 0)
        XCTAssertThrowsError(try SafeFile.write("x", to: dir + "/dangling")) { e in
            XCTAssertTrue("\(e)".contains("target does not exist"), "\(e)")
        }
        XCTAssertEqual(FileKind(path: dir + "/nowhere"), .missing)
        XCTAssertThrowsError(try SafeFile.write("x", to: dir)) { e in XCTAssertTrue("\(e)".contains("a directory"), "\(e)") }
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertThrowsError(try SafeFile.write("x", to: fifo)) { e in XCTAssertEqual((e as? FileError)?.code, ENXIO) }
        XCTAssertEqual(FileKind(path: fifo), .fifo)
    }

    func testReadRefusesNonRegularFilesWithoutBlockingAndBoundsTheSize() throws {
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertThrowsError(try SafeFile.read(fifo, limit: 100)) { e in XCTAssertTrue("\(e)".contains("a FIFO"), "\(e)") }
        XCTAssertThrowsError(try SafeFile.read("/dev/zero", limit: 100)) { e in
            XCTAssertTrue("\(e)".contains("a character device"), "\(e)")
        }
        XCTAssertEqual(symlink("/dev/zero", dir + "/zero-link"), 0)
        XCTAssertThrowsError(try SafeFile.read(dir + "/zero-link", limit: 100))
        XCTAssertThrowsError(try SafeFile.read(dir, limit: 100))
        try SafeFile.write([UInt8](repeating: 65, count: 101), to: dir + "/big")
        XCTAssertThrowsError(try SafeFile.read(dir + "/big", limit: 100)) { e in
            XCTAssertEqual("\(e)", "cannot read \(dir)/big: the file has 101 bytes; at most 100 are accepted")
        }
        XCTAssertEqual(try SafeFile.read(dir + "/big", limit: 101).count, 101)
        XCTAssertThrowsError(try SafeFile.read(dir + "/missing", limit: 1)) { e in
            XCTAssertEqual("\(e)", "cannot read \(dir)/missing: no such file")
        }
    }

    /// A record that does not fit (the file-size limit stands in for a full disk: `write` fails part-way) leaves the
    /// file exactly as it was before the record.
    func testAFailedAppendLeavesNoPartialRecord() throws {
        let p = dir + "/log.csv"
        let log = try AppendingFile(path: p, truncate: true)
        try log.append("epoch,loss\n")
        try log.append("0,0.5\n")
        let before = log.length
        XCTAssertEqual(before, 17)
        signal(SIGXFSZ, SIG_IGN)
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        var limited = old
        limited.rlim_cur = rlim_t(before + 5)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        XCTAssertThrowsError(try log.append("1,0.25000000000000000\n")) { e in
            XCTAssertEqual((e as? FileError)?.code, EFBIG, "\(e)")
        }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        XCTAssertEqual(try contents(p), "epoch,loss\n0,0.5\n")
        XCTAssertThrowsError(try log.append("2,0.1\n"), "closed after the failure")
    }

    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        let target = dir + "/ckpt.tbmodel"
        // PID 2^22 + 1 is above Linux's pid_max limit (4194304), so it is never a running process.
        let dead = dir + "/.ckpt.tbmodel.tbtmp-4194305-1"
        let mine = dir + "/.ckpt.tbmodel.tbtmp-\(getpid())-7"
        let unrelated = dir + "/.hidden-user-file"
        for p in [dead, mine, unrelated] { try SafeFile.write("x", to: p) }
        XCTAssertEqual(SafeFile.removeStaleTemporaries(near: target), 1)
        XCTAssertEqual(names(), [".ckpt.tbmodel.tbtmp-\(getpid())-7", ".hidden-user-file"])
    }
}

final class TextCheckTests: XCTestCase {
    /// RFC 8259 escapes, checked by hand: quote, backslash, \n \r \t, other control characters as \u00XX, non-ASCII kept.
    func testJSONQuoting() {
        XCTAssertEqual(TextCheck.jsonQuoted("a\"b\\c\nd\re\tf\u{1}g é 手"), "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g é 手\"")
        XCTAssertEqual(TextCheck.jsonQuoted(""), "\"\"")
        XCTAssertEqual(TextCheck.jsonQuoted("\u{1f}"), "\"\\u001f\"")
    }

    func testExcerptAndUTF8Offsets() {
        XCTAssertEqual(TextCheck.excerpt(String(repeating: "x", count: 50), limit: 5), "xxxxx... (50 characters)")
        XCTAssertEqual(TextCheck.excerpt("a\u{0}b"), "a\\u{0}b")
        XCTAssertNil(TextCheck.firstInvalidUTF8Offset(Array("ok é".utf8)))
        XCTAssertEqual(TextCheck.firstInvalidUTF8Offset([0x61, 0xC3, 0x28]), 1)
        XCTAssertEqual(TextCheck.firstInvalidUTF8Offset([0x61, 0xE2, 0x82]), 1, "truncated sequence at the end")
    }
}
