import Foundation

/// SGDR: cosine annealing with warm restarts (I. Loshchilov & F. Hutter, "SGDR: Stochastic Gradient Descent with
/// Warm Restarts", ICLR 2017, eq. 5), applied per epoch (the paper also allows fractional epochs per batch; this
/// counts whole epochs). Cycle `i` lasts `T_i = T0 · Tmult^i` epochs and starts at `S_i = T0 + T0·Tmult + ... +
/// T0·Tmult^(i-1)`; within it
///
///     lr(e) = etaMin + (etaMax - etaMin) · (1 + cos(π · (e - S_i) / T_i)) / 2
///
/// so every cycle starts at `etaMax` and ends just above `etaMin`. `etaMax` defaults to the initial rate `lr0`.
/// CLI: `sgdr:t0=10,tmult=2,min=0[,max=0.1]`.
public struct CosineAnnealingWarmRestarts: LearningRateSchedule, Equatable {
    /// Length of the first cycle in epochs, >= 1.
    public let t0: Int
    /// Cycle length multiplier, >= 1.
    public let tMult: Int
    /// Lowest rate, >= 0.
    public let etaMin: Double
    /// Highest rate (each cycle's start); `nil` -> the initial rate `lr0`.
    public let etaMax: Double?

    /// - Throws: `ScheduleError.badValue` for `t0 < 1`, `tMult < 1`, a negative or non-finite `etaMin`/`etaMax`,
    ///   or `etaMax < etaMin`.
    public init(t0: Int, tMult: Int = 1, etaMin: Double = 0, etaMax: Double? = nil) throws {
        guard t0 >= 1 else { throw ScheduleError.badValue(kind: "sgdr", key: "t0", value: "\(t0)", expected: "an integer >= 1") }
        guard tMult >= 1 else { throw ScheduleError.badValue(kind: "sgdr", key: "tmult", value: "\(tMult)", expected: "an integer >= 1") }
        guard etaMin.isFinite, etaMin >= 0 else {
            throw ScheduleError.badValue(kind: "sgdr", key: "min", value: "\(etaMin)", expected: "a finite number >= 0")
        }
        if let m = etaMax {
            guard m.isFinite, m >= etaMin else {
                throw ScheduleError.badValue(kind: "sgdr", key: "max", value: "\(m)", expected: "a finite number >= min (\(etaMin))")
            }
        }
        self.t0 = t0
        self.tMult = tMult
        self.etaMin = etaMin
        self.etaMax = etaMax
    }

    /// The cycle containing `epoch`: its index, first epoch and length.
    public func cycle(containing epoch: Int) -> (index: Int, start: Int, length: Int) {
        let e = max(0, epoch)
        // Equal cycles: closed form (a loop would take epoch / t0 steps, 10^12 for a long planned run).
        if tMult == 1 { return (e / t0, (e / t0) * t0, t0) }
        // Growing cycles: the loop runs log_tMult(epoch / t0) times.
        var index = 0, start = 0, length = t0
        while e - start >= length {
            let (nextStart, o1) = start.addingReportingOverflow(length)
            let (nextLength, o2) = length.multipliedReportingOverflow(by: tMult)
            if o1 || o2 { break }
            start = nextStart
            length = nextLength
            index += 1
        }
        return (index, start, length)
    }

    public func learningRate(epoch: Int, initial lr0: Double) -> Double {
        let hi = etaMax ?? lr0
        let c = cycle(containing: epoch)
        let t = Double(max(0, epoch) - c.start) / Double(c.length)
        return etaMin + (hi - etaMin) * (1 + cos(Double.pi * t)) / 2
    }
}
