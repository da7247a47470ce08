/// A colour as a theme names it: the terminal's default, or 24-bit RGB. Backends quantize RGB to what the terminal
/// supports (256 or 8 colours, see `ColorQuantizer`).
///
/// Thread-safety: a value; safe to send between threads.
public enum Color: Hashable, Sendable {
    /// The terminal's own default foreground or background.
    case `default`
    /// 24-bit colour, each channel 0...255.
    case rgb(UInt8, UInt8, UInt8)

    /// `#RRGGBB` or `#GG` (grey) form; `nil` for other text.
    public init?(hex: String) {
        var s = Substring(hex)
        guard s.first == "#" else { return nil }
        s = s.dropFirst()
        func byte(_ t: Substring) -> UInt8? { UInt8(t, radix: 16) }
        if s.count == 6, let r = byte(s.prefix(2)), let g = byte(s.dropFirst(2).prefix(2)), let b = byte(s.suffix(2)) {
            self = .rgb(r, g, b)
        } else if s.count == 2, let g = byte(s) {
            self = .rgb(g, g, g)
        } else {
            return nil
        }
    }
}
