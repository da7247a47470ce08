// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Trainboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trainboard", targets: ["trainboard"]),
        .library(name: "NeuralEngine", targets: ["NeuralEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C edges. CBLAS loads OpenBLAS at run time (dlopen) so that the kernel can be chosen from the CPU first.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl")]),
        // No pkgConfig: ncursesw.pc adds -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600, which SwiftPM rejects with a warning;
        // the header is in the default include path and the module map links ncursesw and tinfo.
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CGzip", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SHA-256 of downloaded data files (OpenSSL's libcrypto, present on every Debian system).
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Keras's HDF5 files (.keras weights, .weights.h5, .h5): Debian's serial libhdf5 (libhdf5-dev installs the
        // header as hdf5/serial/hdf5.h and the library as libhdf5_serial.so).
        .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-dev"])]),

        // The one way files are read (regular files only, bounded) and written (atomic, devices written through,
        // symlinks followed, errors thrown). A leaf: every module that touches files uses it.
        .target(name: "SafeIO"),
        // The attach protocol (docs/attach-protocol.md): message types, JSON lines, limits. Pure: no sockets.
        .target(name: "AttachProtocol"),

        // Pure Swift cores.
        // NeuralEngine includes model saving (ModelCheckpoint, a Keras callback, must write checkpoints), so the
        // design's separate Persistence module is folded into it (NeuralEngine/Persistence).
        .target(name: "NeuralEngine", dependencies: [
            "CBLAS", "CHDF5", "SafeIO",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "Datasets", dependencies: [
            "NeuralEngine", "CGzip", "COpenSSL", "SafeIO",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "TerminalUI", dependencies: ["SafeIO"]),
        // The dashboard without the engine: channel, snapshot, UI state, key reducer, views.
        .target(name: "Dashboard", dependencies: ["TerminalUI", "SafeIO"]),

        // The only module that touches ncurses.
        .target(name: "NCursesBackend", dependencies: ["CNCurses", "TerminalUI"]),

        // Hyperparameter search: parameter spaces and samplers, KFold/StratifiedKFold, cv_results, the search
        // directory and the local executor (fits as `trainboard fit-trial` processes). Knows no engine or terminal.
        .target(name: "HyperSearch", dependencies: [
            "NeuralEngine", "SafeIO", .product(name: "Yams", package: "Yams"),
        ]),

        // The application's logic without the terminal: run configuration, the trainer wiring (ChannelCallback,
        // InProcessTrainer), the dashboard's app loop behind the Screen protocol (DashboardLoop, ScriptedScreen),
        // reporters, bench. The executable adds the ncurses Screen and the command line.
        .target(name: "TrainboardKit", dependencies: [
            "NeuralEngine", "Datasets", "Dashboard", "TerminalUI", "SafeIO", "HyperSearch", "AttachProtocol",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "trainboard", dependencies: [
            "TrainboardKit", "NeuralEngine", "Datasets", "Dashboard", "NCursesBackend", "TerminalUI", "SafeIO",
            "HyperSearch", "AttachProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Mutation fuzzer for every loader of untrusted files (driven by Tests/e2e/fuzz.sh).
        .executableTarget(name: "tb-fuzz", dependencies: [
            "Datasets", "NeuralEngine", "TrainboardKit", "TerminalUI", "Dashboard", "SafeIO", "CGzip", "AttachProtocol",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),

        // Smoke program for the ncurses backend (driven by Tests/e2e/ncurses-smoke.sh).
        .executableTarget(name: "tb-ncurses-smoke", dependencies: ["NCursesBackend", "TerminalUI"]),

        .testTarget(name: "SafeIOTests", dependencies: ["SafeIO"]),
        .testTarget(name: "AttachProtocolTests", dependencies: ["AttachProtocol"]),
        .testTarget(name: "HyperSearchTests", dependencies: ["HyperSearch"]),
        .testTarget(name: "NeuralEngineTests", dependencies: ["NeuralEngine"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "NeuralEngine", "SafeIO", "CGzip"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TerminalUI"],
                    exclude: ["__Snapshots__"]),
        .testTarget(name: "TrainboardKitTests", dependencies: [
            "TrainboardKit", "NeuralEngine", "Datasets", "Dashboard", "SafeIO", "TerminalUI", "HyperSearch", "AttachProtocol",
        ]),
        // The command line: the train flags against the option table (OptionDeclarationTests).
        .testTarget(name: "TrainboardCLITests", dependencies: ["trainboard", "TrainboardKit", "SafeIO"]),
        .testTarget(name: "NCursesBackendTests", dependencies: ["NCursesBackend", "TerminalUI", "CNCurses"]),
    ],
    swiftLanguageModes: [.v6]
)
