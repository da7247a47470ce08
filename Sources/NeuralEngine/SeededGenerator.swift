/// The engine's random number generator: xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
/// generators", 2018), its 256-bit state seeded from a 64-bit seed through SplitMix64, as the authors recommend.
///
/// Reproducibility: the same seed gives the same sequence on every platform. A model draws three independent streams
/// from its seed (`SeededGenerator(seed:stream:)`): weight initialisation, shuffling and dropout, so that changing the
/// dropout rate does not change the initial weights.
/// Thread-safety: a value type; each copy is independent. Not for concurrent mutation.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose state is expanded from `seed` (and an optional `stream` number) by SplitMix64.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = seed &+ stream &* 0x9E37_79B9_7F4A_7C15
        func splitmix() -> UInt64 {
            sm = sm &+ 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// The next 64 random bits.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @usableFromInline @inline(__always)
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }


    /// A uniform `Float` in [0, 1) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A standard normal sample (Box-Muller transform; one of the pair is used).
    public mutating func nextNormal() -> Double {
        var u1 = nextUnitDouble()
        while u1 <= Double.leastNormalMagnitude { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// A normal sample with standard deviation `stddev`, redrawn while it falls more than two standard deviations from
    /// the mean (Keras's `TruncatedNormal`).
    public mutating func nextTruncatedNormal(stddev: Double) -> Double {
        while true {
            let z = nextNormal()
            if abs(z) <= 2 { return z * stddev }
        }
    }

    /// A uniform integer in `0..<n` (Lemire's method through the standard library).
    public mutating func nextInt(below n: Int) -> Int { Int.random(in: 0..<n, using: &self) }

    /// Fisher-Yates shuffle of `a` in place.
    public mutating func shuffle(_ a: inout [Int]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            a.swapAt(i, j)
        }
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func _log(_ x: Double) -> Double { Glibc.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@usableFromInline func _log(_ x: Double) -> Double { Foundation.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
