/// The glyphs widgets draw with. Two sets: `.unicode` (block elements, braille, half blocks, box drawing) and
/// `.ascii` (for terminals whose locale is not UTF-8). A widget drawn with `.ascii` writes only ASCII symbols.
///
/// All characters are single-column. Thread-safety: a value; safe to send between threads.
public struct Symbols: Hashable, Sendable {
    /// True for the Unicode set: widgets may use braille / eighth-block drawing.
    public var isUnicode: Bool
    /// Sparkline levels, lowest first; exactly 8 entries. Unicode `▁▂▃▄▅▆▇█`, ASCII `_.:-=+*#`.
    public var levels: [Character]
    /// Left partial blocks for 1/8 ... 7/8 of a cell (Unicode `▏▎▍▌▋▊▉`); empty in ASCII (no partial fill).
    public var horizontalEighths: [Character]
    /// A fully filled cell (`█` / `#`).
    public var full: Character
    /// An empty gauge cell (space in both sets).
    public var empty: Character
    /// Upper half block `▀` (Unicode only; ASCII uses `densityRamp`).
    public var upperHalf: Character
    /// Lower half block `▄` (ASCII: `_`).
    public var lowerHalf: Character
    /// Dark-to-bright density ramp, 10 entries: `" .:-=+*#%@"` in both sets.
    public var densityRamp: [Character]
    /// Box drawing: top-left, top-right, bottom-left, bottom-right corners.
    public var topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character
    /// Box drawing: horizontal and vertical lines (`─│` / `-|`).
    public var horizontal: Character, vertical: Character
    /// Marks truncated text (`…` / `~`).
    public var ellipsis: Character
    /// Marks a value that is NaN or infinite (`×` / `!`).
    public var invalid: Character
    /// Chart glyphs in ASCII mode (one point per cell); Unicode charts use braille instead.
    public var chartLine: Character, chartDots: Character, chartDashed: Character
    /// Vertical chart marker line (`┊` / `:`).
    public var markerLine: Character

    /// The Unicode set.
    public static let unicode = Symbols(
        isUnicode: true, levels: Array("▁▂▃▄▅▆▇█"), horizontalEighths: Array("▏▎▍▌▋▊▉"), full: "█", empty: " ",
        upperHalf: "▀", lowerHalf: "▄", densityRamp: Array(" .:-=+*#%@"),
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", horizontal: "─", vertical: "│",
        ellipsis: "…", invalid: "×", chartLine: "•", chartDots: "•", chartDashed: "·", markerLine: "┊")

    /// The ASCII set: every glyph is 7-bit ASCII.
    public static let ascii = Symbols(
        isUnicode: false, levels: Array("_.:-=+*#"), horizontalEighths: [], full: "#", empty: " ",
        upperHalf: "^", lowerHalf: "_", densityRamp: Array(" .:-=+*#%@"),
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", horizontal: "-", vertical: "|",
        ellipsis: "~", invalid: "!", chartLine: "*", chartDots: ".", chartDashed: ":", markerLine: ":")

    /// `.unicode` or `.ascii`.
    public static func set(unicode: Bool) -> Symbols { unicode ? .unicode : .ascii }

    /// Picks the set from locale variables (pure: pass the environment). The first non-empty of `LC_ALL`,
    /// `LC_CTYPE`, `LANG` decides; it must mention UTF-8 (`UTF-8`, `utf8`, any case) for `.unicode`.
    /// No variable set means the C locale: `.ascii`.
    public static func detect(environment: [String: String]) -> Symbols {
        for key in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let v = environment[key], !v.isEmpty {
                let l = v.lowercased()
                return .set(unicode: l.contains("utf-8") || l.contains("utf8"))
            }
        }
        return .ascii
    }

    /// The braille character with dot bits `bits` (U+2800 + bits; bit layout as in Unicode: column 0 rows 0-2 are
    /// bits 0-2, column 1 rows 0-2 are bits 3-5, row 3 is bit 6 (left) and 7 (right)).
    @inline(__always)
    public static func braille(_ bits: UInt8) -> Character {
        Character(Unicode.Scalar(0x2800 + UInt32(bits)).unsafelyUnwrapped)
    }

    /// The dot bits of `ch` when it is a braille character, else `nil`.
    public static func brailleBits(_ ch: Character) -> UInt8? {
        guard let s = ch.unicodeScalars.first, ch.unicodeScalars.count == 1,
              s.value >= 0x2800, s.value <= 0x28FF else { return nil }
        return UInt8(s.value - 0x2800)
    }
}
