import ArgumentParser
import Foundation
import NIOConcurrencyHelpers

/// `--color`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, always, never
}

/// `--quiet`, `--no-progress` and `--color`, which every command takes.
///
/// Parsing installs them in ``Console`` (from `validate()`, which ArgumentParser calls once for
/// every option group it decodes), so output helpers deep in a command obey them without each
/// command passing them down.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only results and errors: no progress, retry lines or notes on stderr.")
    var quiet = false

    @Flag(name: .customLong("no-progress"), help: "Do not draw progress lines on stderr.")
    var noProgress = false

    @Option(help: "Colour the text output: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    func validate() throws {
        Console.install(Console.Settings(quiet: quiet, progress: !quiet && !noProgress, color: color))
    }
}

/// How the running command writes to the terminal (see ``OutputOptions``).
enum Console {
    struct Settings: Sendable {
        var quiet = false
        var progress = true
        var color = ColorChoice.auto
    }

    private static let settings = NIOLockedValueBox(Settings())

    static func install(_ value: Settings) { settings.withLockedValue { $0 = value } }

    /// `--quiet`: no notes, retry lines or progress on stderr.
    static var quiet: Bool { settings.withLockedValue { $0.quiet } }

    /// Progress lines are drawn on a terminal only, and not with `--quiet` or `--no-progress`.
    static var showsProgress: Bool { settings.withLockedValue { $0.progress } && isatty(STDERR_FILENO) == 1 }

    /// Colours: `--color always`; or with `auto`, stdout is a terminal, `NO_COLOR` is unset or
    /// empty (no-color.org) and `TERM` is not `dumb`.
    static var colors: Bool {
        switch settings.withLockedValue({ $0.color }) {
        case .always: return true
        case .never: return false
        case .auto:
            let env = ProcessInfo.processInfo.environment
            return isatty(STDOUT_FILENO) == 1 && (env["NO_COLOR"] ?? "").isEmpty && env["TERM"] != "dumb"
        }
    }

    /// A note on stderr (`note: …`), unless `--quiet`.
    static func note(_ text: String) {
        guard !quiet else { return }
        CLI.err(text)
    }
}
