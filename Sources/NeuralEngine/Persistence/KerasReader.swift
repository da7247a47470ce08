import Foundation
import SafeIO
import ZIPFoundation

/// Reading Keras's files (and Trainboard's) into a `SavedModel`. Every problem is a `ModelFormatError` saying what
/// is wrong (the caller adds the path); sizes are bounded before allocating: the file by `ModelIOError`'s limit, zip
/// members by the same limit, layer counts and widths, and every dataset by the element count its layer expects.
enum KerasReader {
    /// The most layers read from an architecture.
    static let maximumLayers = 1_000
    /// The widest Dense layer accepted (units).
    static let maximumUnits = 1 << 24

    // MARK: Architecture JSON

    /// The architecture (and compile settings) of a Keras `Sequential` model from its configuration: Keras 3's
    /// `to_json()` / `config.json` / legacy `model_config`, or Keras 2's (`batch_input_shape` on the first layer,
    /// initializers without `module`, `config` as a bare layer list in Keras 2.0-2.2). `training` is the legacy
    /// `.h5`'s `training_config`, when there is one.
    static func architecture(_ r: JSONReader, training: JSONReader? = nil) throws -> SavedModel {
        let cls = try r["class_name"].string()
        guard cls == "Sequential" else {
            throw ModelFormatError("the model is a \(cls); Trainboard reads Sequential models of Dense and Dropout layers")
        }
        let config = r["config"]
        let list = config.isObject ? try config["layers"].array() : try config.array()
        guard list.count <= maximumLayers else { throw ModelFormatError("\(list.count) layers, more than \(maximumLayers)") }
        var layers: [LayerConfig] = []
        var inputUnits: Int?
        var names = Set<String>()
        for entry in list {
            let c = entry["config"]
            let kind = try entry["class_name"].string()
            if let shape = try flatInputWidth(c, where: entry.path) { inputUnits = inputUnits ?? shape }
            if kind == "InputLayer" { continue }
            let name = try c["name"].string()
            guard !name.isEmpty, name.utf8.count <= 200, !name.contains("/"), name != ".", name != ".." else {
                throw ModelFormatError("\(c["name"].path): \"\(name.prefix(40))\" is not a usable layer name")
            }
            guard names.insert(name).inserted else { throw ModelFormatError("two layers are named \(name)") }
            switch kind {
            case "Dense":
                let units = try c["units"].integer()
                guard units > 0, units <= maximumUnits else {
                    throw ModelFormatError("layer \(name): units \(units) is not in 1...\(maximumUnits)")
                }
                let act = c["activation"].isNull ? "linear" : try c["activation"].string()
                guard let activation = Activation(name: act) else {
                    throw ModelFormatError("layer \(name): activation \(act) is not supported (linear, relu, sigmoid, tanh, softmax)")
                }
                let useBias = c["use_bias"].isNull ? true : try c["use_bias"].bool()
                let kernel = try initializer(c["kernel_initializer"], layer: name) ?? .glorotUniform
                let bias = try initializer(c["bias_initializer"], layer: name) ?? .zero
                if !c["input_dim"].isNull, inputUnits == nil { inputUnits = try c["input_dim"].integer() }
                layers.append(LayerConfig(className: "Dense", name: name, units: units, activation: activation,
                                          kernelInitializer: kernel, biasInitializer: bias, useBias: useBias, rate: nil,
                                          inputDim: nil))
            case "Dropout":
                let rate = try c["rate"].number()
                guard rate >= 0, rate < 1 else { throw ModelFormatError("layer \(name): dropout rate \(rate) is not in [0, 1)") }
                layers.append(LayerConfig(className: "Dropout", name: name, units: nil, activation: nil,
                                          kernelInitializer: nil, biasInitializer: nil, useBias: nil, rate: rate, inputDim: nil))
            default:
                throw ModelFormatError("layer \(name) is a \(kind); Trainboard reads Sequential models of Dense and Dropout layers")
            }
        }
        guard layers.contains(where: { $0.className == "Dense" }) else { throw ModelFormatError("the model has no Dense layer") }
        if inputUnits == nil, config.isObject { inputUnits = try flatWidth(config["build_input_shape"]) }
        if inputUnits == nil { inputUnits = try flatWidth(r["build_config"]["input_shape"]) }
        if let n = inputUnits, n <= 0 || n > maximumUnits {
            throw ModelFormatError("the input width \(n) is not in 1...\(maximumUnits)")
        }
        var saved = SavedModel(metadata: ModelMetadata(), seed: 1, layers: layers, inputUnits: inputUnits, loss: nil,
                               optimizer: nil, optimizerConfig: nil, weights: [])
        let compile = training ?? r["compile_config"]
        if compile.isObject {
            saved.loss = try loss(compile["loss"])
            if let (name, config) = try optimizer(training != nil ? compile["optimizer_config"] : compile["optimizer"]) {
                saved.optimizer = name
                saved.optimizerConfig = config
            }
        }
        return saved
    }

    /// The feature count of an input shape `[null, n]` given as `batch_shape`, `batch_input_shape` or
    /// `input_shape`, nil when none is given. Throws for a shape that is not flat.
    private static func flatInputWidth(_ c: JSONReader, where path: String) throws -> Int? {
        for key in ["batch_shape", "batch_input_shape"] where !c[key].isNull { return try flatWidth(c[key]) }
        if !c["input_shape"].isNull {
            let dims = try c["input_shape"].array()
            guard dims.count == 1 else {
                throw ModelFormatError("\(c["input_shape"].path): input shape of \(dims.count) dimensions; Trainboard's models take flat feature vectors [features]")
            }
            return try dims[0].integer()
        }
        return nil
    }

    private static func flatWidth(_ r: JSONReader) throws -> Int? {
        guard !r.isNull else { return nil }
        let dims = try r.array()
        guard dims.count == 2 else {
            throw ModelFormatError("\(r.path): input shape of \(dims.count - 1) dimensions; Trainboard's models take flat feature vectors [batch, features]")
        }
        return dims[1].isNull ? nil : try dims[1].integer()
    }

    /// A Keras initializer (a name, or `{"class_name": ..., "config": ...}`), nil when absent.
    private static func initializer(_ r: JSONReader, layer: String) throws -> Initializer? {
        guard !r.isNull else { return nil }
        let cls = try r.stringOrNil ?? r["class_name"].string()
        let c = r["config"]
        let map: [String: Initializer] = [
            "GlorotUniform": .glorotUniform, "GlorotNormal": .glorotNormal, "HeUniform": .heUniform,
            "HeNormal": .heNormal, "LecunUniform": .lecunUniform, "LecunNormal": .lecunNormal, "Zeros": .zero,
            "RandomUniform": .uniform, "RandomNormal": .normal,
        ]
        if let i = map[cls] ?? Initializer(name: cls) {
            // Trainboard's uniform / normal are Keras's defaults: U(-0.05, 0.05) and N(0, 0.05²).
            if i == .uniform, (c["minval"].numberOrNil ?? -0.05) != -0.05 || (c["maxval"].numberOrNil ?? 0.05) != 0.05 {
                throw ModelFormatError("layer \(layer): RandomUniform(\(c["minval"].numberOrNil ?? -0.05), \(c["maxval"].numberOrNil ?? 0.05)) is not supported; only the default range (-0.05, 0.05)")
            }
            if i == .normal, (c["mean"].numberOrNil ?? 0) != 0 || (c["stddev"].numberOrNil ?? 0.05) != 0.05 {
                throw ModelFormatError("layer \(layer): RandomNormal with other than mean 0 and stddev 0.05 is not supported")
            }
            return i
        }
        if cls == "VarianceScaling" {
            let mode = c["mode"].stringOrNil ?? "fan_in", dist = c["distribution"].stringOrNil ?? "truncated_normal"
            let scale = c["scale"].numberOrNil ?? 1
            switch (scale, mode, dist) {
            case (1, "fan_avg", "uniform"): return .glorotUniform
            case (1, "fan_avg", "truncated_normal"): return .glorotNormal
            case (2, "fan_in", "uniform"): return .heUniform
            case (2, "fan_in", "truncated_normal"): return .heNormal
            case (1, "fan_in", "uniform"): return .lecunUniform
            case (1, "fan_in", "truncated_normal"): return .lecunNormal
            default: break
            }
        }
        throw ModelFormatError("layer \(layer): initializer \(cls) is not supported")
    }

    /// The loss of a compile configuration (a name or a serialized loss), nil when absent or not one of
    /// Trainboard's.
    private static func loss(_ r: JSONReader) throws -> Loss? {
        if r.isNull { return nil }
        if let s = r.stringOrNil { return Loss(name: s) }
        switch r["class_name"].stringOrNil {
        case "CategoricalCrossentropy": return .categoricalCrossentropy
        case "BinaryCrossentropy": return .binaryCrossentropy
        case "MeanSquaredError": return .meanSquaredError
        default: return nil
        }
    }

    /// Trainboard's optimizer name and configuration from a serialized Keras optimizer, nil when there is none or
    /// it is not SGD, Adam, RMSprop or Adagrad. `InverseTimeDecay` with `decay_steps` d and `decay_rate` r is the
    /// legacy decay r / d; Keras 2's `decay` argument is taken as it is.
    private static func optimizer(_ r: JSONReader) throws -> (String, [String: Double])? {
        guard r.isObject, let cls = r["class_name"].stringOrNil else { return nil }
        let names = ["SGD": "SGD", "Adam": "Adam", "RMSprop": "RMSprop", "Adagrad": "Adagrad"]
        guard let name = names[cls] else { return nil }
        let c = r["config"]
        var config: [String: Double] = [:]
        let lr = c["learning_rate"].isNull ? c["lr"] : c["learning_rate"]
        if let v = lr.numberOrNil { config["learning_rate"] = v }
        else if lr.isObject {
            let s = lr["config"]
            guard lr["class_name"].stringOrNil == "InverseTimeDecay", let initial = s["initial_learning_rate"].numberOrNil,
                  let rate = s["decay_rate"].numberOrNil, let steps = s["decay_steps"].numberOrNil, steps > 0,
                  !(s["staircase"].boolOrNil ?? false) else {
                throw ModelFormatError("\(lr.path): the learning-rate schedule \(lr["class_name"].stringOrNil ?? "?") is not supported (only InverseTimeDecay, Trainboard's --decay)")
            }
            config["learning_rate"] = initial
            config["decay"] = rate / steps
        }
        if let d = c["decay"].numberOrNil, d > 0 { config["decay"] = d }
        config["decay"] = config["decay"] ?? 0
        for key in ["momentum", "beta_1", "beta_2", "epsilon", "rho", "initial_accumulator_value"] {
            if let v = c[key].numberOrNil { config[key] = v }
        }
        if let n = c["nesterov"].boolOrNil { config["nesterov"] = n ? 1 : 0 }
        if name == "RMSprop", (config["momentum"] ?? 0) != 0 || (c["centered"].boolOrNil ?? false) {
            throw ModelFormatError("\(r.path): RMSprop with momentum or centered is not supported")
        }
        if name == "Adam", c["amsgrad"].boolOrNil == true {
            throw ModelFormatError("\(r.path): Adam with amsgrad is not supported")
        }
        if name == "RMSprop" { config["momentum"] = nil }
        return (name, config)
    }

    // MARK: Weights

    /// The tensors each layer of `saved` needs, as (name, Trainboard shape): Dense kernel `[inputs, units]`, bias
    /// `[1, units]`.
    static func expectedTensors(_ saved: SavedModel) throws -> [[(name: String, shape: [Int])]] {
        guard let input = saved.inputUnits else {
            throw ModelFormatError("the architecture does not give the input width (no InputLayer, batch_shape or build_input_shape)")
        }
        var width = input
        var out: [[(name: String, shape: [Int])]] = []
        var total = 0
        for l in saved.layers {
            guard l.className == "Dense", let units = l.units else { out.append([]); continue }
            var t = [(l.name + "/kernel", [width, units])]
            if l.useBias ?? true { t.append((l.name + "/bias", [1, units])) }
            let (p, o) = width.multipliedReportingOverflow(by: units + 1)
            total += p
            guard !o, total <= MemoryLimit.bytes / 4 else {
                throw ModelFormatError(MemoryLimit.refusal("the model's weights", needs: o ? Int.max : total * 4))
            }
            out.append(t)
            width = units
        }
        return out
    }

    static func check(_ got: [Int], expected: [Int], layer: String, tensor: String, where place: String) throws -> [Int] {
        // Keras stores a bias as [units]; Trainboard keeps [1, units].
        let normalized = expected.count == 2 && expected[0] == 1 && got == [expected[1]] ? expected : got
        guard normalized == expected else {
            let shown = expected.count == 2 && expected[0] == 1 ? [expected[1]] : expected
            throw ModelFormatError("layer \(layer): \(tensor) (\(place)) has shape \(got), expected \(shown)")
        }
        return normalized
    }

    /// Reads the weights of `saved`'s layers from a Keras 3 layout (`layers/<name>/vars/<i>`), and the optimizer's
    /// variables when they match the optimizer (otherwise the optimizer starts fresh).
    static func readKerasWeights(_ file: HDF5File, into saved: inout SavedModel) throws {
        let root = try file.root()
        guard root.contains("layers") else {
            throw ModelFormatError("no layers group: not a Keras 3 weights file (legacy .h5 files have model_weights or layer_names)")
        }
        let layersGroup = try root.group("layers")
        var weights: [SavedTensor] = []
        for (l, expected) in zip(saved.layers, try expectedTensors(saved)) where !expected.isEmpty {
            guard layersGroup.contains(l.name) else { throw ModelFormatError("layer \(l.name): no weights (no group layers/\(l.name))") }
            let g = try layersGroup.group(l.name)
            guard g.contains("vars") else { throw ModelFormatError("layer \(l.name): no group layers/\(l.name)/vars") }
            let vars = try g.group("vars")
            for (i, e) in expected.enumerated() {
                let place = "layers/\(l.name)/vars/\(i)"
                guard vars.isDataset(String(i)) else {
                    throw ModelFormatError("layer \(l.name): \(e.name.split(separator: "/").last ?? "") (\(place)) is missing")
                }
                let (shape, values) = try vars.readFloats(String(i), maxElements: e.shape.reduce(1, *))
                let s = try check(shape, expected: e.shape, layer: l.name, tensor: String(e.name.split(separator: "/").last ?? ""), where: place)
                weights.append(SavedTensor(name: e.name, shape: s, values: values))
            }
        }
        saved.weights = weights
        try readKerasOptimizer(root, into: &saved)
    }

    /// The optimizer's iteration, learning rate and slots from `optimizer/vars`, when their count and shapes match
    /// the optimizer and weights; otherwise the saved model keeps no optimizer state.
    private static func readKerasOptimizer(_ root: HDF5Group, into saved: inout SavedModel) throws {
        guard root.contains("optimizer"), let name = saved.optimizer, let config = saved.optimizerConfig,
              let names = Keras.optimizerNames(name, config: config) else { return }
        let opt = try root.group("optimizer")
        guard opt.contains("vars") else { return }
        let vars = try opt.group("vars")
        let hasRate = (config["decay"] ?? 0) <= 0
        let first = hasRate ? 2 : 1
        let count = first + saved.weights.count * names.slots.count
        guard (try vars.memberNames()).count == count, vars.isDataset("0") else { return }
        let iteration = try vars.readInteger("0")
        guard iteration >= 0 else { throw ModelFormatError("optimizer/vars/0: iteration \(iteration) is negative") }
        if hasRate {
            let (_, v) = try vars.readFloats("1", maxElements: 1)
            if let r = v.first, r.isFinite, r >= 0 { saved.optimizerConfig?["learning_rate"] = Double(r) }
        }
        var slots: [[SavedTensor]] = []
        var k = first
        for w in saved.weights {
            var s: [SavedTensor] = []
            for slot in names.slots {
                let (shape, values) = try vars.readFloats(String(k), maxElements: w.values.count)
                _ = try check(shape, expected: w.shape, layer: String(w.name.split(separator: "/").first ?? ""),
                              tensor: "optimizer \(slot) of \(w.name)", where: "optimizer/vars/\(k)")
                s.append(SavedTensor(name: w.name + "/" + slot, shape: w.shape, values: values))
                k += 1
            }
            slots.append(s)
        }
        saved.optimizerIterations = Int(iteration)
        saved.optimizerSlots = slots
    }

    /// Reads weights in Keras 2's legacy layout (a `layer_names` attribute on `group`, one group per layer with
    /// `weight_names`), matching the layers that have weights in order, as Keras's `load_weights` does.
    static func readLegacyWeights(_ group: HDF5Group, into saved: inout SavedModel) throws {
        let names = try legacyStrings(group, "layer_names")
        guard names.count <= maximumLayers else { throw ModelFormatError("\(names.count) layer names") }
        var withWeights: [(String, [String])] = []
        for n in names {
            guard group.contains(n) else { throw ModelFormatError("layer_names lists \(n) but there is no group \(n)") }
            let w = try legacyStrings(try group.group(n), "weight_names")
            if !w.isEmpty { withWeights.append((n, w)) }
        }
        let expected = try expectedTensors(saved)
        let layersWithWeights = zip(saved.layers, expected).filter { !$0.1.isEmpty }
        guard withWeights.count == layersWithWeights.count else {
            throw ModelFormatError("the file has weights for \(withWeights.count) layers (\(withWeights.map(\.0).joined(separator: ", "))), the architecture has \(layersWithWeights.count) layers with weights (\(layersWithWeights.map(\.0.name).joined(separator: ", ")))")
        }
        var weights: [SavedTensor] = []
        for ((fileLayer, weightNames), (layer, tensors)) in zip(withWeights, layersWithWeights) {
            guard weightNames.count == tensors.count else {
                throw ModelFormatError("layer \(layer.name) (\(fileLayer) in the file): \(weightNames.count) weights, expected \(tensors.count)")
            }
            let g = try group.group(fileLayer)
            for (wn, e) in zip(weightNames, tensors) {
                let (shape, values) = try g.readNested(wn, maxElements: e.shape.reduce(1, *))
                let s = try check(shape, expected: e.shape, layer: layer.name,
                                  tensor: String(e.name.split(separator: "/").last ?? ""), where: "\(fileLayer)/\(wn)")
                weights.append(SavedTensor(name: e.name, shape: s, values: values))
            }
        }
        saved.weights = weights
    }

    /// A Keras string-list attribute, also when Keras split it into `name0`, `name1`, ... (large lists).
    static func legacyStrings(_ g: HDF5Group, _ name: String) throws -> [String] {
        if let v = try g.strings(name) { return v }
        var out: [String] = []
        var k = 0
        while let v = try g.strings("\(name)\(k)") {
            out += v
            k += 1
            guard out.count <= HDF5File.maximumMembers else { throw ModelFormatError("attribute \(name) is too long") }
        }
        return out
    }

    /// Trainboard's metadata (`trainboard.json` / the `trainboard_metadata` attribute), when present and valid.
    static func trainboardMetadata(_ bytes: [UInt8], into saved: inout SavedModel) {
        struct Extra: Decodable { var seed: UInt64?; var metadata: ModelMetadata? }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let extra = try? decoder.decode(Extra.self, from: Data(bytes)) else { return }
        if let s = extra.seed { saved.seed = s }
        if let m = extra.metadata { saved.metadata = m }
    }

    // MARK: Files

    /// Reads the `.keras` archive at `path` (already checked by `SafeFile.read`: a regular file within the limit).
    /// ZIPFoundation reads it from the file: its in-memory archives trap on some malformed archives, its file-backed
    /// ones throw.
    static func readArchive(path: String, limit: Int) throws -> SavedModel {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw ModelFormatError("not a readable zip archive (\(error))")
        }
        var entries: [String: Entry] = [:]
        var count = 0
        for e in archive {
            count += 1
            guard count <= 10_000 else { throw ModelFormatError("more than 10000 members in the archive") }
            entries[e.path] = e
        }
        /// JSON members are small (an architecture is kilobytes); the weights at most the memory limit.
        func member(_ name: String) throws -> [UInt8] {
            // The training state holds the data order and may hold best weights: bounded like the weights.
            let limit = name.hasSuffix(".json") && name != Keras.stateMember ? min(limit, 16 << 20) : min(limit, MemoryLimit.bytes)
            guard let e = entries[name] else {
                throw ModelFormatError("no \(name) in the archive (members: \(entries.keys.sorted().prefix(8).joined(separator: ", ")))")
            }
            guard e.type == .file, e.uncompressedSize <= Int64(limit) else {
                throw ModelFormatError("\(name) declares \(e.uncompressedSize) bytes; at most \(limit) are read")
            }
            var out = [UInt8]()
            out.reserveCapacity(Int(e.uncompressedSize))
            do {
                _ = try archive.extract(e, bufferSize: 1 << 16, skipCRC32: false) { chunk in
                    guard out.count + chunk.count <= limit else { throw ModelFormatError("\(name) expands past \(limit) bytes") }
                    out.append(contentsOf: chunk)
                }
            } catch let error as ModelFormatError { throw error } catch {
                throw ModelFormatError("cannot extract \(name): \(error)")
            }
            return out
        }
        var saved = try architecture(try JSONReader.parse(try member("config.json"), what: "config.json"))
        let weightsBytes = try member("model.weights.h5")
        do {
            let architecture = saved
            saved = try isolated(bytes: weightsBytes.count) {
                var s = architecture
                try readKerasWeights(try HDF5File.open(image: weightsBytes), into: &s)
                return s
            }
        } catch let e as HDF5Error {
            throw ModelFormatError("model.weights.h5: \(e.message)")
        } catch let e as ModelFormatError {
            throw ModelFormatError("model.weights.h5: \(e.message)")
        }
        if entries[Keras.trainboardMember] != nil, let extra = try? member(Keras.trainboardMember) {
            trainboardMetadata(extra, into: &saved)
        }
        if entries[Keras.stateMember] != nil {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do {
                let state = try decoder.decode(TrainingState.self, from: Data(try member(Keras.stateMember)))
                try state.validate()
                saved.trainingState = state
            } catch let e as ModelFormatError {
                throw e
            } catch let e as ModelError {
                throw ModelFormatError("\(Keras.stateMember): \(e)")
            } catch {
                throw ModelFormatError("\(Keras.stateMember): not a Trainboard training state (\(error))")
            }
        }
        return saved
    }

    /// Reads an HDF5 model file: Keras 2's legacy full model (`model_config` + `model_weights`), legacy weights
    /// (`layer_names` at the top) or Keras 3 weights (`layers/...`). Weights-only files take the architecture from
    /// `architecture()` (the `.json` next to them).
    static func readHDF5(_ bytes: [UInt8], architecture sibling: () throws -> SavedModel) throws -> SavedModel {
        try isolated(bytes: bytes.count) { try readHDF5InProcess(bytes, architecture: sibling) }
    }

    /// Runs `read` in a child process (`HDF5Isolation`) and returns its model (sent back as Trainboard's JSON).
    static func isolated(bytes size: Int, _ read: () throws -> SavedModel) throws -> SavedModel {
        let bytes = try HDF5Isolation.run(timeout: HDF5Isolation.deadline(forBytes: size)) { try read().encoded(as: .tbmodel) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(SavedModel.self, from: Data(bytes))
    }

    static func readHDF5InProcess(_ bytes: [UInt8], architecture sibling: () throws -> SavedModel) throws -> SavedModel {
        let file = try HDF5File.open(image: bytes)
        let root = try file.root()
        var saved: SavedModel
        if let config = try root.string("model_config") {
            let training = try root.string("training_config").map {
                try JSONReader.parse(Array($0.utf8), what: "the training_config attribute")
            }
            saved = try architecture(try JSONReader.parse(Array(config.utf8), what: "the model_config attribute"),
                                     training: training)
        } else {
            saved = try sibling()
        }
        if let meta = try? root.string(Keras.trainboardAttribute) { trainboardMetadata(Array(meta.utf8), into: &saved) }
        if root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") {
            try readLegacyWeights(root, into: &saved)
        } else if root.contains("model_weights") {
            try readLegacyWeights(try root.group("model_weights"), into: &saved)
        } else {
            try readKerasWeights(file, into: &saved)
        }
        return saved
    }
}
