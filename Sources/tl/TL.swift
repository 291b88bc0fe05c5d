import ArgumentParser

/// The `tl` command line. (Minimal on the `api` branch: the full root command lives on `main`.)
@main
struct TL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tl",
        abstract: "Check videos against TwelveLabs' limits, and work with analysis tasks.",
        subcommands: [TasksCommand.self, SandboxCommand.self]
    )
}
