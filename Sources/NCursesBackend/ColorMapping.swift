import TerminalUI

/// How many colours the backend uses.
///
/// Thread-safety: a value; safe to send between threads.
public enum ColorMode: Sendable, Hashable, CustomStringConvertible {
    /// No colour at all (monochrome terminal or `NO_COLOR`): only modifiers are drawn.
    case none
    /// The 8 ANSI colours (0...7).
    case ansi8
    /// The xterm 256-colour palette (6x6x6 cube 16...231 and greys 232...255 are used for RGB).
    case xterm256

    /// "none", "8" or "256".
    public var description: String {
        switch self {
        case .none: return "none"
        case .ansi8: return "8"
        case .xterm256: return "256"
        }
    }
}

/// Maps `TerminalUI.Color` to terminal palette indices by nearest colour (squared RGB distance).
///
/// A small private stand-in for TerminalUI's `ColorQuantizer`; the backend only calls `index(for:mode:)`, so it can
/// be swapped later without touching the rest of the backend.
/// Thread-safety: stateless; safe from any thread.
public enum ColorMapping {
    /// The six channel levels of the xterm 6x6x6 cube.
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The xterm defaults of the 8 ANSI colours (black, red, green, yellow, blue, magenta, cyan, white).
    static let ansiPalette: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
        (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    ]

    /// The palette index for `color` in `mode`: `-1` for `.default` (the terminal's own colour), `nil` when `mode`
    /// is `.none`.
    public static func index(for color: Color, mode: ColorMode) -> Int? {
        switch mode {
        case .none:
            return nil
        case .ansi8:
            guard case let .rgb(r, g, b) = color else { return -1 }
            return ansi8(r, g, b)
        case .xterm256:
            guard case let .rgb(r, g, b) = color else { return -1 }
            return xterm256(r, g, b)
        }
    }

    /// The nearest xterm-256 index among the 6x6x6 cube (16...231) and the 24 greys (232...255). The first 16
    /// colours are never chosen because terminals let users redefine them.
    public static func xterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let (ri, gi, bi) = (nearestCubeLevel(Int(r)), nearestCubeLevel(Int(g)), nearestCubeLevel(Int(b)))
        let cubeIndex = 16 + 36 * ri + 6 * gi + bi
        let cubeDist = distance((Int(r), Int(g), Int(b)), (cubeLevels[ri], cubeLevels[gi], cubeLevels[bi]))

        // Greys are 8 + 10 * k for k in 0...23.
        let mean = (Int(r) + Int(g) + Int(b)) / 3
        let k = min(23, max(0, (mean - 8 + 5) / 10))
        let grey = 8 + 10 * k
        let greyDist = distance((Int(r), Int(g), Int(b)), (grey, grey, grey))
        return greyDist < cubeDist ? 232 + k : cubeIndex
    }

    /// The nearest of the 8 ANSI colours (by their xterm default values).
    public static func ansi8(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        var best = 0
        var bestDist = Int.max
        for (i, p) in ansiPalette.enumerated() {
            let d = distance((Int(r), Int(g), Int(b)), p)
            if d < bestDist { best = i; bestDist = d }
        }
        return best
    }

    static func nearestCubeLevel(_ v: Int) -> Int {
        // Midpoints between the levels 0, 95, 135, 175, 215, 255.
        if v < 48 { return 0 }
        if v < 115 { return 1 }
        return min(5, (v - 35) / 40)
    }

    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }
}
