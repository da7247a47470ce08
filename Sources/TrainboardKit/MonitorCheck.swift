import Dashboard
import NeuralEngine

extension TrainingRun {
    /// The epoch-log keys this run logs (`loss`, its metric `accuracy` or `mae`, their `val_` forms with validation
    /// data, `learning_rate`), known before it starts: the dashboard's panels and the monitors' checks use them.
    public var loggedKeys: [String] {
        Sequential.epochLogKeys(metrics: Sequential.defaultMetrics(for: plan.loss),
                                hasValidation: plan.validationSplit > 0 || validation != nil)
    }

    /// Checks, before training, everything that names a log key: the monitors of EarlyStopping, ReduceLROnPlateau
    /// and a `--save-best-only` ModelCheckpoint (`MonitorCallback.validate(loggedKeys:)`: the key must be logged and,
    /// with mode auto, of a direction Keras 3 knows), and the `{name}` fields of the `--checkpoint` path.
    ///
    /// The keys a run logs are known before it starts: `Sequential.epochLogKeys` for the loss's default metrics, with
    /// `val_` keys when there is validation data (`hasValidation`).
    ///
    /// - Throws: `ConfigurationError` for the option that set the bad name (`monitor`, `early-stopping`,
    ///   `reduce-lr-on-plateau` or `checkpoint`), listing the keys the run logs.
    public static func checkLogKeys(_ plan: TrainingPlan, hasValidation: Bool) throws {
        let keys = Sequential.epochLogKeys(metrics: Sequential.defaultMetrics(for: plan.loss), hasValidation: hasValidation)
        if let charts = plan.charts {
            _ = try RunReplay.parseCharts(charts.joined(separator: ","), metrics: MetricPanels.metrics(in: keys),
                                          what: "this run")
        }
        func ownMonitor(_ spec: String?, option: String, allowed: [String]) -> Bool {
            guard let spec, let o = try? OptionSpec(spec, option: option, allowed: allowed) else { return false }
            return o.string("monitor") != nil
        }
        func check(_ callback: MonitorCallback?, option: String, monitorFromSpec: Bool, modeHint: String) throws {
            guard let callback else { return }
            do {
                try callback.validate(loggedKeys: keys)
            } catch let e as MonitorError {
                let key = monitorFromSpec ? option : "monitor"
                switch e {
                case .unavailable:
                    throw ConfigurationError(key: key, e.description)
                case .unknownDirection(let c, let m):
                    throw ConfigurationError(key: key, "\(c) cannot tell whether '\(m)' should be minimized or "
                                             + "maximized (it is not a loss or a metric; Keras 3 raises here too); "
                                             + modeHint)
                }
            }
        }
        let esKeys = ["monitor", "patience", "min-delta", "mode", "baseline", "restore-best-weights", "start-from-epoch"]
        try check(try plan.makeEarlyStopping(), option: "early-stopping",
                  monitorFromSpec: ownMonitor(plan.earlyStoppingSpec, option: "early-stopping", allowed: esKeys),
                  modeHint: "add mode=min or mode=max to --early-stopping")
        let plateauKeys = ["monitor", "factor", "patience", "min-delta", "cooldown", "min-lr", "mode"]
        try check(try plan.makeReduceLROnPlateau(), option: "reduce-lr-on-plateau",
                  monitorFromSpec: ownMonitor(plan.reduceLROnPlateauSpec, option: "reduce-lr-on-plateau",
                                              allowed: plateauKeys),
                  modeHint: "add mode=min or mode=max to --reduce-lr-on-plateau")
        if let path = plan.checkpoint {
            if plan.saveBestOnly {
                let cp = try? ModelCheckpoint(filepath: path, monitor: plan.monitor, saveBestOnly: true)
                try check(cp, option: "checkpoint", monitorFromSpec: false,
                          modeHint: "--save-best-only needs a loss or a metric")
            }
            if let template = try? FilepathTemplate(path) {
                for name in template.fieldNames where name != "epoch" && !keys.contains(name) {
                    throw ConfigurationError(key: "checkpoint", "the path's field {\(name)} is not a key this run logs; "
                                             + "the fields available are: epoch, " + keys.sorted().joined(separator: ", "))
                }
            }
        }
    }
}
