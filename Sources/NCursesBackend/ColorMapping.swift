import TerminalUI

/// Maps `TerminalUI.Color` to terminal palette indices by nearest colour (squared RGB distance).
///
/// Uses TerminalUI's `ColorQuantizer` for the nearest-colour search; `ColorMode` is TerminalUI's (a truecolor mode
/// is drawn through the 256-colour palette, as ncurses pairs are palette-based).
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
        case .ansi256, .truecolor:
            guard case let .rgb(r, g, b) = color else { return -1 }
            return xterm256(r, g, b)
        }
    }

    /// The nearest xterm-256 index (cube or grey ramp), via `ColorQuantizer`.
    public static func xterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int { Int(ColorQuantizer.xterm256(r, g, b)) }

    /// The nearest of the 8 ANSI colours, via `ColorQuantizer`.
    public static func ansi8(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int { Int(ColorQuantizer.ansi8Index(r, g, b)) }
}
