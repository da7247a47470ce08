/// A layer's configuration, Keras-style (`class_name` plus the arguments that rebuild it).
public struct LayerConfig: Codable, Equatable, Sendable {
    public var className: String
    public var name: String
    public var units: Int?
    public var activation: Activation?
    public var kernelInitializer: Initializer?
    public var biasInitializer: Initializer?
    public var useBias: Bool?
    public var rate: Double?
    public var inputDim: Int?

    enum CodingKeys: String, CodingKey {
        case className = "class_name", name, units, activation
        case kernelInitializer = "kernel_initializer", biasInitializer = "bias_initializer", useBias = "use_bias"
        case rate, inputDim = "input_dim"
    }

    /// Rebuilds the layer (unbuilt). Throws `ModelError.invalidArgument` for an unknown class or missing field.
    public func makeLayer() throws -> Layer {
        switch className {
        case "Dense":
            guard let units, units > 0 else { throw ModelError.invalidArgument("Dense layer \(name): missing or bad units") }
            return Dense(units, activation: activation ?? .linear, kernelInitializer: kernelInitializer ?? .glorotUniform,
                         biasInitializer: biasInitializer ?? .zero, useBias: useBias ?? true, inputDim: inputDim,
                         name: name)
        case "Dropout":
            guard let rate, rate >= 0, rate < 1 else { throw ModelError.invalidArgument("Dropout layer \(name): rate must be in [0, 1)") }
            return Dropout(rate, name: name)
        default:
            throw ModelError.invalidArgument("unknown layer class \(className)")
        }
    }
}

extension Sequential {
    /// The configuration of every layer, in order.
    public var layerConfigs: [LayerConfig] { layers.map(\.config) }
}
