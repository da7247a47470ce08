import Foundation
import ZIPFoundation

/// Writing Keras's files from a `SavedModel` (see `ModelFormat` for what each holds). The layouts are those Keras
/// 3.15 writes (inspected with h5py): `.keras` = zip of `metadata.json`, `config.json`, `model.weights.h5`;
/// weights files with `layers/<layer>/vars/<i>` datasets and the optimizer's variables under `optimizer/vars`
/// (`0` = iteration, `1` = learning rate unless it is a schedule, then the slots per weight in Keras's order);
/// the legacy `.h5` with `model_weights/<layer>` groups listed by `layer_names` and `weight_names` attributes.
enum Keras {
    /// The Keras version whose file layout Trainboard writes (Keras reads files of its own and older versions).
    static let formatVersion = "3.15.1"
    /// The `.keras` member where Trainboard keeps its own metadata (Keras ignores members it does not know).
    static let trainboardMember = "trainboard.json"
    /// The `.keras` member holding the `TrainingState` of a checkpoint taken during training (Keras ignores it).
    static let stateMember = "trainboard-state.json"
    /// The root attribute of `.h5` / `.weights.h5` files where Trainboard keeps the same metadata as JSON.
    static let trainboardAttribute = "trainboard_metadata"
    /// The model's name in Keras's configuration and variable paths.
    static let modelName = "sequential"

    static func keras(_ name: String) -> JSONValue { .string(name) }

    static func dtypePolicy() -> JSONValue {
        .object([("module", .string("keras")), ("class_name", .string("DTypePolicy")),
                 ("config", .object([("name", .string("float32"))])), ("registered_name", .null)])
    }

    static func serialized(module: String, className: String, config: [(String, JSONValue)],
                           legacy: Bool = false) -> JSONValue {
        legacy ? .object([("class_name", .string(className)), ("config", .object(config))])
            : .object([("module", .string(module)), ("class_name", .string(className)), ("config", .object(config)),
                       ("registered_name", .null)])
    }

    /// Keras's serialized initializer for `i`.
    static func initializer(_ i: Initializer) -> JSONValue {
        let seed: (String, JSONValue) = ("seed", .null)
        let (name, config): (String, [(String, JSONValue)])
        switch i {
        case .glorotUniform: (name, config) = ("GlorotUniform", [seed])
        case .glorotNormal: (name, config) = ("GlorotNormal", [seed])
        case .heUniform: (name, config) = ("HeUniform", [seed])
        case .heNormal: (name, config) = ("HeNormal", [seed])
        case .lecunUniform: (name, config) = ("LecunUniform", [seed])
        case .lecunNormal: (name, config) = ("LecunNormal", [seed])
        case .zero: (name, config) = ("Zeros", [])
        case .uniform: (name, config) = ("RandomUniform", [("minval", .number(-0.05)), ("maxval", .number(0.05)), seed])
        case .normal: (name, config) = ("RandomNormal", [("mean", .number(0)), ("stddev", .number(0.05)), seed])
        }
        return serialized(module: "keras.initializers", className: name, config: config)
    }

    /// Keras's name and slot names for a Trainboard optimizer (`SGD` with momentum 0 has no slots).
    static func optimizerNames(_ optimizer: String, config: [String: Double]) -> (name: String, slots: [String])? {
        switch optimizer {
        case "SGD": return ("sgd", (config["momentum"] ?? 0) != 0 ? ["momentum"] : [])
        case "Adam": return ("adam", ["momentum", "velocity"])
        case "RMSprop": return ("rm_sprop", ["velocity"])
        case "Adagrad": return ("adagrad", ["accumulator"])
        default: return nil
        }
    }
}

extension SavedModel {
    /// Features per input sample: the saved input width, else the first kernel's rows.
    var resolvedInputUnits: Int? { inputUnits ?? weights.first.flatMap { $0.shape.count == 2 ? $0.shape[0] : nil } }

    /// The weights of each layer, in layer order (Dense: kernel then bias; Dropout: none).
    /// - Throws: `ModelFormatError` when the tensors do not add up to the layers.
    func weightsByLayer() throws -> [[SavedTensor]] {
        var out: [[SavedTensor]] = []
        var k = 0
        for l in layers {
            let n = l.className == "Dense" ? ((l.useBias ?? true) ? 2 : 1) : 0
            guard k + n <= weights.count else {
                throw ModelFormatError("layer \(l.name) needs \(n) weight tensors but only \(weights.count - k) are left")
            }
            out.append(Array(weights[k ..< k + n]))
            k += n
        }
        guard k == weights.count else { throw ModelFormatError("\(weights.count - k) weight tensors belong to no layer") }
        return out
    }

    /// The shape Keras gives a tensor: a Dense bias is 1-D `[units]`, a kernel `[inputs, units]`.
    static func kerasShape(_ t: SavedTensor) -> [Int] {
        t.name.hasSuffix("/bias") && t.shape.count == 2 && t.shape[0] == 1 ? [t.shape[1]] : t.shape
    }

    // MARK: Architecture

    /// The architecture as `model.to_json()` writes it (Keras 3), or as the legacy `.h5` `model_config` attribute
    /// holds it (`legacy`: layers without `module`, `registered_name` and `build_config`).
    func kerasArchitecture(legacy: Bool, includeCompile: Bool) -> JSONValue {
        let input = resolvedInputUnits
        let shape: JSONValue = .array([.null, input.map { .int($0) } ?? .null])
        var layerList: [JSONValue] = []
        let inputConfig: [(String, JSONValue)] = [
            ("batch_shape", shape), ("dtype", .string("float32")), ("sparse", .bool(false)), ("ragged", .bool(false)),
            ("name", .string("input_layer")), ("optional", .bool(false)),
        ]
        layerList.append(Keras.serialized(module: "keras.layers", className: "InputLayer", config: inputConfig,
                                          legacy: legacy))
        var width = input
        for l in layers {
            var config: [(String, JSONValue)] = [("name", .string(l.name)), ("trainable", .bool(true)),
                                                 ("dtype", Keras.dtypePolicy())]
            switch l.className {
            case "Dense":
                config += [
                    ("units", .int(l.units ?? 0)), ("activation", .string((l.activation ?? .linear).rawValue)),
                    ("use_bias", .bool(l.useBias ?? true)),
                    ("kernel_initializer", Keras.initializer(l.kernelInitializer ?? .glorotUniform)),
                    ("bias_initializer", Keras.initializer(l.biasInitializer ?? .zero)),
                    ("kernel_regularizer", .null), ("bias_regularizer", .null), ("kernel_constraint", .null),
                    ("bias_constraint", .null),
                ]
            default:
                config += [("rate", .number(l.rate ?? 0)), ("seed", .null), ("noise_shape", .null)]
            }
            var entry: [(String, JSONValue)] = legacy ? [("class_name", .string(l.className)), ("config", .object(config))]
                : [("module", .string("keras.layers")), ("class_name", .string(l.className)),
                   ("config", .object(config)), ("registered_name", .null)]
            if !legacy, l.className == "Dense" {
                entry.append(("build_config", .object([("input_shape", .array([.null, width.map { .int($0) } ?? .null]))])))
            }
            if l.className == "Dense" { width = l.units }
            layerList.append(.object(entry))
        }
        let config: [(String, JSONValue)] = [
            ("name", .string(Keras.modelName)), ("trainable", .bool(true)), ("dtype", Keras.dtypePolicy()),
            ("layers", .array(layerList)), ("build_input_shape", shape),
        ]
        if legacy { return .object([("class_name", .string("Sequential")), ("config", .object(config))]) }
        var top: [(String, JSONValue)] = [
            ("module", .string("keras")), ("class_name", .string("Sequential")), ("config", .object(config)),
            ("registered_name", .null), ("build_config", .object([("input_shape", shape)])),
        ]
        if includeCompile, let c = kerasCompileConfig() { top.append(("compile_config", c)) }
        return .object(top)
    }

    /// Keras's serialized optimizer (`legacy`: without `module`/`registered_name`, as in `training_config`). The
    /// legacy per-update decay becomes Keras 3's `InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`, the same
    /// `lr / (1 + decay * t)`.
    func kerasOptimizer(legacy: Bool) -> JSONValue? {
        guard let name = optimizer, let config = optimizerConfig,
              let names = Keras.optimizerNames(name, config: config) else { return nil }
        let lr = config["learning_rate"] ?? 0.01
        let decay = config["decay"] ?? 0
        let rate: JSONValue = decay > 0
            ? Keras.serialized(module: "keras.optimizers.schedules", className: "InverseTimeDecay", config: [
                ("initial_learning_rate", .number(lr)), ("decay_steps", .int(1)), ("decay_rate", .number(decay)),
                ("staircase", .bool(false)), ("name", .string("InverseTimeDecay")),
            ])
            : .number(lr)
        var c: [(String, JSONValue)] = [
            ("name", .string(names.name)), ("learning_rate", rate), ("weight_decay", .null), ("clipnorm", .null),
            ("global_clipnorm", .null), ("clipvalue", .null), ("use_ema", .bool(false)), ("ema_momentum", .number(0.99)),
            ("ema_overwrite_frequency", .null), ("loss_scale_factor", .null), ("gradient_accumulation_steps", .null),
        ]
        switch name {
        case "SGD": c += [("momentum", .number(config["momentum"] ?? 0)), ("nesterov", .bool((config["nesterov"] ?? 0) != 0))]
        case "Adam": c += [("beta_1", .number(config["beta_1"] ?? 0.9)), ("beta_2", .number(config["beta_2"] ?? 0.999)),
                           ("epsilon", .number(config["epsilon"] ?? 1e-7)), ("amsgrad", .bool(false))]
        case "RMSprop": c += [("rho", .number(config["rho"] ?? 0.9)), ("momentum", .number(0)),
                              ("epsilon", .number(config["epsilon"] ?? 1e-7)), ("centered", .bool(false))]
        default: c += [("initial_accumulator_value", .number(config["initial_accumulator_value"] ?? 0.1)),
                       ("epsilon", .number(config["epsilon"] ?? 1e-7))]
        }
        return Keras.serialized(module: "keras.optimizers", className: name, config: c, legacy: legacy)
    }

    /// The metrics Trainboard reports for the loss (Keras names).
    var kerasMetrics: JSONValue {
        guard let loss else { return .null }
        return .array(Sequential.defaultMetrics(for: loss).map { .string($0.rawValue) })
    }

    /// `compile_config` of `config.json`, or nil for a model never compiled.
    func kerasCompileConfig() -> JSONValue? {
        guard let loss, let opt = kerasOptimizer(legacy: false) else { return nil }
        return .object([
            ("optimizer", opt), ("loss", .string(loss.rawValue)), ("loss_weights", .null), ("metrics", kerasMetrics),
            ("weighted_metrics", .null), ("run_eagerly", .bool(false)), ("steps_per_execution", .int(1)),
            ("jit_compile", .bool(false)),
        ])
    }

    /// The legacy `.h5` `training_config` attribute, or nil for a model never compiled.
    func legacyTrainingConfig() -> JSONValue? {
        guard let loss, let opt = kerasOptimizer(legacy: true) else { return nil }
        return .object([
            ("loss", .string(loss.rawValue)), ("loss_weights", .null), ("metrics", kerasMetrics),
            ("weighted_metrics", .null), ("run_eagerly", .bool(false)), ("steps_per_execution", .int(1)),
            ("jit_compile", .bool(false)), ("optimizer_config", opt),
        ])
    }

    // MARK: Optimizer variables

    /// The optimizer's variables in Keras's order: (Keras variable name, shape, float values or an int32 iteration).
    /// Slots never created (no update yet) are written as Keras initialises them (zeros; Adagrad 0.1).
    func kerasOptimizerVariables() -> (name: String, variables: [(name: String, shape: [Int], values: [Float]?, int: Int32?)])? {
        guard let opt = optimizer, let config = optimizerConfig, let names = Keras.optimizerNames(opt, config: config)
        else { return nil }
        var vars: [(name: String, shape: [Int], values: [Float]?, int: Int32?)] = []
        vars.append(("iteration", [], nil, Int32(clamping: optimizerIterations ?? 0)))
        if (config["decay"] ?? 0) <= 0 {
            vars.append(("learning_rate", [], [Float(config["learning_rate"] ?? 0.01)], nil))
        }
        let initial: Float = opt == "Adagrad" ? Float(config["initial_accumulator_value"] ?? 0.1) : 0
        for (i, w) in weights.enumerated() {
            let shape = SavedModel.kerasShape(w)
            let path = Keras.modelName + "_" + w.name.replacingOccurrences(of: "/", with: "_")
            for (s, slot) in names.slots.enumerated() {
                let saved = optimizerSlots.flatMap { $0.indices.contains(i) ? $0[i] : nil }
                let values = saved.flatMap { $0.indices.contains(s) && $0[s].values.count == w.values.count ? $0[s].values : nil }
                vars.append((path + "_" + slot, shape, values ?? [Float](repeating: initial, count: w.values.count), nil))
            }
        }
        return (names.name, vars)
    }

    // MARK: Files

    /// Trainboard's metadata as JSON (epoch, updates, logs, reason, seed), kept in `.keras` and `.h5` files.
    func trainboardMetadataJSON() throws -> [UInt8] {
        struct Extra: Encodable {
            var format = "trainboard-metadata"
            var formatVersion = 1
            var seed: UInt64
            var metadata: ModelMetadata
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(Extra(seed: seed, metadata: metadata)))
    }

    /// The weights file in Keras 3's layout (`model.weights.h5` of a `.keras` archive, or a `.weights.h5`).
    func kerasWeightsFile() throws -> [UInt8] {
        let file = try HDF5File.create()
        let root = try file.root()
        let layerGroup = try root.createGroup("layers")
        for (l, tensors) in zip(layers, try weightsByLayer()) {
            let vars = try layerGroup.createGroup(l.name).createGroup("vars")
            try vars.setAttribute("name", string: l.name)
            for (i, t) in tensors.enumerated() {
                try vars.write(String(i), float32: t.values, shape: SavedModel.kerasShape(t))
            }
        }
        if let (name, variables) = kerasOptimizerVariables() {
            let vars = try root.createGroup("optimizer").createGroup("vars")
            try vars.setAttribute("name", string: name)
            for (i, v) in variables.enumerated() {
                if let n = v.int { try vars.write(String(i), int32: n) } else {
                    try vars.write(String(i), float32: v.values ?? [], shape: v.shape)
                }
            }
        }
        try root.createGroup("vars").setAttribute("name", string: Keras.modelName)
        return try file.image()
    }

    /// Keras 2's legacy full-model `.h5`: `model_config`, `training_config`, `model_weights`, `optimizer_weights`.
    func legacyH5File() throws -> [UInt8] {
        let file = try HDF5File.create()
        let root = try file.root()
        try root.setAttribute("backend", string: "tensorflow")
        try root.setAttribute("keras_version", string: Keras.formatVersion)
        try root.setAttribute("model_config", string: kerasArchitecture(legacy: true, includeCompile: false).text)
        if let t = legacyTrainingConfig() { try root.setAttribute("training_config", string: t.text) }
        try root.setAttribute(Keras.trainboardAttribute, string: String(decoding: try trainboardMetadataJSON(), as: UTF8.self))
        let group = try root.createGroup("model_weights")
        try group.setAttribute("layer_names", strings: layers.map(\.name))
        try group.setAttribute("backend", string: "tensorflow")
        try group.setAttribute("keras_version", string: Keras.formatVersion)
        for (l, tensors) in zip(layers, try weightsByLayer()) {
            let g = try group.createGroup(l.name)
            let names = tensors.map { Keras.modelName + "/" + $0.name }
            try g.setAttribute("weight_names", strings: names)
            for (name, t) in zip(names, tensors) {
                try g.writeNested(name, values: t.values, shape: SavedModel.kerasShape(t))
            }
        }
        try group.createGroup("top_level_model_weights").setAttribute("weight_names", strings: [])
        if let (name, variables) = kerasOptimizerVariables() {
            let g = try root.createGroup("optimizer_weights")
            let names = variables.map { name + "/" + $0.name }
            try g.setAttribute("weight_names", strings: names)
            let inner = try g.createGroup(name)
            for v in variables {
                if let n = v.int { try inner.write(v.name, int32: n) } else {
                    try inner.write(v.name, float32: v.values ?? [], shape: v.shape)
                }
            }
        }
        return try file.image()
    }

    /// The `.keras` zip archive: `metadata.json`, `config.json`, `model.weights.h5`, and `trainboard.json`.
    func kerasArchive(date: Date = Date()) throws -> [UInt8] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        let metadata: JSONValue = .object([("keras_version", .string(Keras.formatVersion)),
                                           ("date_saved", .string(formatter.string(from: date)))])
        let members: [(String, [UInt8], CompressionMethod)] = [
            ("metadata.json", Array(metadata.text.utf8), .deflate),
            ("config.json", Array(kerasArchitecture(legacy: false, includeCompile: true).text.utf8), .deflate),
            ("model.weights.h5", try kerasWeightsFile(), .none),
            (Keras.trainboardMember, try trainboardMetadataJSON(), .deflate),
        ] + (try trainingState.map { state in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return [(Keras.stateMember, Array(try encoder.encode(state)), CompressionMethod.deflate)]
        } ?? [])
        let archive = try Archive(data: Data(), accessMode: .create)
        for (name, bytes, method) in members {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: date,
                                 compressionMethod: method) { position, size in
                Data(bytes[Int(position) ..< Int(position) + size])
            }
        }
        guard let data = archive.data else { throw ModelFormatError("the zip archive could not be produced") }
        return Array(data)
    }

    /// The bytes of the file in `format`.
    func encoded(as format: ModelFormat) throws -> [UInt8] {
        switch format {
        case .keras: return try kerasArchive()
        case .weightsH5:
            let bytes = try kerasWeightsFile()
            return bytes
        case .h5: return try legacyH5File()
        case .json: return Array(kerasArchitecture(legacy: false, includeCompile: false).text.utf8)
        case .tbmodel:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return Array(try encoder.encode(self))
        }
    }
}

extension HDF5Group {
    /// Writes a float32 dataset at a relative path (`sequential/dense/kernel`), creating the groups on the way.
    func writeNested(_ path: String, values: [Float], shape: [Int]) throws {
        let parts = path.split(separator: "/").map(String.init)
        var g = self
        for p in parts.dropLast() { g = g.contains(p) ? try g.group(p) : try g.createGroup(p) }
        try g.write(parts.last ?? path, float32: values, shape: shape)
    }

    /// Opens the dataset at a relative path (`sequential/dense/kernel`) and reads it as float32.
    func readNested(_ path: String, maxElements: Int) throws -> (shape: [Int], values: [Float]) {
        let parts = path.split(separator: "/").map(String.init)
        guard !parts.isEmpty, parts.count <= 16 else { throw HDF5Error("bad dataset path \(path)") }
        var g = self
        for p in parts.dropLast() { g = try g.group(p) }
        return try g.readFloats(parts[parts.count - 1], maxElements: maxElements)
    }
}
