/// A colour in the form a terminal backend sends it: the default colour, a palette index, or 24-bit RGB.
/// Produced by `ColorQuantizer.terminalColor(_:mode:)`.
///
/// Thread-safety: a value; safe to send between threads.
public enum TerminalColor: Hashable, Sendable {
    case `default`
    /// Palette index: 0...7 in 8-colour mode, 16...255 in 256-colour mode.
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}
