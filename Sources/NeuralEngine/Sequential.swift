import CBLAS
import SafeIO

/// A linear stack of layers trained by mini-batch gradient descent, with Keras's `Sequential` API:
/// `compile`, `fit`, `evaluate`, `predict`, `getWeights`/`setWeights`, `stopTraining`.
///
/// Data: `Dataset` of `[samples, features]` inputs and targets. Outputs are `[samples, units of the last layer]`.
///
/// Reproducibility: everything random derives from `seed` through three `SeededGenerator` streams (1: weight
/// initialisation, 2: shuffling, 3: dropout). Same seed, data, architecture and flags -> identical `History`
/// (floating-point results also depend on the BLAS library, the number of CPUs, which decides between data-parallel
/// and one-thread steps (`usesDataParallel`), and BLAS's thread count: all fixed for a given machine).
///
/// Thread-safety: not thread-safe. Create, train and query a model on one thread (Trainboard's trainer thread);
/// talk to it from elsewhere only through a callback (e.g. the dashboard's channel).
public final class Sequential {
    /// The layers, in order.
    public private(set) var layers: [Layer] = []
    /// The model's name (Keras default `sequential`).
    public let name: String
    /// The seed behind initialisation, shuffling and dropout.
    public let seed: UInt64
    /// Set to `true` (by a callback) to stop `fit` after the current batch.
    public var stopTraining = false
    /// The optimizer, once compiled.
    public private(set) var optimizer: Optimizer?
    /// The loss, once compiled.
    public private(set) var loss: Loss?
    /// The metrics reported besides the loss (resolved at compile time).
    public private(set) var metrics: [Metric] = []
    /// The epoch `fit` is in (0-based), or the last one it finished; -1 before training.
    public private(set) var currentEpoch = -1
    /// The error a callback raised (`Callback.raise(_:)`) in the running `fit`, until `fit` throws it.
    public internal(set) var raisedError: Error?

    /// The state a running `fit` resumed from (`fit(..., resume:)`), nil otherwise; callbacks read it in
    /// `onTrainBegin` (e.g. `CSVLogger` keeps the log's earlier rows instead of truncating it).
    public private(set) var resumedFrom: TrainingState?
    /// Application options copied into every `trainingState()` (`TrainingState.plan`), e.g. Trainboard's run options.
    public var statePlan: [String: String] = [:]
    /// Where the running `fit` is; nil outside `fit`.
    private var progress: FitProgress?

    /// The running `fit`'s position, updated at every batch boundary (a class: updating it copies nothing).
    private final class FitProgress {
        var epoch = 0, batchesDone = 0, epochEnded = false, shuffled = false
        var order: [Int]
        var lossSum = 0.0, seen = 0, metricSums: [Double] = [], lastLR = 0.0
        var epochLogs: Logs?
        let history: History
        let callbacks: [Callback]
        let prior: [EpochRecord]
        init(order: [Int], history: History, callbacks: [Callback], prior: [EpochRecord]) {
            self.order = order; self.history = history; self.callbacks = callbacks; self.prior = prior
        }
    }

    var initRNG: SeededGenerator
    var shuffleRNG: SeededGenerator
    var dropoutRNG: SeededGenerator
    private var nameCounts: [String: Int] = [:]
    private var capacity = 0
    private var xBuffer = FloatBuffer(capacity: 1)
    private var yBuffer = FloatBuffer(capacity: 1)
    private var gBuffer = FloatBuffer(capacity: 1)

    /// How `fit` uses the cores for one training step.
    enum Parallelism {
        /// `dataParallel` when `usesDataParallel(batchRows:)`'s rule says so, else `serial`.
        case automatic
        /// One forward and backward pass over the whole batch; BLAS threads its GEMMs itself.
        case serial
        /// The batch is cut into two halves, each gathered, run forward and backward on its own thread with
        /// one-thread BLAS (the training thread and `ChunkPool`'s helper); their gradients are added before one update.
        case dataParallel
    }
    /// The step strategy `fit` uses (tests force one; the default follows the rule of `usesDataParallel`).
    var parallelism = Parallelism.automatic
    /// Copies of `layers` sharing their weights, for the second half of a data-parallel step; built on first use.
    private var replicas: [Layer]?
    /// The first row of the second half (the replicas' workspaces start there).
    private var replicaOffset = 0
    /// The two halves' (loss sum, metric sums) of the last data-parallel step.
    private let halfResults = UnsafeMutablePointer<(Double, [Double])>.allocate(capacity: 2)
    private var halfResultsInitialized = false

    /// - Parameters:
    ///   - layers: the stack, first to last.
    ///   - seed: the random seed (Keras: `keras.utils.set_random_seed`).
    public init(_ layers: [Layer] = [], seed: UInt64 = 0, name: String = "sequential") {
        self.name = name
        self.seed = seed
        initRNG = SeededGenerator(seed: seed, stream: 1)
        shuffleRNG = SeededGenerator(seed: seed, stream: 2)
        dropoutRNG = SeededGenerator(seed: seed, stream: 3)
        for l in layers { add(l) }
    }

    deinit {
        if halfResultsInitialized { halfResults.deinitialize(count: 2) }
        halfResults.deallocate()
    }

    /// Records the first error a callback raised and stops training; `fit` throws it after the current hook.
    func raise(_ error: Error) {
        if raisedError == nil { raisedError = error }
        stopTraining = true
    }

    /// The full training state at this moment, for a resumable checkpoint (see `TrainingState`): call it from a
    /// callback hook during `fit` (a batch boundary, an epoch's begin or end); nil outside `fit`.
    public func trainingState() -> TrainingState? {
        guard let p = progress, let optimizer else { return nil }
        var history = p.prior + p.history.records
        if p.epochEnded, let logs = p.epochLogs, history.last?.epoch != p.epoch {
            history.append(EpochRecord(epoch: p.epoch, logs: logs))
        }
        var states: [String: CallbackState] = [:]
        for c in p.callbacks { if let r = c as? ResumableCallback { states[c.stateKey] = r.captureState() } }
        return TrainingState(epoch: p.epoch, batchesDone: p.batchesDone, epochEnded: p.epochEnded, shuffled: p.shuffled,
                             order: PackedInts(p.order), lossSum: p.lossSum, seen: p.seen, metricSums: p.metricSums,
                             lastLearningRate: p.lastLR, iterations: optimizer.iterations,
                             learningRate: optimizer.learningRate,
                             rng: ["init": initRNG.state, "shuffle": shuffleRNG.state, "dropout": dropoutRNG.state],
                             history: history, callbacks: states, plan: statePlan)
    }

    /// The callbacks of `list`, nested lists flattened, in call order.
    private static func flatten(_ list: [Callback]) -> [Callback] {
        list.flatMap { c -> [Callback] in
            if let l = c as? CallbackList { return flatten(l.callbacks) }
            return [c]
        }
    }

    /// Checks that `state` fits this `fit` (training rows, metrics, batches per epoch) and restores the optimizer's
    /// update count and base rate and the three random streams. Throws `ModelError.invalidArgument` naming what does
    /// not fit.
    private func restoreForResume(_ state: TrainingState, rows: Int, steps: Int, optimizer: Optimizer) throws {
        func bad(_ what: String) -> ModelError { .invalidArgument("the training state does not fit this run: \(what)") }
        guard state.formatVersion == 1 else { throw bad("format version \(state.formatVersion), expected 1") }
        guard state.order.values.count == rows else {
            throw bad("it was taken with \(state.order.values.count) training samples, this run has \(rows)")
        }
        var seenRow = [Bool](repeating: false, count: rows)
        for i in state.order.values {
            guard i >= 0, i < rows, !seenRow[i] else { throw bad("its data order is not a permutation of the \(rows) samples") }
            seenRow[i] = true
        }
        guard state.metricSums.count == metrics.count else {
            throw bad("it has \(state.metricSums.count) metric sums, the model has \(metrics.count) metrics")
        }
        guard state.epoch >= 0, state.batchesDone >= 0, state.batchesDone <= steps else {
            throw bad("it is at batch \(state.batchesDone) of epoch \(state.epoch), an epoch here has \(steps) batches")
        }
        guard state.iterations >= 0, state.seen >= 0 else { throw bad("negative update or sample count") }
        guard let i = state.rng["init"].flatMap(SeededGenerator.init(state:)),
              let s = state.rng["shuffle"].flatMap(SeededGenerator.init(state:)),
              let d = state.rng["dropout"].flatMap(SeededGenerator.init(state:)) else {
            throw bad("the random streams init, shuffle and dropout need 4 words each, not all zero")
        }
        guard state.learningRate.isFinite, state.learningRate >= 0 else { throw bad("learning rate \(state.learningRate)") }
        initRNG = i; shuffleRNG = s; dropoutRNG = d
        optimizer.iterations = state.iterations
        optimizer.learningRate = state.learningRate
    }

    /// Throws (and clears) the error a callback raised, if any.
    private func throwRaisedError() throws {
        if let e = raisedError {
            raisedError = nil
            throw e
        }
    }

    /// The metrics `compile` uses when given none: `mae` for mean squared error, `accuracy` otherwise.
    public static func defaultMetrics(for loss: Loss) -> [Metric] {
        loss == .meanSquaredError ? [.mae] : [.accuracy]
    }

    /// The keys of the epoch logs `fit` passes to `onEpochEnd`, before any callback adds its own: `loss`, each
    /// metric (`accuracy`, `mae`), the same with `val_` when there is validation data, and `learning_rate`
    /// (Keras's names). Known before training starts, so monitors can be checked up front.
    public static func epochLogKeys(metrics: [Metric], hasValidation: Bool) -> [String] {
        let train = [LogKey.loss] + metrics.map(\.rawValue)
        return train + (hasValidation ? train.map { "val_" + $0 } : []) + [LogKey.learningRate]
    }

    /// `epochLogKeys(metrics:hasValidation:)` for this model's compiled metrics.
    public func epochLogKeys(hasValidation: Bool) -> [String] {
        Self.epochLogKeys(metrics: metrics, hasValidation: hasValidation)
    }

    /// Appends a layer, giving it a Keras-style unique name (`dense`, `dense_1`, ...) when it has none.
    public func add(_ layer: Layer) {
        if layer.name.isEmpty {
            let base = layer.className.lowercased()
            let k = nameCounts[base, default: 0]
            nameCounts[base] = k + 1
            layer.name = k == 0 ? base : "\(base)_\(k)"
        }
        layers.append(layer)
    }

    /// Sets the optimizer, the loss and the metrics. `metrics` nil -> `accuracy` for cross-entropy losses and `mae`
    /// for mean squared error.
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [Metric]? = nil) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics ?? Self.defaultMetrics(for: loss)
    }

    /// True once every layer has weights.
    public var isBuilt: Bool { !layers.isEmpty && layers.allSatisfy(\.isBuilt) }

    /// Features per input sample, once built (or as declared by the first layer's `inputDim`).
    public var inputUnits: Int? {
        if let f = layers.first, f.isBuilt { return f.inputUnits }
        return (layers.first as? Dense)?.inputDim
    }

    /// Outputs per sample, once built.
    public var outputUnits: Int? { isBuilt ? layers.last?.outputUnits : nil }

    /// Creates the weights for `inputUnits` features per sample. Throws `ModelError.invalidArgument` for an empty
    /// model or a non-positive size. Building twice does nothing.
    public func build(inputUnits: Int) throws {
        guard !isBuilt else { return }
        guard !layers.isEmpty else { throw ModelError.invalidArgument("the model has no layers") }
        guard inputUnits > 0 else { throw ModelError.invalidArgument("input features must be positive, got \(inputUnits)") }
        // Bound the weights before allocating them (a model file or flag may declare absurd sizes): each Dense holds
        // in * units + units float32 weights.
        var n = inputUnits, weights = 0
        for l in layers {
            guard let dense = l as? Dense else { continue }
            let (k, o1) = n.multipliedReportingOverflow(by: dense.units)
            let (t, o2) = weights.addingReportingOverflow(k)
            let (w, o3) = t.addingReportingOverflow(dense.units)
            let bytes = w.multipliedReportingOverflow(by: 4)
            guard !o1, !o2, !o3, !bytes.overflow, bytes.partialValue <= MemoryLimit.bytes else {
                throw ModelError.invalidArgument(MemoryLimit.refusal("a model with \(inputUnits) inputs and layers of "
                    + layers.compactMap { ($0 as? Dense).map { String($0.units) } }.joined(separator: ", ") + " units",
                    needs: (o1 || o2 || o3 || bytes.overflow) ? Int.max : bytes.partialValue))
            }
            weights = w
            n = dense.units
        }
        n = inputUnits
        for l in layers {
            l.build(inputUnits: n, rng: &initRNG)
            n = l.outputUnits
        }
    }

    /// All trainable parameters, in layer order (kernel, bias for each `Dense`).
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Copies of all weights in Keras's order (`[inputs, units]` kernel, then `[1, units]` bias, per Dense).
    public func getWeights() -> [Matrix] { parameters.map(\.matrix) }

    /// Replaces all weights. Throws `ModelError.weightCount` or `.weightShape` (nothing is changed then).
    public func setWeights(_ weights: [Matrix]) throws {
        let ps = parameters
        guard ps.count == weights.count else { throw ModelError.weightCount(expected: ps.count, got: weights.count) }
        for (p, w) in zip(ps, weights) where p.rows != w.rows || p.cols != w.cols {
            throw ModelError.weightShape(name: p.name, expected: [p.rows, p.cols], got: [w.rows, w.cols])
        }
        for (p, w) in zip(ps, weights) { try p.assign(w) }
    }

    // MARK: - Forward / backward on buffers

    private func prepare(rows: Int, features: Int, targetWidth: Int) {
        guard rows > capacity || xBuffer.capacity < rows * features || yBuffer.capacity < rows * targetWidth else { return }
        capacity = max(capacity, rows)
        xBuffer = FloatBuffer(capacity: capacity * features)
        yBuffer = FloatBuffer(capacity: capacity * max(1, targetWidth))
        gBuffer = FloatBuffer(capacity: capacity * max(1, targetWidth))
        for l in layers { l.prepare(batchCapacity: capacity) }
    }

    private func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        Self.forward(layers, x, rows: rows, training: training, rng: &dropoutRNG)!
    }

    /// `x` `[rows, features]` through `stack`, each layer's output the next one's input; the last output (nil for an
    /// empty stack).
    private static func forward(_ stack: [Layer], _ x: UnsafePointer<Float>, rows: Int, training: Bool,
                                rng: inout SeededGenerator) -> UnsafeMutablePointer<Float>? {
        var h = x
        var out: UnsafeMutablePointer<Float>?
        for l in stack {
            let o = l.forward(h, rows: rows, training: training, rng: &rng)
            h = UnsafePointer(o)
            out = o
        }
        return out
    }

    private var lastDense: Dense? { layers.last as? Dense }
    private var lastActivation: Activation { lastDense?.activation ?? .linear }

    /// One training step on the batch already in `xBuffer`/`yBuffer`. Returns (loss sum, metric sums, lr used).
    private func trainStep(rows: Int, width: Int, loss: Loss, optimizer: Optimizer) -> (Double, [Double], Double) {
        let (lossSum, ms) = Self.forwardBackward(layers, x: xBuffer.pointer, y: yBuffer.pointer, grad: gBuffer.pointer,
                                                 rows: rows, batchRows: rows, width: width, loss: loss,
                                                 metrics: metrics, rng: &dropoutRNG)
        let lr = optimizer.apply(parameters)
        return (lossSum, ms, lr)
    }

    /// Forward (training mode) and backward through `stack` for `rows` samples `x` `[rows, features]` with targets
    /// `y` `[rows, width]`, `grad` a `[rows, width]` workspace; the parameters' gradients are then those of the mean
    /// loss over `batchRows` samples (these rows' share of the batch's). Returns (loss sum, metric sums) over the rows.
    private static func forwardBackward(_ stack: [Layer], x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                                        grad: UnsafeMutablePointer<Float>, rows: Int, batchRows: Int, width: Int,
                                        loss: Loss, metrics: [Metric], weightGradients: Bool = true,
                                        rng: inout SeededGenerator) -> (Double, [Double]) {
        let a = forward(stack, x, rows: rows, training: true, rng: &rng)
        let lastDense = stack.last as? Dense
        let z = lastDense?.preActivation ?? a!
        let (lossSum, pre) = loss.compute(z: z, a: a!, y: y, rows: rows, cols: width,
                                          activation: lastDense?.activation ?? .linear, grad: grad, batchRows: batchRows)
        let ms = metrics.map { $0.sum(a: a!, y: y, rows: rows, cols: width) }
        var g: UnsafeMutablePointer<Float>? = grad
        for (i, l) in stack.enumerated().reversed() {
            guard let gg = g else { break }
            let needInput = i > 0
            if let d = l as? Dense {
                g = d.backward(gg, rows: rows, needInputGradient: needInput,
                               gradientIsPreActivation: i == stack.count - 1 && pre, weightGradients: weightGradients)
            } else {
                g = l.backward(gg, rows: rows, needInputGradient: needInput)
            }
        }
        return (lossSum, ms)
    }

    /// Smallest batch a data-parallel step is used for by default (halves of at least 4 samples). Measured on a
    /// 2-core AMD EPYC, 64-64 on Fashion-MNIST, samples/s data-parallel / one BLAS thread / BLAS's two threads:
    /// batch 8 113k / 93k / 52k, 10 123k / 112k / 64k, 32 301k / 196k / 158k (BLAS's threads cost more than they
    /// give on GEMMs this small); batch 4 58k / 78k / 78k.
    static let dataParallelMinRows = 8

    /// Whether `fit` with batches of `batchRows` samples uses data-parallel steps: `parallelism`, or by default when
    /// there is a second core this process may use (`ChunkPool.mayUseSecondCore`: a helper thread and at least two
    /// BLAS threads), the batch has at least `dataParallelMinRows` samples and every layer can be replicated.
    /// Measured on a 2-core AMD EPYC (AVX2), per epoch against BLAS's own two threads at batch 128: 64-64 1.42x,
    /// 512-512 1.02-1.07x (at batch 32 1.16x),
    /// 1024-1024 1.07x, 2048-2048 1.02x (once validation no longer woke BLAS's threads between epochs, which then spun
    /// on the helper's core; before that, 512-512 looked slower data-parallel). A rule of the model's shape, never of
    /// timings: the same model and batch size always take the same path, so results are reproducible on a machine.
    func usesDataParallel(batchRows: Int) -> Bool {
        guard ChunkPool.mayUseSecondCore, batchRows >= 2, layers.allSatisfy({ $0 is Dense || $0 is Dropout }) else {
            return false
        }
        switch parallelism {
        case .serial: return false
        case .dataParallel: return true
        case .automatic:
            return batchRows >= Self.dataParallelMinRows
        }
    }

    /// Builds the replicas for a second half starting at row `rowOffset` (views of the layers' workspaces, so made
    /// again at every `fit`, after `prepare`); false when a layer cannot be replicated.
    private func prepareReplicas(rowOffset: Int) -> Bool {
        var made: [Layer] = []
        for l in layers {
            guard let r = l.replica(rowOffset: rowOffset) else { replicas = nil; return false }
            made.append(r)
        }
        replicas = made
        replicaOffset = rowOffset
        return true
    }

    /// How many equal chunks of kernel rows a data-parallel step cuts a kernel with `inputs` rows into for its
    /// gradient and update: two (one for each thread) when each has at least 64 rows, else one. Each chunk's GEMM
    /// packs the whole dz again, and the two threads take chunks one at a time, so more or unequal chunks only
    /// cost: measured on a 2-core AMD EPYC, chunks of about 16,384 values (a 784x64 kernel in 256, 256, 256 and 16
    /// rows) made the 64-64 update 12 % slower, and 2048x2048 kernels gained nothing from 8 chunks.
    static func kernelChunks(inputs: Int) -> Int { inputs >= 128 ? 2 : 1 }

    /// One data-parallel training step on samples `indices` of `data` (a batch of more than `replicaOffset` samples,
    /// i.e. more than half of a full batch): the dropout masks are drawn for the whole batch on this thread (the
    /// same draws as a one-thread step); then the first `replicaOffset` samples run on `layers` and the rest on
    /// `replicas`, each on its own thread with one-thread BLAS (gather, forward,
    /// loss, backward to every layer's dL/dz; their rows lie one after the other in the layers' workspaces); then
    /// the two threads share the update in chunks of kernel rows, each chunk's gradient computed over the whole batch
    /// (dW = xᵀ · dz, K = the batch) right before it is updated. The loss gradient is of the mean over the whole batch
    /// (Keras). Which thread runs which half or chunk changes no value. `next` is the following batch's samples
    /// (prefetched). Returns (loss sum, metric sums, lr).
    private func trainStepDataParallel(_ indices: UnsafeBufferPointer<Int>, next: UnsafeBufferPointer<Int>,
                                       data: Dataset, width: Int, loss: Loss,
                                       optimizer: Optimizer) -> (Double, [Double], Double) {
        let rows = indices.count
        // The replicas' rows start at `replicaOffset` (half of a full batch); a shorter last batch gives the
        // replicas fewer rows, so that both parts stay one after the other in the workspaces.
        let half = replicaOffset
        guard let replicas, rows > half else { fatalError("trainStepDataParallel before prepareReplicas") }
        for (l, r) in zip(layers, replicas) {
            guard let d = l as? Dropout, let dr = r as? Dropout, d.rate > 0 else { continue }
            let m = d.drawMask(rows: rows, rng: &dropoutRNG)
            d.presetMask = m
            dr.presetMask = m + half * d.inputUnits
        }
        defer {
            for (l, r) in zip(layers, replicas) {
                (l as? Dropout)?.presetMask = nil
                (r as? Dropout)?.presetMask = nil
            }
        }
        let f = data.featureCount
        let x = xBuffer.pointer, y = yBuffer.pointer, g = gBuffer.pointer
        let layers = self.layers, metrics = self.metrics
        let (lossSum, metricSums) = runHalves { k in
            let lo = k == 0 ? 0 : half, n = k == 0 ? half : rows - half
            let xs = x + lo * f, ys = y + lo * width
            data.gather(UnsafeBufferPointer(rebasing: indices[lo ..< lo + n]), x: xs, y: ys, targetWidth: width)
            // This half of the next batch starts loading into the caches while this half computes.
            let nlo = min(next.count, lo), nhi = k == 0 ? min(next.count, half) : next.count
            if nlo < nhi { data.prefetch(UnsafeBufferPointer(rebasing: next[nlo ..< nhi])) }
            var unused = SeededGenerator(seed: 0)   // the dropout masks are preset
            return Self.forwardBackward(k == 0 ? layers : replicas, x: xs, y: ys, grad: g + lo * width, rows: n,
                                        batchRows: rows, width: width, loss: loss, metrics: metrics,
                                        weightGradients: false, rng: &unused)
        }
        // The update's chunks: kernel rows (`kernelChunks` per kernel) and whole biases, in the order of
        // `parameters`; each computes its gradient first.
        var chunks: [(slot: Int, range: Range<Int>)] = []
        var work: [(dense: Dense, inputs: Range<Int>?)] = []
        var slot = 0
        for l in layers {
            guard let d = l as? Dense else { continue }
            let n = Self.kernelChunks(inputs: d.inputUnits)
            for c in 0..<n {
                let lo = c * d.inputUnits / n, hi = (c + 1) * d.inputUnits / n
                chunks.append((slot, lo * d.units ..< hi * d.units))
                work.append((d, lo..<hi))
            }
            slot += 1
            if d.useBias {
                chunks.append((slot, 0..<d.units))
                work.append((d, nil))
                slot += 1
            }
        }
        let lr = optimizer.apply(parameters, chunks: chunks) { c in
            if let inputs = work[c].inputs { work[c].dense.kernelGradient(rows: rows, inputs: inputs) }
            else { work[c].dense.biasGradient(rows: rows) }
        }
        return (lossSum, metricSums, lr)
    }

    /// Runs `body(0)` and `body(1)` at once on this thread and the pool's helper and returns the sums of their
    /// (loss sum, metric sums); a part that returns no metric sums (it had no rows) adds none.
    private func runHalves(_ body: @escaping (Int) -> (Double, [Double])) -> (Double, [Double]) {
        if halfResultsInitialized { halfResults.deinitialize(count: 2) }
        halfResults.initialize(repeating: (0, []), count: 2)
        halfResultsInitialized = true
        let results = halfResults
        ChunkPool.shared.run(count: 2) { k in results[k] = body(k) }
        let (l0, m0) = results[0], (l1, m1) = results[1]
        return (l0 + l1, m1.isEmpty ? m0 : m0.isEmpty ? m1 : zip(m0, m1).map { $0 + $1 })
    }

    private func checkData(_ data: Dataset) throws -> Int {
        guard let loss = loss, optimizer != nil else { throw ModelError.notCompiled }
        _ = loss
        if !isBuilt { try build(inputUnits: inputUnits ?? data.featureCount) }
        guard data.featureCount == layers[0].inputUnits else {
            throw ModelError.inputMismatch(expected: layers[0].inputUnits, got: data.featureCount)
        }
        let out = layers[layers.count - 1].outputUnits
        let width = data.targetWidth(outputUnits: out)
        guard width == out else { throw ModelError.targetMismatch(expected: out, got: width) }
        return width
    }

    // MARK: - fit

    /// Trains the model (Keras `Model.fit`).
    ///
    /// - Parameters:
    ///   - data: training samples.
    ///   - batchSize: samples per update (the last batch of an epoch may be smaller).
    ///   - epochs: index of the epoch to stop before (as Keras: with `initialEpoch` 3 and `epochs` 5, two epochs run).
    ///   - validationData: evaluated at the end of every epoch (`val_` keys).
    ///   - validationSplit: when no `validationData`, this fraction of the samples, taken from the end before any
    ///     shuffling (as Keras), is held out for validation.
    ///   - shuffle: reshuffle the training samples every epoch (model's shuffle stream).
    ///   - callbacks: called in order; a `History` is appended last and returned.
    ///   - initialEpoch: the first epoch's index (to resume).
    ///   - resume: a `TrainingState` (from a checkpoint) to continue exactly from: the optimizer's update count and
    ///     base rate, the three random streams, the data order and position, and the callbacks' states (restored by
    ///     stateKey right after `onTrainBegin`) are taken from it, and `initialEpoch` is ignored: the run starts in
    ///     `resume.resumeEpoch`, mid-epoch at batch `batchesDone` (after `onEpochBegin`, which runs again, the base
    ///     rate is set back to the state's) or at the next epoch. The weights and optimizer slots must already be
    ///     restored (`ModelFile.makeResumableModel`). The returned `History` holds this call's epochs only (as Keras);
    ///     the earlier ones are `resume.history`.
    /// - Returns: the `History` of this call.
    /// - Throws: `ModelError` for an uncompiled model, data that does not fit the model, or bad arguments (before
    ///   training); the error a callback raised (`Callback.raise(_:)`, e.g. `MonitorError`), right after the hook
    ///   that raised it, without calling `onTrainEnd`.
    @discardableResult
    public func fit(_ data: Dataset, batchSize: Int = 32, epochs: Int = 1, validationData: Dataset? = nil,
                    validationSplit: Double = 0, shuffle: Bool = true, callbacks: [Callback] = [],
                    initialEpoch: Int = 0, resume: TrainingState? = nil) throws -> History {
        guard batchSize > 0 else { throw ModelError.invalidArgument("batch size must be positive, got \(batchSize)") }
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw ModelError.invalidArgument("validation split must be in [0, 1), got \(validationSplit)")
        }
        var train = data
        var validation = validationData
        if validation == nil && validationSplit > 0 {
            let cut = Int(Double(data.count) * (1 - validationSplit))
            guard cut > 0 && cut < data.count else {
                throw ModelError.invalidArgument("validation split \(validationSplit) leaves no training or no validation samples")
            }
            train = data.subset(Array(0..<cut))
            validation = data.subset(Array(cut..<data.count))
        }
        guard train.count > 0 else { throw ModelError.invalidArgument("no training samples") }
        let width = try checkData(train)
        if let v = validation { _ = try checkData(v) }
        guard let loss, let optimizer else { throw ModelError.notCompiled }

        let history = History()
        let list = CallbackList(callbacks + [history])
        list.setModel(self)
        let flat = Self.flatten(list.callbacks)
        var classCounts: [String: Int] = [:]
        for c in flat {
            let name = String(describing: type(of: c))
            let k = classCounts[name, default: 0] + 1
            classCounts[name] = k
            c.stateKey = k == 1 ? name : "\(name)#\(k)"
        }
        stopTraining = false
        raisedError = nil
        let bs = min(batchSize, train.count)
        prepare(rows: bs, features: train.featureCount, targetWidth: width)
        let steps = (train.count + bs - 1) / bs
        // Data-parallel steps and validation run their GEMMs on one BLAS thread each (both halves at once); BLAS's
        // threads are restored after `fit`.
        let dataParallel = usesDataParallel(batchRows: bs) && prepareReplicas(rowOffset: (bs + 1) / 2)
        let blasThreads = Int(tb_blas_get_threads())
        if dataParallel { tb_blas_set_threads(1) }
        defer { if dataParallel { tb_blas_set_threads(Int32(blasThreads)) } }
        var order = Array(0..<train.count)
        var lastLogs: Logs = [:]
        let metricNames = metrics.map(\.rawValue)
        var epoch = initialEpoch
        var midEpoch = resume.flatMap { $0.isMidEpoch ? $0 : nil }
        if let r = resume {
            try restoreForResume(r, rows: train.count, steps: steps, optimizer: optimizer)
            order = r.order.values
            epoch = r.resumeEpoch
        }
        let p = FitProgress(order: order, history: history, callbacks: flat, prior: resume?.history ?? [])
        progress = p
        resumedFrom = resume
        defer { progress = nil; resumedFrom = nil }

        list.onTrainBegin(logs: [:])
        try throwRaisedError()
        if let r = resume {
            for c in flat {
                guard let rc = c as? ResumableCallback, let s = r.callbacks[c.stateKey] else { continue }
                try rc.restoreState(s)
            }
        }
        while epoch < epochs {
            currentEpoch = epoch
            p.epoch = epoch; p.batchesDone = 0; p.epochEnded = false; p.shuffled = false; p.epochLogs = nil
            p.lossSum = 0; p.seen = 0; p.metricSums = [Double](repeating: 0, count: metrics.count)
            p.lastLR = optimizer.currentLearningRate
            list.onEpochBegin(epoch, logs: [:])
            try throwRaisedError()
            var lossSum = 0.0, seen = 0
            var metricSums = [Double](repeating: 0, count: metrics.count)
            var lastLR = optimizer.currentLearningRate
            var firstStep = 0
            if let r = midEpoch {
                // Continue the epoch the state was taken in: its base rate (the hooks above may have set another),
                // its order (already shuffled unless taken before the shuffle), its running sums, its next batch.
                midEpoch = nil
                optimizer.learningRate = r.learningRate
                if shuffle && !r.shuffled { shuffleRNG.shuffle(&order) }
                lossSum = r.lossSum; seen = r.seen; metricSums = r.metricSums; lastLR = r.lastLearningRate
                firstStep = r.batchesDone
            } else if shuffle {
                shuffleRNG.shuffle(&order)
            }
            p.order = order; p.shuffled = true
            p.lossSum = lossSum; p.seen = seen; p.metricSums = metricSums; p.lastLR = lastLR; p.batchesDone = firstStep
            for step in firstStep..<steps {
                list.onTrainBatchBegin(step, logs: [:])
                try throwRaisedError()
                let start = step * bs
                let rows = min(bs, train.count - start)
                let (ls, ms, lr) = order.withUnsafeBufferPointer { o in
                    let batch = UnsafeBufferPointer(rebasing: o[start ..< start + rows])
                    let nextStart = start + rows
                    let next = UnsafeBufferPointer(rebasing: o[nextStart ..< min(train.count, nextStart + bs)])
                    if dataParallel && rows > replicaOffset {
                        return trainStepDataParallel(batch, next: next, data: train, width: width, loss: loss,
                                                     optimizer: optimizer)
                    }
                    train.gather(batch, x: xBuffer.pointer, y: yBuffer.pointer, targetWidth: width)
                    // The next batch's rows start loading into the caches while this step computes.
                    train.prefetch(next)
                    return trainStep(rows: rows, width: width, loss: loss, optimizer: optimizer)
                }
                lastLR = lr
                lossSum += ls
                seen += rows
                for k in 0..<ms.count { metricSums[k] += ms[k] }
                p.batchesDone = step + 1; p.lossSum = lossSum; p.seen = seen; p.metricSums = metricSums; p.lastLR = lr
                var logs: Logs = [LogKey.loss: lossSum / Double(seen), "batch_loss": ls / Double(rows),
                                  LogKey.learningRate: lr, "size": Double(rows)]
                for k in 0..<metricNames.count { logs[metricNames[k]] = metricSums[k] / Double(seen) }
                list.onTrainBatchEnd(step, logs: logs)
                try throwRaisedError()
                if stopTraining { break }
            }
            var logs: Logs = [LogKey.loss: lossSum / Double(max(1, seen)), LogKey.learningRate: lastLR]
            for k in 0..<metricNames.count { logs[metricNames[k]] = metricSums[k] / Double(max(1, seen)) }
            if let v = validation {
                // Data-parallel fits validate data-parallel too, on one BLAS thread per half: BLAS's own threads,
                // once woken, spin for a while after each call and took the helper's core from the next epoch.
                let vl = evaluate(v, batchSize: bs, callbacks: list, width: width, dataParallel: dataParallel)
                for (k, x) in vl { logs["val_" + k] = x }
            }
            p.epochEnded = true
            p.epochLogs = logs
            list.onEpochEnd(epoch, logs: &logs)
            try throwRaisedError()
            lastLogs = logs
            epoch += 1
            if stopTraining { break }
        }
        list.onTrainEnd(logs: lastLogs)
        try throwRaisedError()
        return history
    }

    // MARK: - evaluate / predict

    /// Loss and metrics on `data` in inference mode (dropout off), averaged over samples (Keras `Model.evaluate`).
    /// Throws `ModelError` when the model is not compiled or the data does not fit it.
    public func evaluate(_ data: Dataset, batchSize: Int = 32, callbacks: [Callback] = []) throws -> Logs {
        guard batchSize > 0 else { throw ModelError.invalidArgument("batch size must be positive, got \(batchSize)") }
        let width = try checkData(data)
        let list = CallbackList(callbacks)
        list.setModel(self)
        return evaluate(data, batchSize: batchSize, callbacks: list, width: width)
    }

    /// `dataParallel`: inside a data-parallel `fit` (replicas prepared for its batch size, BLAS on one thread),
    /// each batch's two halves run at once on this thread and the pool's helper.
    private func evaluate(_ data: Dataset, batchSize: Int, callbacks: CallbackList, width: Int,
                          dataParallel: Bool = false) -> Logs {
        guard let loss, data.count > 0 else { return [:] }
        let bs = min(batchSize, data.count)
        prepare(rows: bs, features: data.featureCount, targetWidth: width)
        callbacks.onTestBegin(logs: [:])
        var lossSum = 0.0
        var ms = [Double](repeating: 0, count: metrics.count)
        var idx = [Int](repeating: 0, count: bs)
        var step = 0
        var start = 0
        while start < data.count {
            callbacks.onTestBatchBegin(step, logs: [:])
            let rows = min(bs, data.count - start)
            for r in 0..<rows { idx[r] = start + r }
            if dataParallel, rows >= 2, let replicas, rows <= capacity, replicaOffset < capacity {
                let (l, m) = idx.withUnsafeBufferPointer { o in
                    scoreHalves(UnsafeBufferPointer(rebasing: o[0..<rows]), data: data, width: width, loss: loss,
                                replicas: replicas)
                }
                lossSum += l
                for k in 0..<ms.count { ms[k] += m[k] }
                start += rows
                callbacks.onTestBatchEnd(step, logs: [LogKey.loss: lossSum / Double(start)])
                step += 1
                continue
            }
            idx.withUnsafeBufferPointer { o in
                data.gather(UnsafeBufferPointer(rebasing: o[0..<rows]), x: xBuffer.pointer, y: yBuffer.pointer,
                            targetWidth: width)
            }
            let a = forward(xBuffer.pointer, rows: rows, training: false)
            let z = lastDense?.preActivation ?? a
            lossSum += loss.compute(z: z, a: a, y: yBuffer.pointer, rows: rows, cols: width,
                                    activation: lastActivation, grad: nil).sum
            for (k, m) in metrics.enumerated() { ms[k] += m.sum(a: a, y: yBuffer.pointer, rows: rows, cols: width) }
            start += rows
            callbacks.onTestBatchEnd(step, logs: [LogKey.loss: lossSum / Double(start)])
            step += 1
        }
        var logs: Logs = [LogKey.loss: lossSum / Double(data.count)]
        for (k, m) in metrics.enumerated() { logs[m.rawValue] = ms[k] / Double(data.count) }
        callbacks.onTestEnd(logs: logs)
        return logs
    }

    /// Loss and metric sums of samples `indices` of `data` in inference mode, their first part (at most
    /// `replicaOffset` rows) through `layers` and the rest through `replicas`, at once on this thread and the pool's
    /// helper (each part's rows where a data-parallel training step puts them in the shared workspaces).
    private func scoreHalves(_ indices: UnsafeBufferPointer<Int>, data: Dataset, width: Int, loss: Loss,
                             replicas: [Layer]) -> (Double, [Double]) {
        let rows = indices.count
        let first = min(replicaOffset, (rows + 1) / 2)
        let f = data.featureCount, offset = replicaOffset
        let x = xBuffer.pointer, y = yBuffer.pointer
        let layers = self.layers, metrics = self.metrics
        return runHalves { k in
            let lo = k == 0 ? 0 : first, n = k == 0 ? first : rows - first
            guard n > 0 else { return (0, []) }
            let row = k == 0 ? 0 : offset
            let xs = x + row * f, ys = y + row * width
            data.gather(UnsafeBufferPointer(rebasing: indices[lo ..< lo + n]), x: xs, y: ys, targetWidth: width)
            var unused = SeededGenerator(seed: 0)   // inference draws nothing
            let stack = k == 0 ? layers : replicas
            guard let a = Self.forward(stack, xs, rows: n, training: false, rng: &unused) else { return (0, []) }
            let last = stack.last as? Dense
            let z = last?.preActivation ?? a
            let l = loss.compute(z: z, a: a, y: ys, rows: n, cols: width, activation: last?.activation ?? .linear,
                                 grad: nil).sum
            return (l, metrics.map { $0.sum(a: a, y: ys, rows: n, cols: width) })
        }
    }

    /// The model's outputs for `x` `[samples, features]` in inference mode: `[samples, outputUnits]`.
    /// Throws `ModelError.inputMismatch` when `x.cols` differs from the model's input, or `.invalidArgument` when the
    /// model has no layers.
    public func predict(_ x: Matrix, batchSize: Int = 32) throws -> Matrix {
        if !isBuilt { try build(inputUnits: inputUnits ?? x.cols) }
        guard x.cols == layers[0].inputUnits else {
            throw ModelError.inputMismatch(expected: layers[0].inputUnits, got: x.cols)
        }
        let out = layers[layers.count - 1].outputUnits
        var result = Matrix(rows: x.rows, cols: out)
        guard x.rows > 0 else { return result }
        let bs = max(1, min(batchSize, x.rows))
        prepare(rows: bs, features: x.cols, targetWidth: out)
        x.storage.withUnsafeBufferPointer { xs in
            result.storage.withUnsafeMutableBufferPointer { rs in
                var start = 0
                while start < x.rows {
                    let rows = min(bs, x.rows - start)
                    let a = forward(xs.baseAddress! + start * x.cols, rows: rows, training: false)
                    (rs.baseAddress! + start * out).update(from: a, count: rows * out)
                    start += rows
                }
            }
        }
        return result
    }

    /// Runs one forward and backward pass on `x`, `y` (training mode, no update) and returns the mean loss; the
    /// parameters' `gradient`s then hold dLoss/dW. For gradient checks. Throws like `fit`.
    public func computeGradients(x: Matrix, y: Matrix, training: Bool = false) throws -> Double {
        let data = try Dataset(x: x, y: y)
        let width = try checkData(data)
        guard let loss else { throw ModelError.notCompiled }
        prepare(rows: x.rows, features: x.cols, targetWidth: width)
        x.storage.withUnsafeBufferPointer { xBuffer.pointer.update(from: $0.baseAddress!, count: x.count) }
        y.storage.withUnsafeBufferPointer { yBuffer.pointer.update(from: $0.baseAddress!, count: y.count) }
        let a = forward(xBuffer.pointer, rows: x.rows, training: training)
        let z = lastDense?.preActivation ?? a
        let (s, pre) = loss.compute(z: z, a: a, y: yBuffer.pointer, rows: x.rows, cols: width,
                                    activation: lastActivation, grad: gBuffer.pointer)
        var g: UnsafeMutablePointer<Float>? = gBuffer.pointer
        for (i, l) in layers.enumerated().reversed() {
            guard let gg = g else { break }
            if i == layers.count - 1, let d = l as? Dense {
                g = d.backward(gg, rows: x.rows, needInputGradient: i > 0, gradientIsPreActivation: pre)
            } else {
                g = l.backward(gg, rows: x.rows, needInputGradient: i > 0)
            }
        }
        return s / Double(x.rows)
    }

    /// A Keras-like summary: one line per layer with its output shape and parameter count.
    public func summary() -> String {
        var lines = ["Model: \"\(name)\"", "Layer (type)                  Output Shape        Param #"]
        for l in layers {
            let params = l.parameters.reduce(0) { $0 + $1.count }
            let shape = l.isBuilt ? "(None, \(l.outputUnits))" : "(unbuilt)"
            lines.append("\(l.name) (\(l.className))".padding(30) + shape.padding(20) + "\(params)")
        }
        lines.append("Total params: \(parameterCount)")
        return lines.joined(separator: "\n")
    }

    /// The description of the BLAS library in use (e.g. "OpenBLAS 0.3.21 ... core SkylakeX").
    public static var blasDescription: String {
        _ = tb_blas_load()
        return String(cString: tb_blas_description())
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}
