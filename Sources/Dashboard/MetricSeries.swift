/// An append-only series of `Double` stored in fixed-size chunks, so that a copy (the UI's snapshot) is cheap and an
/// append after a copy duplicates at most one chunk, never the whole history. Holds up to `capacity` points; beyond it
/// the series keeps every other point of its older half (a coarser history, the newest points at full resolution),
/// and `stride` records how many original points each kept point of that half stands for.
///
/// Thread-safety: a value; safe to send between threads.
public struct MetricSeries: Sendable, Equatable {
    static let chunkSize = 4096
    private var chunks: [[Double]] = []
    /// Per chunk, a summary of each block of `blockSize` points (min / max with their offsets, the first
    /// non-finite value), kept up to date by `append`, so `downsampled` reads a whole block in O(1) and a frame
    /// over 10^6 points scans at most two partial blocks per bucket. Stored per chunk so that an append after a
    /// snapshot copy duplicates only the last chunk's summaries.
    private var blocks: [[BlockSummary]] = []
    static let blockSize = 256

    /// Aggregates of one block (offsets relative to the block start).
    struct BlockSummary: Sendable, Equatable {
        var mn = Double.infinity, mx = -Double.infinity
        var iMin = 0, iMax = 0
        var bad: Double?

        mutating func add(_ v: Double, at i: Int) {
            if v.isFinite {
                if v < mn { mn = v; iMin = i }
                if v > mx { mx = v; iMax = i }
            } else if bad == nil { bad = v }
        }

        /// Derived from the chunks (which `MetricSeries` compares too); NaN-safe.
        static func == (a: BlockSummary, b: BlockSummary) -> Bool {
            a.mn == b.mn && a.mx == b.mx && a.iMin == b.iMin && a.iMax == b.iMax && (a.bad == nil) == (b.bad == nil)
        }
    }
    /// Number of points held.
    public private(set) var count = 0
    /// The most points kept before the older half is thinned.
    public let capacity: Int
    /// Number of points ever appended.
    public private(set) var totalAppended = 0

    public init(capacity: Int = 1 << 20) { self.capacity = max(16, capacity) }

    /// Appends a value (NaN and infinities are kept: charts mark them).
    public mutating func append(_ v: Double) {
        if count >= capacity { thin() }
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var c = [Double](); c.reserveCapacity(Self.chunkSize); chunks.append(c)
            blocks.append([])
        }
        let last = chunks.count - 1, off = chunks[last].count
        if off % Self.blockSize == 0 { blocks[last].append(BlockSummary()) }
        blocks[last][off / Self.blockSize].add(v, at: off % Self.blockSize)
        chunks[last].append(v)
        count += 1
        totalAppended += 1
    }

    /// The point at `i` (0 = oldest held).
    public subscript(i: Int) -> Double { chunks[i / Self.chunkSize][i % Self.chunkSize] }

    /// The newest point, if any.
    public var last: Double? { count == 0 ? nil : self[count - 1] }

    /// All points, oldest first.
    public var values: [Double] {
        var out = [Double](); out.reserveCapacity(count)
        for c in chunks { out.append(contentsOf: c) }
        return out
    }

    /// The newest `n` points (all when fewer).
    public func suffix(_ n: Int) -> [Double] {
        let k = max(0, min(n, count))
        return (count - k ..< count).map { self[$0] }
    }

    /// At most `buckets * 2` points that keep the shape of the points in `range`: for each of `buckets` equal slices,
    /// its minimum and maximum finite values in the order they occur (non-finite values are passed through as one
    /// point per slice so charts can mark them). For drawing 10^6 points in a few hundred columns: whole blocks of
    /// `blockSize` points are read from their summaries, so the cost is about `count / blockSize + buckets * 512`.
    public func downsampled(buckets: Int, range: Range<Int>? = nil) -> [Double] {
        let r = (range ?? 0..<count).clamped(to: 0..<count)
        let n = r.count
        guard buckets > 0, n > 0 else { return [] }
        if n <= buckets * 2 { return r.map { self[$0] } }
        var out = [Double](); out.reserveCapacity(buckets * 2)
        for b in 0..<buckets {
            let lo = r.lowerBound + n * b / buckets, hi = r.lowerBound + n * (b + 1) / buckets
            guard hi > lo else { continue }
            var mn = Double.infinity, mx = -Double.infinity, iMin = lo, iMax = lo
            var bad: Double?
            var i = lo
            while i < hi {
                let ci = i / Self.chunkSize, off = i % Self.chunkSize
                if off % Self.blockSize == 0 && hi - i >= Self.blockSize {   // a whole block: use its summary
                    let sm = blocks[ci][off / Self.blockSize]
                    if sm.mn < mn { mn = sm.mn; iMin = i + sm.iMin }
                    if sm.mx > mx { mx = sm.mx; iMax = i + sm.iMax }
                    if bad == nil { bad = sm.bad }
                    i += Self.blockSize
                    continue
                }
                let chunk = chunks[ci]
                let end = min(hi - i + off, chunk.count, (off / Self.blockSize + 1) * Self.blockSize)
                chunk.withUnsafeBufferPointer { p in
                    for j in off..<end {
                        let v = p[j]
                        if v.isFinite {
                            if v < mn { mn = v; iMin = i + j - off }
                            if v > mx { mx = v; iMax = i + j - off }
                        } else if bad == nil { bad = v }
                    }
                }
                i += end - off
            }
            if mn.isFinite {
                if iMin <= iMax { out.append(mn); if iMax != iMin { out.append(mx) } } else { out.append(mx); out.append(mn) }
            }
            if let bad { out.append(bad) }
        }
        return out
    }

    private mutating func thin() {
        let all = values
        let half = all.count / 2
        var kept = [Double](); kept.reserveCapacity(all.count)
        for i in stride(from: 0, to: half, by: 2) { kept.append(all[i]) }
        kept.append(contentsOf: all[half...])
        chunks = stride(from: 0, to: kept.count, by: Self.chunkSize).map { Array(kept[$0 ..< min($0 + Self.chunkSize, kept.count)]) }
        blocks = chunks.map { c in
            stride(from: 0, to: c.count, by: Self.blockSize).map { b in
                var sm = BlockSummary()
                for j in b..<min(b + Self.blockSize, c.count) { sm.add(c[j], at: j - b) }
                return sm
            }
        }
        count = kept.count
    }
}
