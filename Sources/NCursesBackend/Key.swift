/// A key press as the UI loop sees it, decoded from ncurses' `wget_wch`.
///
/// Pure value with no ncurses types, so it can later move to `TerminalUI` or `Dashboard` unchanged.
/// Thread-safety: a value; safe to send between threads.
public enum Key: Hashable, Sendable {
    /// A printable character (including space).
    case char(Character)
    /// Control plus a letter, e.g. Ctrl-L is `.ctrl("l")` (Ctrl-I, Ctrl-J/M and Ctrl-H arrive as `.tab`, `.enter`
    /// and `.backspace`; Ctrl-C raises SIGINT in cbreak mode and never arrives here).
    case ctrl(Character)
    /// Return / Enter (CR, LF or the keypad Enter key).
    case enter
    /// The Escape key (after `escapeDelayMs`; Alt+key arrives as `.escape` followed by the key).
    case escape
    /// Tab.
    case tab
    /// Shift-Tab.
    case backTab
    /// Backspace (DEL, Ctrl-H or the terminfo backspace key).
    case backspace
    /// Delete (forward delete).
    case delete
    /// Insert.
    case insert
    /// Arrow keys.
    case up, down, left, right
    /// Navigation keys.
    case home, end, pageUp, pageDown
    /// The terminal was resized; `Terminal.size` already holds the new size and the next `present` redraws fully.
    case resize
    /// Function key F`n` (1...63 in practice).
    case function(Int)
    /// Anything else: the raw ncurses key code (for `KEY_*` codes) or character code (for other control characters).
    case other(Int32)
}

extension Key: CustomStringConvertible {
    /// A short human-readable name ("q", "Ctrl-L", "Enter", "F5", "Up", ...), for status lines and logs.
    public var description: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(String(c).uppercased())"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .insert: return "Insert"
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PageUp"
        case .pageDown: return "PageDown"
        case .resize: return "Resize"
        case .function(let n): return "F\(n)"
        case .other(let code): return "Key(\(code))"
        }
    }
}
