import ArgumentParser
import AttachProtocol
import Dashboard
import Foundation
import NCursesBackend
import SafeIO
import TrainboardKit
#if canImport(Glibc)
import Glibc
#endif

/// `trainboard train --listen`: starts the attach server for a run whose trainer publishes into `channel`, and says on
/// stderr where it listens (and the token, for TCP). Exits with status 2 when it cannot listen.
func startListening(_ bridge: AttachBridge, address: AttachAddress, channel: TrainingChannel) throws {
    do {
        try bridge.listen(address, channel: channel, name: "trainboard")
    } catch {
        printError("error: --listen: \(error)")
        throw ExitCode(2)
    }
    guard let server = bridge.server else { return }
    if let path = server.socketPath {
        printError("listening on \(path) (attach with: trainboard attach \(path))")
    } else if let tcp = server.tcpAddress, let token = server.token, let file = server.tokenFile {
        printError("listening on \(tcp); token \(token) (also in \(file); attach with: trainboard attach \(tcp) --token-file \(file))")
    }
}

/// `trainboard attach PATH|HOST:PORT`: the dashboard (or epoch lines) of a run that listens.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach the dashboard to a listening run (trainboard train --listen, a Keras callback, a Python Session).",
        discussion: """
        The dashboard shows the run's whole history, then follows it live; p, s, c, l, + and - steer the run as \
        they steer a local one (every attached dashboard sees the acknowledgements), and q detaches: the run goes \
        on, and `trainboard attach` again shows it all. When the run ends, the dashboard shows its end and stays \
        until q. With --headless (or when stdout is not a terminal) it prints one line per epoch and the run's \
        events, and returns when the run ends. `trainboard ls` lists the runs listening for this user. TCP runs \
        need their token (--token or --token-file; the run prints both). Protocol: docs/attach-protocol.md. \
        Exit status: 0 when the run ended or you detached, 1 when the connection was refused or lost, 2 on bad \
        input.
        """)

    @Argument(help: ArgumentHelp("The run's socket path, or HOST:PORT for a TCP run.", valueName: "path|host:port"))
    var target: String
    @Option(help: ArgumentHelp("The token of a TCP run.", valueName: "token")) var token: String?
    @Option(name: .customLong("token-file"), help: ArgumentHelp("A file holding the token of a TCP run.", valueName: "path"))
    var tokenFile: String?
    @Flag(help: "No dashboard: print one line per epoch and the run's events until the run ends.") var headless = false
    @Option(help: ArgumentHelp("Dashboard theme name (see `trainboard themes`) or a .theme file.", valueName: "name|path"))
    var theme: String?

    func run() throws {
        let address: AttachAddress
        do {
            address = try AttachAddress.parse(target)
            if case .unix(nil) = address { throw AttachError("give the run's socket path or HOST:PORT (trainboard ls lists them)") }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        var secret = token
        if let f = tokenFile {
            do { secret = try AttachConnection.readToken(f) } catch {
                printError("error: --token-file: \(error)")
                throw ExitCode(2)
            }
        }
        if case .unix = address, secret != nil { printError("note: a Unix socket needs no token; ignoring it") ; secret = nil }
        if case .tcp = address, secret == nil {
            printError("error: \(target): a TCP run needs its token: give --token-file FILE (the run printed it and wrote it next to its discovery file) or --token T")
            throw ExitCode(2)
        }
        let connection: AttachConnection
        do { connection = try AttachConnection(address, token: secret) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        // The first message says whether the run accepted us (hello) or not (error, or the connection closed).
        var first: RunMessage?
        let deadline = Date().addingTimeInterval(10)
        while first == nil {
            switch connection.next(timeout: 0.5) {
            case .message(.error(let e)):
                printError("error: \(target): the run refused the connection: \(e.message)")
                throw ExitCode(1)
            case .message(let m): first = m
            case .malformed(let why):
                printError("error: \(target): not a Trainboard run (first line: \(why))")
                throw ExitCode(1)
            case .closed(let why):
                printError("error: \(target): \(why) before greeting (refused: another user, a missing or wrong token?)")
                throw ExitCode(1)
            case .timeout:
                if Date() > deadline { printError("error: \(target): no greeting from the run within 10 s"); throw ExitCode(1) }
            }
        }
        if headless || !Terminal.isInteractive || Terminal.unsupportedTerminal() != nil {
            try printLines(connection, first: first!)
        } else {
            try dashboard(connection, first: first!)
        }
    }

    func dashboard(_ connection: AttachConnection, first: RunMessage) throws {
        let resolved: ResolvedTheme
        do { resolved = try ResolvedTheme.load(theme) } catch {
            printError("error: \(error)"); throw ExitCode(2)
        }
        SignalTrap.install()
        let source = AttachSource(connection: connection, first: first)
        let screen: NCursesScreen
        do { screen = try NCursesScreen() } catch {
            printError("error: cannot start the dashboard: \(error). Use --headless.")
            throw ExitCode(1)
        }
        let ending = DashboardLoop.run(screen: screen, channel: source.channel, source: source, themes: resolved.themes)
        if case .signal(let sig) = ending {
            printError("detached by signal \(sig)")
            throw ExitCode(SignalTrap.exitStatus(for: sig))
        }
        print(source.endReason.map { r in r == "detached" ? "Detached from \(target); the run goes on." : "Run: \(r)" }
              ?? "Detached from \(target); the run goes on.")
    }

    func printLines(_ connection: AttachConnection, first: RunMessage) throws {
        SignalTrap.install()
        var next: RunMessage? = first
        var steps = 0, epochs = 0
        var lastEpochTime = 0.0
        while true {
            if let sig = SignalTrap.pendingSignal() {
                connection.close()
                print("Detached from \(target); the run goes on.")
                throw ExitCode(SignalTrap.exitStatus(for: sig))
            }
            let m: RunMessage
            if let n = next { m = n; next = nil } else {
                switch connection.next(timeout: 0.2) {
                case .message(let x): m = x
                case .timeout: continue
                case .malformed(let why): printError("warning: skipped a malformed line from the run: \(why)"); continue
                case .closed(let why):
                    printError("error: \(target): \(why) (the run did not send end)")
                    throw ExitCode(1)
                }
            }
            switch m {
            case .hello(let h):
                steps = h.stepsPerEpoch ?? 0; epochs = h.epochs
                print("Attached to \(h.name) (pid \(h.pid), \(h.framework)): \(h.model.summary); \(h.epochs) epochs, \(h.stepsPerEpoch.map(String.init) ?? "?") steps/epoch, state \(h.state)")
            case .epoch(let e):
                print("Epoch \(e.epoch + 1)/\(epochs)")
                var logs = e.logs
                if let lr = e.learningRate, logs[LogKeyName.learningRate] == nil { logs[LogKeyName.learningRate] = lr }
                print(EpochLineReporter.line(steps: steps, of: steps, seconds: max(0, e.time - lastEpochTime), logs: logs))
                lastEpochTime = e.time
            case .event(let ev):
                print("event \(ev.kind) (epoch \(ev.epoch + 1), update \(ev.update)): \(ev.message)")
            case .ack(let a):
                print("ack \(a.command)\(a.id.map { " #\($0)" } ?? "") from \(a.from): \(a.ok ? "ok" : "refused") at update \(a.update): \(a.message)")
            case .historyEnd(let n):
                print("(history: \(n) messages; live from here)")
            case .error(let e):
                printError("warning: the run answered: \(e.message)")
            case .end(let e):
                print("Run ended: \(e.reason) (epoch \(e.epoch + 1), update \(e.update))")
                return
            case .batch, .pong:
                break
            }
            fflush(nil)
        }
    }
}

/// Keras's log key for the learning rate.
enum LogKeyName { static let learningRate = "learning_rate" }

/// `trainboard ls`: the runs listening for this user.
struct ListRuns: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the runs listening for this user (trainboard train --listen, Keras callbacks, Python sessions).",
        discussion: """
        Reads the discovery files in the private directory ($XDG_RUNTIME_DIR/trainboard, else /tmp/trainboard-UID) \
        and lists those whose process is alive and whose socket accepts a connection: name, pid, framework, socket \
        or address (and token file), age. Stale entries (a run that died) are skipped.
        """)

    func run() throws {
        var st = stat()
        if lstat(AttachServer.privateDirectoryPath, &st) != 0 && errno == ENOENT { print("no listening runs"); return }
        let dir: String
        do { dir = try AttachServer.privateDirectory(create: false) } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var rows: [[String]] = []
        let now = Date().timeIntervalSince1970
        for n in names.prefix(10_000) {
            guard let bytes = try? SafeFile.read("\(dir)/\(n)", limit: 64 * 1024),
                  let e = try? DiscoveryEntry.decode(bytes), e.pid > 0, e.pid <= Int(Int32.max) else { continue }
            guard kill(pid_t(e.pid), 0) == 0 || errno == EPERM else { continue }
            let address: AttachAddress
            if let s = e.socket { address = .unix(s) } else if let t = e.tcp, let a = try? AttachAddress.parse(t) { address = a } else { continue }
            guard let fd = try? AttachConnection(address, token: nil) else { continue }
            fd.close()
            let age = max(0, now - e.started)
            let ageText = age < 60 ? "\(Int(age))s" : age < 3600 ? "\(Int(age / 60))m" : "\(Int(age / 3600))h\(Int(age.truncatingRemainder(dividingBy: 3600) / 60))m"
            let where_ = e.socket ?? "\(e.tcp ?? "") (token \(e.tokenFile ?? "?"))"
            rows.append([e.name, String(e.pid), e.framework, where_, ageText])
        }
        if rows.isEmpty { print("no listening runs"); return }
        let header = ["NAME", "PID", "FRAMEWORK", "SOCKET/ADDRESS", "AGE"]
        let all = [header] + rows
        let widths = (0..<header.count).map { c in all.map { $0[c].count }.max() ?? 0 }
        for r in all {
            print(r.enumerated().map { i, v in i == r.count - 1 ? v : v.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  "))
        }
    }
}
