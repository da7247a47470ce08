/// Pure text helpers for widgets: truncation with an ellipsis and word wrapping. Widths are in cells; every
/// `Character` counts as one cell (Trainboard draws single-column text only).
///
/// Thread-safety: stateless; safe from any thread.
public enum TextFormatting {
    /// `text` cut to at most `width` cells; when cut, the last kept cell is `ellipsis`.
    /// `width <= 0` gives "", `width == 1` with a longer text gives just the ellipsis.
    public static func truncate(_ text: String, width: Int, ellipsis: Character = "…") -> String {
        guard width > 0 else { return "" }
        let count = text.count
        guard count > width else { return text }
        return String(text.prefix(width - 1)) + String(ellipsis)
    }

    /// Word-wraps `text` to lines of at most `width` cells. Explicit `\n` start new lines; words longer than
    /// `width` are broken hard; runs of spaces between words collapse to one at a wrap point.
    /// `width <= 0` gives []. Empty text gives [""].
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var out: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineLen = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                var w = Substring(word)
                while !w.isEmpty {
                    let wl = w.count
                    let need = lineLen == 0 ? wl : lineLen + 1 + wl
                    if need <= width {
                        if lineLen > 0 { line += " "; lineLen += 1 }
                        line += w; lineLen += wl
                        w = ""
                    } else if lineLen > 0 {
                        out.append(line); line = ""; lineLen = 0
                    } else {
                        out.append(String(w.prefix(width)))
                        w = w.dropFirst(width)
                    }
                }
            }
            out.append(line)
        }
        return out
    }
}
