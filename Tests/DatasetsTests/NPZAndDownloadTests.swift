import Datasets
import Foundation
import NeuralEngine
import XCTest

final class NPZAndDownloadTests: XCTestCase {
    var dir: TempDir!
    var server: Process?

    override func setUpWithError() throws { dir = try TempDir() }

    override func tearDown() {
        if let server, server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
        dir.cleanup()
    }

    /// Writes a tiny Keras-layout archive `name` in `directory` with NumPy.
    private func writeTinyMNIST(_ name: String, in directory: String, compressed: Bool = false, fortran: Bool = false,
                                yTest: String = "np.array([1, 9], dtype=np.int64)") throws {
        let layout = fortran ? "np.asfortranarray" : ""
        try runPython("""
        import numpy as np
        x_train = \(layout)(np.arange(12, dtype=np.uint8).reshape(3, 2, 2) * 20)
        y_train = np.array([5, 0, 4], dtype=np.uint8)
        x_test = \(layout)(np.array([[[255, 0], [1, 2]], [[3, 4], [5, 6]]], dtype=np.uint8))
        y_test = \(yTest)
        np.\(compressed ? "savez_compressed" : "savez")('\(name)', x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        """, in: directory)
    }

    private func checkTiny(_ train: Dataset, _ test: Dataset) {
        XCTAssertEqual(train.count, 3)
        XCTAssertEqual(train.featureCount, 4)
        XCTAssertEqual(train.imageShape?.rows, 2)
        guard case .bytes(let px, let scale) = train.features else { return XCTFail("expected bytes") }
        XCTAssertEqual(px, (0..<12).map { UInt8($0 * 20) })
        XCTAssertEqual(scale, 1 / 255)
        guard case .classes(let l, _) = train.targets else { return XCTFail("expected classes") }
        XCTAssertEqual(l, [5, 0, 4])
        XCTAssertEqual(test.count, 2)
        XCTAssertEqual(test.label(1), 9)
        guard case .bytes(let tpx, _) = test.features else { return XCTFail("expected bytes") }
        XCTAssertEqual(tpx, [255, 0, 1, 2, 3, 4, 5, 6])
    }

    func testKerasLayoutNPZStoredAndCompressed() throws {
        try writeTinyMNIST("tiny.npz", in: dir.path)
        try writeTinyMNIST("tinyz.npz", in: dir.path, compressed: true)
        for name in ["tiny.npz", "tinyz.npz"] {
            let loaded = try DataLoader.load(dir.file(name))
            XCTAssertEqual(loaded.source, .npz(dir.file(name)))
            XCTAssertEqual(loaded.train.classCount, 10)  // max label 9 + 1
            checkTiny(loaded.train, try XCTUnwrap(loaded.test))
        }
        let all = try NPZ.readAll(dir.file("tinyz.npz"))
        XCTAssertEqual(Set(all.keys), ["x_train", "y_train", "x_test", "y_test"])
        XCTAssertEqual(all["y_test"]?.storage, .int64([1, 9]))
    }

    /// x arrays saved with `np.asfortranarray` (header `'fortran_order': True`) load with the same values as C-ordered
    /// ones (issue 6: such archives were refused).
    func testFortranOrderedNPZLoadsTheSameValues() throws {
        try writeTinyMNIST("fortran.npz", in: dir.path, fortran: true)
        try runPython("""
        import numpy as np, zipfile
        header = zipfile.ZipFile('fortran.npz').read('x_train.npy')[:128]
        assert b"'fortran_order': True" in header, header
        """, in: dir.path)
        let loaded = try DataLoader.load(dir.file("fortran.npz"))
        checkTiny(loaded.train, try XCTUnwrap(loaded.test))
    }

    func testNPZErrors() throws {
        try runPython("import numpy as np; np.savez('partial.npz', x_train=np.zeros((2, 2, 2), np.uint8), y_train=np.zeros(3, np.uint8), x_test=np.zeros((1, 2, 2), np.uint8), y_test=np.zeros(1, np.uint8))", in: dir.path)
        let partial = dir.file("partial.npz")
        assertThrows(try NPZ.loadKerasMNIST(partial), contains: [partial, "x_train.npy", "2 images", "y_train.npy", "3 labels"])
        try runPython("import numpy as np; np.savez('nox.npz', y_train=np.zeros(3, np.uint8))", in: dir.path)
        assertThrows(try NPZ.loadKerasMNIST(dir.file("nox.npz")), contains: [dir.file("nox.npz"), "missing array 'x_train.npy'"])
        try writeTinyMNIST("neg.npz", in: dir.path, yTest: "np.array([1, -3], dtype=np.int64)")
        assertThrows(try NPZ.loadKerasMNIST(dir.file("neg.npz")), contains: [dir.file("neg.npz"), "y_test.npy", "label -3", "sample 1"])
        let notZip = try dir.write("fake.npz", text: "hello")
        assertThrows(try NPZ.loadKerasMNIST(notZip), contains: [notZip, "not a readable .npz"])
    }

    // MARK: Download

    /// Starts `python3` serving `directory` over HTTP on 127.0.0.1 and returns its base URL.
    private func startServer(serving directory: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
        import functools, http.server, sys
        class H(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a): pass
        s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(H, directory=sys.argv[1]))
        print(s.server_address[1], flush=True)
        s.serve_forever()
        """, directory]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw XCTSkip("python3 not available") }
        server = p
        var line = [UInt8]()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard let b = byte.first else { break }
            if b == 0x0A { break }
            line.append(b)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw XCTSkip("HTTP server did not start") }
        return "http://127.0.0.1:\(port)"
    }

    /// FIPS 180-4 test vectors ("abc" and the empty message), through the public file-hash entry point.
    func testSHA256KnownVectors() throws {
        let abc = dir.path + "/abc"
        XCTAssertTrue(FileManager.default.createFile(atPath: abc, contents: Data("abc".utf8)))
        XCTAssertEqual(try Downloader.sha256Hex(ofFile: abc),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = dir.path + "/empty"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertEqual(try Downloader.sha256Hex(ofFile: empty),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testDownloadWithGoodHashIsCachedAndLoaded() throws {
        let served = dir.file("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try writeTinyMNIST("mnist.npz", in: served)
        let sha = try Downloader.sha256Hex(ofFile: served + "/mnist.npz")
        let base = try startServer(serving: served)
        let kerasHome = dir.file("keras")
        let env = ["KERAS_HOME": kerasHome, "TRAINBOARD_MNIST_URL": base + "/mnist.npz", "TRAINBOARD_MNIST_SHA256": sha]
        let loaded = try DataLoader.load("mnist", options: LoadOptions(environment: env))
        let cached = kerasHome + "/datasets/mnist.npz"
        XCTAssertEqual(loaded.source, .kerasMNIST(path: cached, url: base + "/mnist.npz", sha256: sha))
        XCTAssertEqual(loaded.name, "MNIST")
        XCTAssertEqual(loaded.train.classCount, 10)
        XCTAssertEqual(loaded.train.classNames?[5], "5")
        checkTiny(loaded.train, try XCTUnwrap(loaded.test))
        XCTAssertEqual(try Downloader.sha256Hex(ofFile: cached), sha)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: kerasHome + "/datasets"), ["mnist.npz"],
                       "no temporary files left behind")

        // Cached: loads without the server, and no download is attempted.
        server?.terminate()
        server?.waitUntilExit()
        let again = try DataLoader.load("mnist", options: LoadOptions(allowDownload: false, environment: env))
        XCTAssertEqual(again.train.count, 3)
    }

    func testDownloadWithBadHashLeavesNothingBehind() throws {
        let served = dir.file("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try writeTinyMNIST("mnist.npz", in: served)
        let base = try startServer(serving: served)
        let kerasHome = dir.file("keras")
        let wrong = String(repeating: "ab", count: 32)
        let env = ["KERAS_HOME": kerasHome, "TRAINBOARD_MNIST_URL": base + "/mnist.npz"]
        assertThrows(try DataLoader.load("mnist", options: LoadOptions(mnistSHA256: wrong, environment: env)),
                     contains: [base + "/mnist.npz", "SHA-256", wrong, kerasHome + "/datasets/mnist.npz"])
        let left = (try? FileManager.default.contentsOfDirectory(atPath: kerasHome + "/datasets")) ?? []
        XCTAssertEqual(left, [], "nothing written on a hash mismatch")

        // A missing file on the server is a download error naming the URL and status.
        assertThrows(try Downloader.download(base + "/absent.npz", to: dir.file("absent.npz"), sha256: nil),
                     contains: [base + "/absent.npz", "HTTP status 404"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("absent.npz")))
    }

    func testResolveKnownNamesAndPaths() throws {
        let env = ["HOME": "/home/someone", "KERAS_HOME": "/opt/keras"]
        XCTAssertEqual(try DataSource.resolve("mnist", environment: env),
                       .kerasMNIST(path: "/opt/keras/datasets/mnist.npz", url: DataSource.kerasMNISTURL,
                                   sha256: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"))
        XCTAssertEqual(try DataSource.resolve("Fashion-MNIST", environment: [:]),
                       .fashionMNIST(directory: "/usr/share/datasets/fashion-mnist"))
        XCTAssertEqual(try DataSource.resolve("fashion-mnist", environment: ["TRAINBOARD_FASHION_MNIST_DIR": "/x"]),
                       .fashionMNIST(directory: "/x"))
        XCTAssertEqual(try DataSource.resolve("mnist", environment: ["KERAS_HOME": "/k"], mnistURL: "http://u", mnistSHA256: "ff"),
                       .kerasMNIST(path: "/k/datasets/mnist.npz", url: "http://u", sha256: "ff"))
        let odd = try dir.write("data.bin", [1])
        assertThrows(try DataSource.resolve(odd), contains: [odd, "unsupported file type"])
    }

    /// A directory of CSV/npz files is named for what it holds, with the file to give, not reported as missing IDX.
    func testDirectoryOfCSVFilesSuggestsAFile() throws {
        let sub = dir.file("tables")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        for name in ["b.csv", "a.csv.gz", "notes.txt"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: sub + "/" + name, contents: Data([49])))
        }
        assertThrows(try DataSource.resolve(sub), contains: [sub, "without IDX files", "a.csv.gz, b.csv",
                                                             "--data \(sub)/a.csv.gz"])
        // A directory with nothing recognisable stays an IDX directory (the loader names the missing file).
        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        XCTAssertEqual(try DataSource.resolve(empty), .idxDirectory(empty))
    }
}
