import ArgumentParser
import MediaProbe

/// `tl`: check videos against TwelveLabs' limits before upload, then submit and follow tasks.
@main
struct TL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tl",
        abstract: "Check videos against TwelveLabs' async-analysis limits, and work with analysis tasks.",
        version: "0.1.0",
        subcommands: [PreflightCommand.self, SubmitCommand.self, TasksCommand.self, AssetsCommand.self, SandboxCommand.self]
    )

    /// Parses the arguments after giving a bare `--decode` its default mode (``DecodeArgument``).
    static func main() async {
        await main(DecodeArgument.normalize(Array(CommandLine.arguments.dropFirst())))
    }
}
