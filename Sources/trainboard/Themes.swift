import ArgumentParser
import TerminalUI
import TrainboardKit

struct Themes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the dashboard themes, or check one theme file.",
        discussion: """
        Themes are found in $TRAINBOARD_THEMES, ./themes, next to the executable (../share/trainboard/themes, \
        themes) and in the themes/ directory of the source tree the binary was built from, in that order; \
        `default` and `mono` are built in.
        """)

    @Argument(help: "A theme name or .theme file to check (exit status 2 when it does not parse).")
    var theme: String?

    func run() throws {
        let library = ThemeLibrary.standard()
        if let theme {
            do {
                let (t, warnings) = try library.load(theme)
                for w in warnings { printError("\(w)") }
                print("\(t.name): ok")
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            return
        }
        for name in library.availableNames() {
            print(name + (library.path(for: name).map { "  \($0)" } ?? "  (built in)"))
        }
    }
}
