/// Pure text helpers for widgets: truncation with an ellipsis and word wrapping. Widths are in terminal cells
/// (`CharacterWidth`: CJK and emoji take 2, combining marks stay with their base and take none).
///
/// Thread-safety: stateless; safe from any thread.
public enum TextFormatting {
    /// `text` cut to at most `width` cells; when cut, the last kept cell is `ellipsis`. A double-width character that
    /// would straddle the cut is dropped whole and a space pads its place after the ellipsis, so a cut text is exactly
    /// `width` cells wide (`"手写数字.npz"` at 6 cells: `"手写… "`).
    /// `width <= 0` gives "", `width == 1` with a longer text gives just the ellipsis.
    public static func truncate(_ text: String, width: Int, ellipsis: Character = "…") -> String {
        guard width > 0 else { return "" }
        guard text.cellWidth > width else { return text }
        let room = width - CharacterWidth.of(ellipsis)
        guard room >= 0 else { return String(repeating: " ", count: width) }
        let (kept, used) = prefix(text, width: room)
        return kept + String(ellipsis) + String(repeating: " ", count: room - used)
    }

    /// The longest start of `text` that is at most `width` cells wide, and its width (which can be `width - 1` when
    /// the next character is double-width).
    public static func prefix<S: StringProtocol>(_ text: S, width: Int) -> (String, Int) {
        var out = "", used = 0
        for ch in text {
            let w = CharacterWidth.of(ch)
            if used + w > width { break }
            out.append(ch)
            used += w
        }
        return (out, used)
    }

    /// The longest end of `text` that is at most `width` cells wide, and its width.
    public static func suffix<S: StringProtocol>(_ text: S, width: Int) -> (String, Int) {
        var chars: [Character] = [], used = 0
        for ch in text.reversed() {
            let w = CharacterWidth.of(ch)
            if used + w > width { break }
            chars.append(ch)
            used += w
        }
        return (String(chars.reversed()), used)
    }

    /// Word-wraps `text` to lines of at most `width` cells. Explicit `\n` start new lines; words wider than
    /// `width` are broken hard (never inside a double-width character: a line then ends one cell short); runs of
    /// spaces between words collapse to one at a wrap point. `width <= 0` gives []. Empty text gives [""].
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var out: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineLen = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                var w = Substring(word)
                while !w.isEmpty {
                    let wl = w.cellWidth
                    let need = lineLen == 0 ? wl : lineLen + 1 + wl
                    if need <= width {
                        if lineLen > 0 { line += " "; lineLen += 1 }
                        line += w; lineLen += wl
                        w = ""
                    } else if lineLen > 0 {
                        out.append(line); line = ""; lineLen = 0
                    } else {
                        var (head, _) = prefix(w, width: width)
                        // A double-width character in a 1-cell line: it cannot be shown; keep the loop going.
                        if head.isEmpty, let first = w.first { head = String(first) }
                        out.append(head)
                        w = w.dropFirst(head.count)
                    }
                }
            }
            out.append(line)
        }
        return out
    }
}
