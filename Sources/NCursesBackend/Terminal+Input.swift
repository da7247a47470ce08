#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses

/// What `Terminal.poll(timeoutMs:)` saw.
///
/// Thread-safety: a value; safe to send between threads.
public enum TerminalEvent: Hashable, Sendable {
    /// A key press (never `.resize`; resizes arrive as `.resize(_)`).
    case key(Key)
    /// The terminal was resized to this size; the next `present` redraws everything.
    case resize(TerminalSize)
    /// A signal trapped by `SignalTrap` is pending (it stays pending until `SignalTrap.clear()`): stop the work,
    /// call `Terminal.stop()` and exit with `SignalTrap.exitStatus(for:)`.
    case signal(Int32)
    /// Nothing happened within the timeout (or the wait was interrupted).
    case timeout
}

extension Terminal {
    /// Waits for one key with `wget_wch`: up to `timeoutMs` milliseconds (negative blocks, 0 polls; nil uses
    /// `options.inputTimeoutMs`). Returns nil on timeout, when interrupted by a signal, or when not active.
    /// `KEY_RESIZE` returns `.resize` after updating `size`.
    public func readKey(timeoutMs: Int32? = nil) -> Key? {
        guard isActive, let win = tb_stdscr() else { return nil }
        wtimeout(win, timeoutMs ?? options.inputTimeoutMs)
        var wch: wint_t = 0
        let rc = wget_wch(win, &wch)
        if rc == tb_err() { return nil }
        if rc == tb_key_code_yes() {
            let code = Int32(truncatingIfNeeded: wch)
            if code == tb_key_resize() {
                refreshSize()
                invalidate()
                return .resize
            }
            return Terminal.decodeKeyCode(code)
        }
        return Terminal.decodeCharacter(UInt32(wch))
    }

    /// Checks for a pending signal, then waits for a key (as `readKey`), then checks for a signal again: the one call
    /// a UI loop needs per iteration.
    public func poll(timeoutMs: Int32? = nil) -> TerminalEvent {
        if let sig = SignalTrap.pendingSignal() { return .signal(sig) }
        let key = readKey(timeoutMs: timeoutMs)
        if let sig = SignalTrap.pendingSignal() { return .signal(sig) }
        switch key {
        case .none: return .timeout
        case .resize?: return .resize(size)
        case let k?: return .key(k)
        }
    }

    /// Decodes a `KEY_*` code (the `KEY_CODE_YES` branch of `wget_wch`).
    static func decodeKeyCode(_ code: Int32) -> Key {
        switch code {
        case tb_key_up(): return .up
        case tb_key_down(): return .down
        case tb_key_left(): return .left
        case tb_key_right(): return .right
        case tb_key_home(): return .home
        case tb_key_end(): return .end
        case tb_key_ppage(): return .pageUp
        case tb_key_npage(): return .pageDown
        case tb_key_dc(): return .delete
        case tb_key_ic(): return .insert
        case tb_key_btab(): return .backTab
        case tb_key_enter(): return .enter
        case tb_key_backspace(): return .backspace
        case tb_key_resize(): return .resize
        default:
            let n = code - tb_key_f0()
            if n >= 1 && n <= 63 { return .function(Int(n)) }
            return .other(code)
        }
    }

    /// Decodes a character (the `OK` branch of `wget_wch`).
    static func decodeCharacter(_ value: UInt32) -> Key {
        switch value {
        case 10, 13: return .enter
        case 9: return .tab
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26:
            guard let s = Unicode.Scalar(value + 96) else { return .other(Int32(value)) }
            return .ctrl(Character(s))
        case 0..<32: return .other(Int32(value))
        default:
            guard let s = Unicode.Scalar(value) else { return .other(Int32(truncatingIfNeeded: value)) }
            return .char(Character(s))
        }
    }
}
