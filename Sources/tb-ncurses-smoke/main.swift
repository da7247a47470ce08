// tb-ncurses-smoke: a minimal program that exercises NCursesBackend in a real terminal.
// Draws a border, the size, a counter (+1 every 100 ms), the last key, and block/braille glyphs (ASCII without a
// UTF-8 locale). `q` quits with status 0; SIGINT/SIGTERM/SIGHUP quit with 128 + signal after restoring the terminal;
// `E` calls exit(3) without stopping the terminal, to test the exit-time safety net; `C` traps (fatalError) on a
// background thread, as a crashing trainer would, to test the crash-time restore. With TB_SMOKE_SLOW_SHUTDOWN=1 the
// program hangs 20 s after a signal, so that a second signal must force the exit.
// Used by Tests/e2e/ncurses-smoke.sh.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NCursesBackend
import TerminalUI

func printError(_ message: String) {
    let line = "tb-ncurses-smoke: \(message)\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}

// Trap signals before ncurses starts, so ncurses does not install its own exit(1) handlers.
SignalTrap.install()

let term = Terminal()
do {
    try term.start()
} catch {
    printError("\(error)")
    exit(1)
}

let utf8 = term.isUTF8
let glyphs = utf8
    ? (box: Array("┌┐└┘─│"), blocks: " ▁▂▃▄▅▆▇█", braille: "⠀⠁⠃⠇⡇⣇⣧⣷⣿")
    : (box: Array("++++-|"), blocks: " .:-=+*#%", braille: "@")
let titleStyle = Style(foreground: .rgb(0x5f, 0xd7, 0xff), modifiers: [.bold])
let labelStyle = Style(foreground: .rgb(0xaf, 0xaf, 0xaf))
let borderStyle = Style(foreground: .rgb(0x87, 0x87, 0x87))

@MainActor
func render(counter: Int, lastKey: String) -> CellBuffer {
    var buf = term.makeBuffer()
    let w = buf.area.width, h = buf.area.height
    guard w > 0, h > 0 else { return buf }
    let size = "\(w)x\(h)"
    if w < 24 || h < 8 {
        // Too small for the layout: a compact notice, clipped by the buffer.
        buf.write("\(size) n=\(counter)", x: 0, y: 0, style: titleStyle)
        buf.write("too small", x: 0, y: 1, style: labelStyle)
        return buf
    }
    let b = glyphs.box
    for x in 1..<(w - 1) {
        buf.set(x: x, y: 0, symbol: b[4], style: borderStyle)
        buf.set(x: x, y: h - 1, symbol: b[4], style: borderStyle)
    }
    for y in 1..<(h - 1) {
        buf.set(x: 0, y: y, symbol: b[5], style: borderStyle)
        buf.set(x: w - 1, y: y, symbol: b[5], style: borderStyle)
    }
    buf.set(x: 0, y: 0, symbol: b[0], style: borderStyle)
    buf.set(x: w - 1, y: 0, symbol: b[1], style: borderStyle)
    buf.set(x: 0, y: h - 1, symbol: b[2], style: borderStyle)
    buf.set(x: w - 1, y: h - 1, symbol: b[3], style: borderStyle)

    let inner = w - 4
    buf.write(" tb-ncurses-smoke ", x: 2, y: 0, style: titleStyle, maxWidth: inner)
    buf.write("size: \(size)", x: 2, y: 1, maxWidth: inner)
    buf.write("counter: \(counter)", x: 2, y: 2, maxWidth: inner)
    buf.write("last key: \(lastKey)", x: 2, y: 3, maxWidth: inner)
    buf.write("utf8: \(utf8 ? "yes" : "no")  colors: \(term.colorMode)", x: 2, y: 4, style: labelStyle,
              maxWidth: inner)
    // A row of glyphs with a colour gradient.
    var x = 2
    for (i, ch) in (glyphs.blocks + " " + glyphs.braille).enumerated() where x < w - 2 {
        let t = UInt8(truncatingIfNeeded: min(255, i * 14))
        buf.set(x: x, y: 5, symbol: ch, style: Style(foreground: .rgb(t, 255 - t, 128)))
        x += 1
    }
    buf.write("q quits", x: 2, y: h - 2, style: labelStyle.adding(.dim), maxWidth: inner)
    return buf
}

/// TB_SMOKE_SLOW_SHUTDOWN=1: wait 20 s after a signal before stopping (tests the forced exit on a repeated signal).
let slowShutdown = getenv("TB_SMOKE_SLOW_SHUTDOWN").map { String(cString: $0) == "1" } ?? false
let clock = ContinuousClock()
let started = clock.now
var counter = -1
var lastKey = "none"
var dirty = true

while true {
    switch term.poll(timeoutMs: 33) {
    case .key(.char("q")):
        term.stop()
        exit(0)
    case .key(.char("E")):
        exit(3)  // deliberately skips term.stop(): the atexit handler must restore the terminal
    case .key(.char("C")):
        Thread { fatalError("tb-ncurses-smoke: deliberate crash on a background thread") }.start()
        sleep(5)  // the trap ends the process long before this
    case .key(let key):
        lastKey = key.description
        dirty = true
    case .resize:
        dirty = true
    case .signal(let sig):
        if slowShutdown {
            // Simulates a shutdown that hangs (e.g. waiting for a long batch): a second signal must force the exit.
            sleep(20)
        }
        term.stop()
        exit(SignalTrap.exitStatus(for: sig))
    case .timeout:
        break
    }
    let now = Int((clock.now - started) / .milliseconds(100))
    if now != counter {
        counter = now
        dirty = true
    }
    if dirty {
        term.present(render(counter: counter, lastKey: lastKey))
        dirty = false
    }
}
