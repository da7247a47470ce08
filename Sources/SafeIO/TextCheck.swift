/// Small helpers for messages about text read from files: where UTF-8 breaks, and short excerpts of values so that an
/// error never echoes a huge or binary value.
///
/// Thread-safety: stateless.
public enum TextCheck {
    /// The byte offset (0-based) of the first byte that is not valid UTF-8, or nil when all of `bytes` is valid.
    public static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            if length > 1 {
                guard String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil else { return i }
            }
            i += length
        }
        return nil
    }

    /// `value` shortened to at most `limit` characters (an ellipsis and the full length appended when cut), with
    /// control characters shown as `\u{..}` escapes: safe to put in a one-line message.
    public static func excerpt(_ value: String, limit: Int = 40) -> String {
        var out = ""
        var count = 0
        for ch in value {
            if count == limit {
                return out + "... (\(value.count) characters)"
            }
            if ch.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                out += ch.unicodeScalars.map { "\\u{\(String($0.value, radix: 16))}" }.joined()
            } else {
                out.append(ch)
            }
            count += 1
        }
        return out
    }

    /// `s` as a JSON string literal (RFC 8259): quotes, backslashes and control characters escaped, everything else
    /// (including non-ASCII) kept as UTF-8.
    public static func jsonQuoted(_ s: String) -> String {
        var out = ""
        appendJSONQuoted(s, to: &out)
        return out
    }

    /// Appends `s` as a JSON string literal to `out` (see `jsonQuoted`).
    public static func appendJSONQuoted(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
