/// Every combination of a space's lists, in scikit-learn's `ParameterGrid` order: grid by grid; within a grid the
/// parameter names sorted (as Python sorts strings: by code point) and the last name varying fastest
/// (`itertools.product` over the sorted items).
///
/// Thread-safety: a value.
public struct ParameterGrid: Sendable {
    /// Per grid: the sorted names and their value lists.
    let grids: [(names: [String], values: [[ParamValue]])]
    /// The number of candidates (bounded by `ParameterSpace.maximumCandidates`).
    public let count: Int

    /// The grid of `space`. Throws `SearchSpaceError` when a parameter is a distribution (grid search needs lists;
    /// use --n-iter) or when there would be more than `ParameterSpace.maximumCandidates` candidates.
    public init(_ space: ParameterSpace) throws {
        var gs: [(names: [String], values: [[ParamValue]])] = []
        var total = 0
        for g in space.grids {
            let names = Self.sortedKeys(g.keys)
            var values: [[ParamValue]] = []
            var size = 1
            for n in names {
                guard case .list(let v)? = g[n] else {
                    throw SearchSpaceError("--grid: \(n): \(g[n].map(\.description) ?? "") is a distribution; a grid search needs lists (give --n-iter N for a randomized search)")
                }
                values.append(v)
                let (p, overflow) = size.multipliedReportingOverflow(by: v.count)
                guard !overflow, p <= ParameterSpace.maximumCandidates else {
                    throw SearchSpaceError("--grid: more than \(ParameterSpace.maximumCandidates) combinations")
                }
                size = p
            }
            gs.append((names, values))
            total += size
            guard total <= ParameterSpace.maximumCandidates else {
                throw SearchSpaceError("--grid: more than \(ParameterSpace.maximumCandidates) combinations")
            }
        }
        grids = gs
        count = total
    }

    /// Names sorted as Python's `sorted` sorts strings (by Unicode code point).
    public static func sortedKeys<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    /// The candidate at `index` in `0..<count` (scikit-learn's `ParameterGrid.__getitem__`: mixed radix, the last
    /// sorted name fastest). Precondition: `index` in range.
    public subscript(index: Int) -> [String: ParamValue] {
        var i = index
        for g in grids {
            let size = g.values.reduce(1) { $0 * $1.count }
            if i >= size { i -= size; continue }
            var out: [String: ParamValue] = [:]
            for k in stride(from: g.names.count - 1, through: 0, by: -1) {
                let n = g.values[k].count
                out[g.names[k]] = g.values[k][i % n]
                i /= n
            }
            return out
        }
        preconditionFailure("ParameterGrid index \(index) out of range 0..<\(count)")
    }

    /// Every candidate in order.
    public var candidates: [[String: ParamValue]] { (0..<count).map { self[$0] } }
}

/// Candidates drawn from a space with scikit-learn's `ParameterSampler` semantics: when every parameter is a list,
/// `nIter` distinct grid points (without replacement; all of them, with a warning, when the grid is smaller than
/// `nIter`); otherwise `nIter` independent draws (with replacement): for each, a grid chosen uniformly, then its
/// parameters in sorted order, a list value chosen uniformly or a value drawn from the distribution.
///
/// Random numbers come from Trainboard's seeded generator (xoshiro256**), not NumPy's: the same seed gives the same
/// candidates on every run and machine, but not the candidates scikit-learn would draw.
/// Thread-safety: a value.
public struct ParameterSampler: Sendable {
    public let space: ParameterSpace
    public let nIter: Int
    public let seed: UInt64

    /// The generator stream for candidate sampling (separate from weight initialisation, shuffling and dropout).
    public static let stream: UInt64 = 0x5EA2C4

    public init(_ space: ParameterSpace, nIter: Int, seed: UInt64) {
        self.space = space; self.nIter = nIter; self.seed = seed
    }

    /// The drawn candidates and a warning when fewer than `nIter` could be drawn. Throws `SearchSpaceError` when
    /// `nIter < 1` or above `ParameterSpace.maximumCandidates`, or when the grid is too large to index.
    public func sample() throws -> (candidates: [[String: ParamValue]], warning: String?) {
        guard nIter >= 1 else { throw SearchSpaceError("--n-iter: must be at least 1, got \(nIter)") }
        guard nIter <= ParameterSpace.maximumCandidates else {
            throw SearchSpaceError("--n-iter: at most \(ParameterSpace.maximumCandidates), got \(nIter)")
        }
        var rng = SplitRandom(seed: seed, stream: Self.stream)
        if space.isAllLists {
            let grid = try ParameterGrid(space)
            var n = nIter
            var warning: String?
            if grid.count < nIter {
                warning = "The total space of parameters \(grid.count) is smaller than n_iter=\(nIter). Running \(grid.count) iterations. For exhaustive searches, use a grid search (no --n-iter)."
                n = grid.count
            }
            return (Self.sampleWithoutReplacement(population: grid.count, count: n, rng: &rng).map { grid[$0] }, warning)
        }
        var out: [[String: ParamValue]] = []
        for _ in 0..<nIter {
            let g = space.grids[rng.int(below: space.grids.count)]
            var params: [String: ParamValue] = [:]
            for name in ParameterGrid.sortedKeys(g.keys) {
                guard let d = g[name] else { continue }
                switch d {
                case .list(let v): params[name] = v[rng.int(below: v.count)]
                case .uniform(let a, let b): params[name] = .double(a + (b - a) * rng.unit())
                case .logUniform(let a, let b):
                    params[name] = .double(Foundation.exp(Foundation.log(a) + (Foundation.log(b) - Foundation.log(a)) * rng.unit()))
                case .randInt(let a, let b): params[name] = .int(a + rng.int(below: b - a))
                }
            }
            out.append(params)
        }
        return (out, nil)
    }

    /// `count` distinct integers from `0..<population`, in the order drawn (a partial Fisher-Yates shuffle when the
    /// population is small, rejection of repeats otherwise). Precondition: `count <= population`.
    static func sampleWithoutReplacement(population: Int, count: Int, rng: inout SplitRandom) -> [Int] {
        if population <= 4 * count {
            var pool = Array(0..<population)
            for i in 0..<count {
                let j = i + rng.int(below: population - i)
                pool.swapAt(i, j)
            }
            return Array(pool[0..<count])
        }
        var seen = Set<Int>()
        var out: [Int] = []
        while out.count < count {
            let v = rng.int(below: population)
            if seen.insert(v).inserted { out.append(v) }
        }
        return out
    }
}

import Foundation
import NeuralEngine

/// The search's random draws: the engine's generator (`SeededGenerator`, xoshiro256** seeded through SplitMix64) with
/// unbiased bounded integers (Lemire's multiply-and-reject, written out so that the stream does not depend on the
/// standard library's algorithm).
/// Thread-safety: a value; not for concurrent mutation.
public struct SplitRandom: Sendable {
    var generator: SeededGenerator

    public init(seed: UInt64, stream: UInt64 = 0) { generator = SeededGenerator(seed: seed, stream: stream) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 { generator.next() }

    /// A uniform `Double` in [0, 1) (53 random bits).
    public mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A uniform integer in `0..<n`, n >= 1 (Lemire 2019, "Fast random integer generation in an interval").
    public mutating func int(below n: Int) -> Int {
        precondition(n >= 1)
        let range = UInt64(n)
        var m = next().multipliedFullWidth(by: range)
        if m.low < range {
            let threshold = (0 &- range) % range
            while m.low < threshold { m = next().multipliedFullWidth(by: range) }
        }
        return Int(m.high)
    }

    /// Fisher-Yates shuffle of `a` in place (from the last element down, as NumPy's `shuffle`).
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(below: i + 1)) }
    }
}
