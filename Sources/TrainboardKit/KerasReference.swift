import Dashboard
import Foundation
import NeuralEngine

/// The Keras/JAX reference of `trainboard bench --keras-python PYTHON`: the same model, optimizer, batch size and
/// training samples as the engine's 64-64 run, trained by Keras 3 on the JAX backend in a child Python process, so
/// that the speed ratio is measured on this machine in the same run (issue 6, item 12).
///
/// The samples are handed over exactly as the engine trains on them (gathered to `Float`, one-hot targets) in two raw
/// little-endian float32 files in a temporary directory, streamed in chunks (the bench's own peak memory is not
/// raised by the copy). The child times each epoch from `on_epoch_begin` to `on_epoch_end` (the end of an epoch forces
/// JAX's asynchronous steps to finish); the best epoch counts, so the first epoch's compilation does not.
///
/// Thread-safety: a value; `measure` runs a child process and blocks the calling thread.
public struct KerasReference: Sendable {
    /// The Python interpreter (of a virtual environment with `keras` and `jax`).
    public var python: String
    /// Epochs Keras trains (at least 2: the first includes JAX's compilation).
    public var epochs: Int

    public init(python: String, epochs: Int = 3) {
        self.python = python
        self.epochs = max(2, epochs)
    }

    /// What Keras measured.
    public struct Measurement: Sendable, Equatable {
        /// Best epoch's training samples/s.
        public var samplesPerSecond: Double
        /// Every epoch's samples/s, first to last.
        public var perEpoch: [Double]
        /// "keras 3.x.y, jax 0.x.y (backend jax)".
        public var versions: String
    }

    /// Errors: the interpreter is missing or cannot import Keras/JAX, the script failed, or its output was not the
    /// expected JSON line. The message names `--keras-python` and ends with the child's last stderr lines.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The script the child runs: `python -c SCRIPT ARGS_JSON`. It prints one JSON line:
    /// `{"samples_per_s": best, "per_epoch": [...], "keras": "...", "jax": "...", "backend": "jax"}`.
    public static let script = #"""
import json, os, sys, time
os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
a = json.loads(sys.argv[1])
import numpy as np
import jax
import keras
if a.get("check"):
    print(json.dumps({"keras": keras.__version__, "jax": jax.__version__, "backend": keras.backend.backend()}))
    sys.exit(0)
n, f, k = a["samples"], a["features"], a["classes"]
x = np.fromfile(a["x"], dtype="<f4").reshape(n, f)
y = np.fromfile(a["y"], dtype="<f4").reshape(n, k)
keras.utils.set_random_seed(a["seed"])
hidden = a["hidden"]
def initializer(name):
    if name == "uniform":
        return keras.initializers.RandomUniform(-0.05, 0.05)
    if name == "normal":
        return keras.initializers.RandomNormal(0.0, 0.05)
    return "zeros" if name == "zero" else name
layers = [keras.Input((f,))]
for i, h in enumerate(hidden):
    layers.append(keras.layers.Dense(h, activation=a["activation"], kernel_initializer=initializer(a["initializer"])))
    if a["dropout"] > 0 and (i < len(hidden) - 1 or len(hidden) == 1):
        layers.append(keras.layers.Dropout(a["dropout"]))
layers.append(keras.layers.Dense(k, activation=a["output_activation"], kernel_initializer=initializer(a["initializer"])))
model = keras.Sequential(layers)
lr = a["learning_rate"]
if a["decay"] > 0:
    lr = keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=a["decay"])
name = a["optimizer"]
if name == "adam":
    opt = keras.optimizers.Adam(learning_rate=lr)
elif name == "rmsprop":
    opt = keras.optimizers.RMSprop(learning_rate=lr)
elif name == "adagrad":
    opt = keras.optimizers.Adagrad(learning_rate=lr)
else:
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=a["momentum"], nesterov=a["nesterov"])
model.compile(optimizer=opt, loss=a["loss"], metrics=["accuracy"])
rates = []
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        rates.append(n / (time.perf_counter() - self.t))
model.fit(x, y, batch_size=a["batch_size"], epochs=a["epochs"], shuffle=True, verbose=0, callbacks=[Timer()])
print(json.dumps({"samples_per_s": max(rates), "per_epoch": rates, "keras": keras.__version__,
                  "jax": jax.__version__, "backend": keras.backend.backend()}))
"""#

    /// Checks at once (before the benchmark) that `python` is an executable file; whether it can import Keras and
    /// JAX shows when `measure` runs (importing JAX takes seconds, which would count in `first_batch_s`).
    /// - Throws: `Failure` naming `--keras-python`.
    public func checkExecutable() throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "--keras-python: \(python): no such executable (expected the python of a "
                          + "virtual environment with keras and jax, e.g. /path/to/venv/bin/python)")
        }
    }

    /// Checks that `python` runs and imports Keras and JAX (a few seconds). Returns the versions.
    /// - Throws: `Failure` naming `--keras-python` and what went wrong.
    public func check() throws -> String {
        try checkExecutable()
        let out = try run(arguments: ["check": true])
        return try Self.versions(out)
    }

    /// Trains the plan's model on `train` with Keras/JAX and returns its samples/s.
    /// - Throws: `Failure` (see the type), or a file-system error writing the temporary sample files.
    public func measure(plan: TrainingPlan, train: Dataset, outputUnits: Int) throws -> Measurement {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trainboard-keras-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let width = train.targetWidth(outputUnits: outputUnits)
        try Self.export(train, width: width, x: dir.appendingPathComponent("x.f32").path,
                        y: dir.appendingPathComponent("y.f32").path)
        let args: [String: Any] = [
            "x": dir.appendingPathComponent("x.f32").path, "y": dir.appendingPathComponent("y.f32").path,
            "samples": train.count, "features": train.featureCount, "classes": width,
            "hidden": plan.hidden, "activation": plan.activation.rawValue,
            "output_activation": plan.resolvedOutputActivation.rawValue, "dropout": plan.dropout,
            "initializer": plan.initializer.rawValue, "optimizer": plan.optimizerName,
            "learning_rate": plan.learningRate, "momentum": plan.momentum, "nesterov": plan.nesterov,
            "decay": plan.decay, "loss": plan.loss.rawValue, "batch_size": plan.batchSize, "epochs": epochs,
            "seed": Int(truncatingIfNeeded: plan.seed & 0x7FFF_FFFF),
        ]
        let out = try run(arguments: args)
        guard let line = out.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let best = obj["samples_per_s"] as? Double, let per = obj["per_epoch"] as? [Double] else {
            throw Failure(description: "--keras-python: the Keras script printed no result: \(out.suffix(400))")
        }
        return Measurement(samplesPerSecond: best, perEpoch: per, versions: try Self.versions(String(line)))
    }

    /// Writes the samples as the engine sees them: `x` `[count, featureCount]` and `y` `[count, width]`, float32
    /// little-endian, row-major, 1024 samples at a time.
    static func export(_ data: Dataset, width: Int, x xPath: String, y yPath: String) throws {
        guard FileManager.default.createFile(atPath: xPath, contents: nil),
              FileManager.default.createFile(atPath: yPath, contents: nil) else {
            throw Failure(description: "--keras-python: cannot create temporary files next to \(xPath)")
        }
        let xh = try FileHandle(forWritingTo: URL(fileURLWithPath: xPath))
        let yh = try FileHandle(forWritingTo: URL(fileURLWithPath: yPath))
        defer { try? xh.close(); try? yh.close() }
        let chunk = 1024
        var xs = [Float](repeating: 0, count: chunk * data.featureCount)
        var ys = [Float](repeating: 0, count: chunk * max(1, width))
        var start = 0
        while start < data.count {
            let rows = min(chunk, data.count - start)
            let idx = Array(start ..< start + rows)
            xs.withUnsafeMutableBufferPointer { xp in
                ys.withUnsafeMutableBufferPointer { yp in
                    idx.withUnsafeBufferPointer { data.gather($0, x: xp.baseAddress!, y: yp.baseAddress!, targetWidth: width) }
                }
            }
            try xh.write(contentsOf: xs[0 ..< rows * data.featureCount].withUnsafeBytes { Data($0) })
            try yh.write(contentsOf: ys[0 ..< rows * width].withUnsafeBytes { Data($0) })
            start += rows
        }
    }

    static func versions(_ jsonLine: String) throws -> String {
        guard let line = jsonLine.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let k = obj["keras"] as? String, let j = obj["jax"] as? String else {
            throw Failure(description: "--keras-python: unexpected output: \(jsonLine.suffix(400))")
        }
        return "keras \(k), jax \(j) (backend \(obj["backend"] as? String ?? "?"))"
    }

    /// Runs the script with `arguments` (JSON) and returns its stdout; throws `Failure` with the stderr tail when it
    /// exits non-zero.
    private func run(arguments: [String: Any]) throws -> String {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: arguments, options: [.sortedKeys]), as: UTF8.self)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", Self.script, json]
        var env = ProcessInfo.processInfo.environment
        env["KERAS_BACKEND"] = "jax"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw Failure(description: "--keras-python: cannot run \(python): \(error.localizedDescription)")
        }
        // Read both pipes concurrently so that neither fills up and blocks the child.
        let errData = Locked<Data>(Data())
        let errDone = DispatchSemaphore(value: 0)
        let reader = Thread {
            errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() }
            errDone.signal()
        }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        errDone.wait()
        let stdout = String(decoding: outData, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            let tail = String(decoding: errData.withLock { $0 }, as: UTF8.self)
                .split(separator: "\n").suffix(3).joined(separator: " | ")
            throw Failure(description: "--keras-python: \(python) failed (status \(p.terminationStatus)) importing "
                          + "keras/jax or training: \(tail)")
        }
        return stdout
    }
}
