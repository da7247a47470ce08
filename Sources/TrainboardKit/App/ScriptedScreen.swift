import Dashboard
import Foundation
import TerminalUI

/// An in-memory `Screen` that plays a script: keys, resizes and signals, waits on the channel's state, and checks run
/// between polls. It keeps every presented frame and has a fake clock, so XCTest can drive the whole dashboard
/// (`DashboardLoop`) without a terminal and without sleeping for fixed times.
///
/// Clock: starts at 0 and advances by the poll's timeout on each `.timeout` and by `keyStepSeconds` on each input, so
/// frame pacing behaves as on a terminal. Waiting steps also sleep a little real time per poll (`realPollSleep`) to
/// let the source's thread run.
///
/// When the script is used up, each poll answers `q` (so a loop always ends: the first `q` stops the source, the
/// next leaves) and `exhausted` is set.
///
/// Thread-safety: used from the loop's thread only (steps run there too).
public final class ScriptedScreen: Screen {
    /// One scripted step, played in order.
    public enum Step {
        /// A key press.
        case key(KeyInput)
        /// The screen becomes `columns` x `rows`.
        case resize(columns: Int, rows: Int)
        /// Ctrl-L.
        case repaint
        /// A pending termination signal.
        case signal(Int32)
        /// Answers timeouts until `condition` holds for the channel's snapshot, for at most `seconds` of real time;
        /// when it does not, `description` is added to `failures` and the script goes on.
        case waitUntil(String, seconds: Double = 30, (TrainingSnapshot) -> Bool)
        /// Runs `body` between two polls (e.g. to record or check the channel or the files), then goes on.
        case run(() -> Void)
    }

    public private(set) var size: (columns: Int, rows: Int)
    public let symbols: Symbols
    public private(set) var now: Double = 0
    /// The last `frameLimit` frames presented, oldest first.
    public private(set) var frames: [CellBuffer] = []
    /// How many frames are kept (a fast fake clock presents many).
    public var frameLimit = 32
    /// Frames presented in all.
    public private(set) var frameCount = 0
    /// How many times `invalidate` was called.
    public private(set) var invalidations = 0
    /// True once `stop` was called.
    public private(set) var stopped = false
    /// The `waitUntil` steps that timed out (their descriptions).
    public private(set) var failures: [String] = []
    /// True when the script ran out and polls answered `q`.
    public private(set) var exhausted = false
    /// Fake seconds one input takes.
    public var keyStepSeconds = 0.05
    /// Real seconds slept per poll while waiting on a condition.
    public var realPollSleep = 0.01

    private let channel: TrainingChannel?
    private var script: [Step]
    private var position = 0
    private var waitDeadline: Date?

    /// - Parameters:
    ///   - columns, rows: the screen size.
    ///   - symbols: the symbol set frames are drawn with.
    ///   - channel: the channel `waitUntil` steps look at (required for those steps; without it they fail at once).
    ///   - script: the steps.
    public init(columns: Int = 120, rows: Int = 40, symbols: Symbols = .unicode, channel: TrainingChannel? = nil,
                script: [Step]) {
        size = (columns, rows)
        self.symbols = symbols
        self.channel = channel
        self.script = script
    }

    /// The last frame's text, rows joined with newlines (wide characters once, continuation cells skipped).
    public var lastFrameText: String { frames.last.map(Self.text) ?? "" }

    /// A frame's text: each row's symbols, trailing spaces kept.
    public static func text(_ buffer: CellBuffer) -> String {
        (0..<buffer.area.height).map { y in
            String((0..<buffer.area.width).compactMap { x -> Character? in
                guard let c = buffer.cell(x: x, y: y), !c.isContinuation else { return nil }
                return c.symbol
            })
        }.joined(separator: "\n")
    }

    public func poll(timeoutMs: Int) -> ScreenInput {
        while position < script.count {
            let step = script[position]
            switch step {
            case .key(let k):
                position += 1
                now += keyStepSeconds
                return .key(k)
            case .resize(let c, let r):
                position += 1
                size = (c, r)
                now += keyStepSeconds
                return .resize
            case .repaint:
                position += 1
                now += keyStepSeconds
                return .repaint
            case .signal(let s):
                position += 1
                return .signal(s)
            case .run(let body):
                position += 1
                body()
            case .waitUntil(let what, let seconds, let condition):
                guard let channel else {
                    failures.append(what + " (no channel given)")
                    position += 1
                    continue
                }
                if condition(channel.snapshot()) {
                    waitDeadline = nil
                    position += 1
                    continue
                }
                let deadline = waitDeadline ?? Date().addingTimeInterval(seconds)
                waitDeadline = deadline
                if Date() >= deadline {
                    failures.append(what)
                    waitDeadline = nil
                    position += 1
                    continue
                }
                Thread.sleep(forTimeInterval: realPollSleep)
                now += Double(timeoutMs) / 1000
                return .timeout
            }
        }
        exhausted = true
        Thread.sleep(forTimeInterval: realPollSleep)
        now += keyStepSeconds
        return .key(.char("q"))
    }

    public func present(_ buffer: CellBuffer) {
        frameCount += 1
        frames.append(buffer)
        if frames.count > frameLimit { frames.removeFirst(frames.count - frameLimit) }
    }
    public func invalidate() { invalidations += 1 }
    public func stop() { stopped = true }
}
