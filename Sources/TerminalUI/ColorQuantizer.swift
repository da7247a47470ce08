/// Maps 24-bit colours onto terminal palettes: the xterm 256-colour palette (the 6x6x6 cube 16...231 and the grey
/// ramp 232...255; the system colours 0...15 are never chosen since terminals redefine them) and the 8 basic ANSI
/// colours (0 black, 1 red, 2 green, 3 yellow, 4 blue, 5 magenta, 6 cyan, 7 white).
///
/// Distances are squared Euclidean in RGB. Ties between the cube and the grey ramp go to the cube.
/// Examples: #FF0000 -> 196 / 1, #808080 -> 244, #000000 -> 16 / 0, #FFFFFF -> 231 / 7.
/// Thread-safety: stateless; safe from any thread.
public enum ColorQuantizer {
    /// Channel values of the xterm 6-level cube.
    public static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// Reference RGB of the 8 basic ANSI colours (xterm defaults).
    public static let ansi8: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    ]

    /// The xterm-256 index (16...255) nearest to `(r, g, b)`.
    public static func xterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let rgb = (Int(r), Int(g), Int(b))
        func cubeIndex(_ v: Int) -> Int { v < 48 ? 0 : (v < 115 ? 1 : (v - 35) / 40) }
        let ci = (cubeIndex(rgb.0), cubeIndex(rgb.1), cubeIndex(rgb.2))
        let cube = (cubeLevels[ci.0], cubeLevels[ci.1], cubeLevels[ci.2])
        let cubeDist = dist(rgb, cube)
        let avg = (rgb.0 + rgb.1 + rgb.2) / 3
        let gi = avg > 238 ? 23 : max(0, (avg - 3) / 10)          // grey k has value 8 + 10k
        let gv = 8 + 10 * min(23, gi)
        let greyDist = dist(rgb, (gv, gv, gv))
        if greyDist < cubeDist { return UInt8(232 + min(23, gi)) }
        return UInt8(16 + 36 * ci.0 + 6 * ci.1 + ci.2)
    }

    /// The basic ANSI colour index (0...7) nearest to `(r, g, b)`.
    public static func ansi8Index(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let rgb = (Int(r), Int(g), Int(b))
        var best = 0, bestDist = Int.max
        for (i, c) in ansi8.enumerated() {
            let d = dist(rgb, c)
            if d < bestDist { best = i; bestDist = d }
        }
        return UInt8(best)
    }

    /// `color` as the terminal should be told in `mode`: RGB for truecolor, an index for 256/8, and `.default`
    /// for `.none` mode or a default colour.
    public static func terminalColor(_ color: Color, mode: ColorMode) -> TerminalColor {
        guard case let .rgb(r, g, b) = color else { return .default }
        switch mode {
        case .none: return .default
        case .ansi8: return .indexed(ansi8Index(r, g, b))
        case .ansi256: return .indexed(xterm256(r, g, b))
        case .truecolor: return .rgb(r, g, b)
        }
    }

    @inline(__always)
    private static func dist(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }
}
