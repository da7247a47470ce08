import ArgumentParser
import TrainboardKit

/// The `train` flags: Keras argument names in kebab-case. Every flag is optional here so that a YAML `--config` can
/// supply it; `RunConfiguration.defaults` fills the rest.
///
/// One line per option: the property has the name of the `RunConfiguration` property (the key in camelCase, which
/// ArgumentParser turns back into the kebab-case flag) and takes its help from the option's `RunConfiguration.Field`
/// (`.option(\.name)`). `configuration` maps the flags by property name; nothing else lists them (see "Adding an
/// option" at `RunConfiguration`).
struct TrainOptions: ParsableArguments {
    @Option(help: .option(\.data)) var data: String?
    @Option(parsing: .unconditional, help: .option(\.labelColumn)) var labelColumn: String?
    @Flag(help: .option(\.dropMissing)) var dropMissing = false
    @Option(parsing: .unconditional, help: .option(\.rescale)) var rescale: Double?
    @Flag(help: .option(\.normalize)) var normalize = false
    @Option(parsing: .unconditional, help: .option(\.epochs)) var epochs: Int?
    @Option(parsing: .unconditional, help: .option(\.batchSize)) var batchSize: Int?
    @Option(help: .option(\.hidden)) var hidden: String?
    @Option(parsing: .unconditional, help: .option(\.dropout)) var dropout: Double?
    @Option(help: .option(\.activation)) var activation: String?
    @Option(help: .option(\.outputActivation)) var outputActivation: String?
    @Option(help: .option(\.`init`)) var `init`: String?
    @Option(help: .option(\.loss)) var loss: String?
    @Option(help: .option(\.optimizer)) var optimizer: String?
    @Option(parsing: .unconditional, help: .option(\.lr)) var lr: Double?
    @Option(parsing: .unconditional, help: .option(\.momentum)) var momentum: Double?
    @Option(parsing: .unconditional, help: .option(\.decay)) var decay: Double?
    @Flag(help: .option(\.nesterov)) var nesterov = false
    @Option(help: .option(\.schedule)) var schedule: String?
    @Option(help: .option(\.earlyStopping)) var earlyStopping: String?
    @Option(help: .option(\.reduceLrOnPlateau)) var reduceLrOnPlateau: String?
    @Option(help: .option(\.checkpoint)) var checkpoint: String?
    @Flag(help: .option(\.saveBestOnly)) var saveBestOnly = false
    @Option(help: .option(\.monitor)) var monitor: String?
    @Option(help: .option(\.csvLog)) var csvLog: String?
    @Option(help: .option(\.logJsonl)) var logJsonl: String?
    @Option(parsing: .unconditional, help: .option(\.validationSplit)) var validationSplit: Double?
    @Option(parsing: .unconditional, help: .option(\.maxSamples)) var maxSamples: Int?
    @Option(parsing: .unconditional, help: .option(\.seed)) var seed: UInt64?
    @Flag(help: .option(\.headless)) var headless = false
    @Option(help: .option(\.theme)) var theme: String?
    @Option(help: .option(\.journal)) var journal: String?
    @Option(help: .option(\.replayJournal)) var replayJournal: String?
    @Flag(help: .option(\.exitWhenDone)) var exitWhenDone = false
    @Flag(inversion: .prefixedNo, help: .option(\.terminateOnNan)) var terminateOnNan: Bool?
    @Option(help: .option(\.memoryLimit)) var memoryLimit: String?
    @Option(help: .option(\.charts)) var charts: String?
    @Option(help: .option(\.from)) var from: String?
    @Option(help: .option(\.resume)) var resume: String?
    @Option(help: .option(\.listen)) var listen: String?
    @Option(help: ArgumentHelp("YAML file with any of these options (keys = flag names without --); flags override it.", valueName: "file.yaml"))
    var config: String?

    /// Every option flag as (property name, value): nil when not given (a `@Flag` Bool that is off counts as not given,
    /// so that a config file can turn it on), read by reflection so that no flag is listed twice. `config` is left out.
    var flagValues: [(property: String, value: Any?)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label, let flag = child.value as? FlagValue else { return nil }
            let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
            return name == "config" ? nil : (name, flag.flagValue)
        }
    }

    /// The flags given on the command line, as a configuration (nil = not given). Every flag maps to the field of the
    /// same property name (`OptionDeclarationTests` check it; a debug build stops here otherwise).
    var configuration: RunConfiguration {
        let (c, unmatched) = RunConfiguration.fromFlags(flagValues)
        assert(unmatched.isEmpty, "flags without a RunConfiguration field: \(unmatched)")
        return c
    }
}

extension ArgumentHelp {
    /// The help of the option whose value lives at `keyPath` in `RunConfiguration`: its `Field`'s text, value name and
    /// discussion.
    static func option<T>(_ keyPath: KeyPath<RunConfiguration, T?>) -> ArgumentHelp {
        guard let f = RunConfiguration.field(at: keyPath) else { return ArgumentHelp("") }
        return ArgumentHelp(f.help, discussion: f.discussion, valueName: f.valueName)
    }
}

/// A parsed `@Option` or `@Flag` seen through reflection: its value with optionals flattened (nil: not given).
protocol FlagValue {
    var flagValue: Any? { get }
}

extension Option: FlagValue {
    var flagValue: Any? { flattened(wrappedValue) }
}

extension Flag: FlagValue {
    /// A plain on/off flag (`Bool`) that is off is "not given"; an inversion (`Bool?`, `--no-x`) keeps false.
    var flagValue: Any? {
        let v = flattened(wrappedValue)
        if Value.self == Bool.self, let b = v as? Bool, !b { return nil }
        return v
    }
}

/// `value` without its layers of `Optional` (nil when any layer is nil).
private func flattened(_ value: Any) -> Any? {
    let m = Mirror(reflecting: value)
    guard m.displayStyle == .optional else { return value }
    guard let inner = m.children.first?.value else { return nil }
    return flattened(inner)
}
