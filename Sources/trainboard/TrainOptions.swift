import ArgumentParser
import TrainboardKit

/// The `train` flags: Keras argument names in kebab-case. Every flag is optional here so that a YAML `--config` can
/// supply it; `RunConfiguration.defaults` fills the rest.
struct TrainOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Data: fashion-mnist (Debian's dataset-fashion-mnist), mnist (Keras's mnist.npz, downloaded when missing), or a path to a directory of IDX files, an .npz or a .csv[.gz].", valueName: "name|path"))
    var data: String?
    @Option(name: .customLong("label-column"), parsing: .unconditional, help: ArgumentHelp("CSV: the label column, by header name or 0-based index (-1 = last); default: the column named label, else the last. Headerless label-first files (MNIST in CSV) need 0.", valueName: "name|index"))
    var labelColumn: String?
    @Flag(name: .customLong("drop-missing"), help: "CSV: drop rows with an empty, NA/null or non-finite (nan, inf) cell instead of stopping with an error.")
    var dropMissing = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Keras Rescaling: features become value * FACTOR, replacing the default 1/255 of images (IDX, .npz bytes, 0-255 pixel CSVs); --rescale 1 keeps raw pixel values.", valueName: "factor"))
    var rescale: Double?
    @Flag(help: "Standardise each feature, (x - mean) / std, with statistics of the training split only (after --validation-split), applied to validation and test data too; a constant feature is only centred.")
    var normalize = false
    @Option(parsing: .unconditional, help: "Epochs to train, >= 1 (default 60).") var epochs: Int?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Samples per update, >= 1 (default 128).") var batchSize: Int?
    @Option(help: ArgumentHelp("Hidden layer sizes, comma-separated, or none (default 64,64).", valueName: "n,n,...")) var hidden: String?
    @Option(parsing: .unconditional, help: "Dropout rate between hidden layers, in [0, 1) (default 0.1).") var dropout: Double?
    @Option(help: "Hidden activation: relu, sigmoid, tanh, linear, softmax (default relu).") var activation: String?
    @Option(name: .customLong("output-activation"), help: "Output activation (default: softmax for categorical_crossentropy, sigmoid for binary_crossentropy, linear for mean_squared_error).")
    var outputActivation: String?
    @Option(name: .customLong("init"), help: "Kernel initializer: glorot_uniform (default, as Keras's Dense), glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, uniform (Keras 2's U(-0.05, 0.05)), normal, zero.")
    var initializer: String?
    @Option(help: "Loss: categorical_crossentropy, binary_crossentropy, mean_squared_error (default categorical_crossentropy).") var loss: String?
    @Option(help: "Optimizer: sgd, adam, rmsprop, adagrad (default sgd).") var optimizer: String?
    @Option(parsing: .unconditional, help: "Learning rate, >= 0; 0 freezes the weights (default 0.1 for sgd, 0.001 for adam, rmsprop and adagrad).") var lr: Double?
    @Option(parsing: .unconditional, help: "SGD momentum, in [0, 1) (default 0.8).") var momentum: Double?
    @Option(parsing: .unconditional, help: "Legacy per-update decay, >= 0: lr / (1 + decay * updates) (default 0.0016 for sgd, the tutorial's setup; 0 for adam, rmsprop and adagrad).")
    var decay: Double?
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(help: ArgumentHelp("Learning-rate schedule: time:k=0.01, step:drop=0.5,every=10, exp:k=0.1 or sgdr:t0=10,tmult=2,min=0[,max=X].",
                               discussion: """
                               Schedules count epochs (e = 0, 1, ...), not updates: the base rate is set at \
                               the start of each epoch, and --decay still applies per update on top.
                                 time   lr0 / (1 + k*e)
                                 step   lr0 * drop^floor(e / every)
                                        (every=10, lr 0.1: epochs 0-9 0.1, 10-19 0.05, 20-29 0.025)
                                 exp    lr0 * exp(-k*e)
                                 sgdr   min + (max - min) * (1 + cos(pi * (e - S) / T)) / 2
                                        cycle i lasts T = t0 * tmult^i epochs and starts at epoch S
                                        (warm restarts; tmult 1, min 0 and max lr0 by default)
                               """, valueName: "spec"))
    var schedule: String?
    @Option(name: .customLong("early-stopping"), help: ArgumentHelp("EarlyStopping: on, or monitor=val_loss,patience=5,min-delta=0,mode=auto,baseline=X,start-from-epoch=0,restore-best-weights.", valueName: "spec"))
    var earlyStopping: String?
    @Option(name: .customLong("reduce-lr-on-plateau"), help: ArgumentHelp("ReduceLROnPlateau: on, or monitor=val_loss,factor=0.1,patience=10,min-delta=1e-4,cooldown=0,min-lr=0.", valueName: "spec"))
    var reduceLROnPlateau: String?
    @Option(help: ArgumentHelp("ModelCheckpoint file; may use {epoch:02d} and {val_loss:.4f}. The extension picks the format: .keras (Keras 3's archive, also for other extensions), .h5 (Keras 2's legacy full model), .weights.h5 (Keras 3 weights), .tbmodel.", valueName: "path")) var checkpoint: String?
    @Flag(name: .customLong("save-best-only"), help: "Checkpoint only when the monitored value improves.") var saveBestOnly = false
    @Option(help: "Log key that --save-best-only (and, unless their spec says otherwise, EarlyStopping and ReduceLROnPlateau) watch (default val_loss). It must be a key the run logs (loss, accuracy or mae, their val_ forms with validation data, learning_rate): otherwise an error before training lists them. mode=auto (the default) minimizes losses and error metrics and maximizes accuracy-like ones, as Keras 3.")
    var monitor: String?
    @Option(name: .customLong("csv-log"), help: ArgumentHelp("CSVLogger file (Keras columns).", valueName: "path")) var csvLog: String?
    @Option(name: .customLong("log-jsonl"), help: ArgumentHelp("JSON-lines log: one object per epoch.", valueName: "path")) var logJSONL: String?
    @Option(name: .customLong("validation-split"), parsing: .unconditional, help: "Hold out this fraction of the training data (the tail, as Keras) instead of validating on the test split.")
    var validationSplit: Double?
    @Option(name: .customLong("max-samples"), parsing: .unconditional, help: "Use only the first N training (and test) samples, N >= 1 (default: all).") var maxSamples: Int?
    @Option(parsing: .unconditional, help: "Random seed, a whole number >= 0 (initialisation, shuffling, dropout; default 1).") var seed: UInt64?
    @Flag(help: "No dashboard: one line per epoch (also whenever stdout is not a terminal).") var headless = false
    @Option(help: ArgumentHelp("Dashboard theme name (see `trainboard themes`) or a .theme file.", valueName: "name|path")) var theme: String?
    @Option(help: ArgumentHelp("Control journal (manual actions, JSON lines); default: next to the logs.", valueName: "path")) var journal: String?
    @Option(name: .customLong("replay-journal"), help: ArgumentHelp("Replay the learning-rate changes of a control journal at the same updates.", valueName: "path"))
    var replayJournal: String?
    @Flag(name: .customLong("exit-when-done"), help: "Close the dashboard as soon as training ends (scripts, benchmarks).")
    var exitWhenDone = false
    @Flag(name: .customLong("terminate-on-nan"), inversion: .prefixedNo,
          help: "Stop training at the first NaN or infinite batch loss (TerminateOnNaN; default on).")
    var terminateOnNan: Bool?
    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("Largest memory a run may plan for its data, model and batch, checked before allocating (default: half of physical memory, or TRAINBOARD_MEMORY_LIMIT).", valueName: "size, e.g. 8G"))
    var memoryLimit: String?
    @Option(help: ArgumentHelp("Dashboard: the metrics drawn as line charts, e.g. loss,mae (default: loss and the run's metric, accuracy or mae); the m key changes it.", valueName: "m,m,..."))
    var charts: String?
    @Option(help: ArgumentHelp("Start from a saved model (.keras, .h5, .weights.h5 with its .json, .json, .tbmodel): its architecture and weights (a .json alone: fresh weights), with a fresh optimizer from these flags; --hidden, --dropout, --activation, --output-activation and --init are then not used.", valueName: "model"))
    var from: String?
    @Option(help: ArgumentHelp("Continue a run exactly where a .keras checkpoint (from --checkpoint, the dashboard's c key or its final checkpoint) stopped: weights, optimizer state, update count, epoch and batch, data order, random streams and callbacks' states. Options not given are the checkpoint's; --epochs may be raised, the log, checkpoint, schedule and callback options may change; the model, data, optimizer, batch size and seed must stay.", valueName: "checkpoint"))
    var resume: String?
    @Option(help: ArgumentHelp("YAML file with any of these options (keys = flag names without --); flags override it.", valueName: "file.yaml"))
    var config: String?

    /// The flags given on the command line, as a configuration (nil = not given).
    var configuration: RunConfiguration {
        var c = RunConfiguration()
        c.data = data; c.epochs = epochs; c.batchSize = batchSize; c.hidden = hidden; c.dropout = dropout
        c.activation = activation; c.outputActivation = outputActivation; c.`init` = initializer; c.loss = loss
        c.optimizer = optimizer; c.lr = lr; c.momentum = momentum; c.decay = decay
        c.nesterov = nesterov ? true : nil
        c.schedule = schedule; c.earlyStopping = earlyStopping; c.reduceLrOnPlateau = reduceLROnPlateau
        c.checkpoint = checkpoint; c.saveBestOnly = saveBestOnly ? true : nil; c.monitor = monitor
        c.csvLog = csvLog; c.logJsonl = logJSONL; c.validationSplit = validationSplit; c.maxSamples = maxSamples
        c.seed = seed; c.headless = headless ? true : nil; c.theme = theme; c.journal = journal
        c.replayJournal = replayJournal; c.terminateOnNan = terminateOnNan; c.exitWhenDone = exitWhenDone ? true : nil
        c.labelColumn = labelColumn; c.dropMissing = dropMissing ? true : nil; c.rescale = rescale
        c.normalize = normalize ? true : nil; c.memoryLimit = memoryLimit; c.charts = charts; c.from = from
        c.resume = resume
        return c
    }
}
