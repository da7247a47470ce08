import CNCurses

/// Maps (foreground, background) palette indices to ncurses colour pairs, allocating pairs on demand with
/// `init_extended_pair`. Pair 0 (the terminal default) is never allocated. When every pair is in use, `pair` returns
/// nil and the owner resets the cache and redraws (redefining a pair recolours every cell on screen that uses it).
///
/// Thread-safety: none; owned by `Terminal` and used on the main thread only.
struct ColorPairCache {
    private struct Key: Hashable {
        var fg: Int32
        var bg: Int32
    }

    private var pairs: [Key: Int32] = [:]
    private var next: Int32 = 1
    /// One past the highest usable pair number (`COLOR_PAIRS`, clamped).
    private(set) var limit: Int32 = 1
    /// The palette index pair 0 stands for (-1/-1 with `use_default_colors`, else white on black).
    private var defaultFg: Int32 = -1
    private var defaultBg: Int32 = -1

    /// Number of pairs currently allocated (excluding pair 0).
    var count: Int { pairs.count }

    /// Forgets every allocation and sets the pair budget and what pair 0 means.
    mutating func reset(limit: Int32, defaultFg: Int32, defaultBg: Int32) {
        pairs.removeAll(keepingCapacity: true)
        next = 1
        self.limit = max(1, limit)
        self.defaultFg = defaultFg
        self.defaultBg = defaultBg
    }

    /// Forgets every allocation, keeping the budget.
    mutating func reset() {
        reset(limit: limit, defaultFg: defaultFg, defaultBg: defaultBg)
    }

    /// The pair for `fg`/`bg`, allocating it if needed; nil when all pairs are in use.
    /// A pair that ncurses refuses (e.g. an index beyond `COLORS`) falls back to pair 0.
    mutating func pair(fg: Int32, bg: Int32) -> Int32? {
        if fg == defaultFg && bg == defaultBg { return 0 }
        let key = Key(fg: fg, bg: bg)
        if let p = pairs[key] { return p }
        guard next < limit else { return nil }
        guard init_extended_pair(next, fg, bg) != tb_err() else {
            pairs[key] = 0
            return 0
        }
        let p = next
        next += 1
        pairs[key] = p
        return p
    }
}
