import ArgumentParser
import Foundation
import MediaProbe

/// `tl`: check videos against TwelveLabs' limits before upload, then submit and follow tasks.
@main
struct TL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tl",
        abstract: "Check videos against TwelveLabs' async-analysis limits, and work with analysis tasks.",
        version: "0.1.0",
        subcommands: [PreflightCommand.self, SubmitCommand.self, TasksCommand.self, BatchesCommand.self, AssetsCommand.self,
                      UploadsCommand.self, IngestCommand.self, WebhooksCommand.self, SandboxCommand.self, CompletionCommand.self]
    )

    /// Checks the arguments (``ArgumentCheck``), parses them, and runs the command. Unlike
    /// ArgumentParser's own `main`, a usage error found while a command runs (``UsageError``,
    /// `ValidationError`) prints that command's usage, not `Usage: tl <subcommand>`.
    static func main() async {
        let arguments: [String]
        do {
            // From argv's bytes, not CommandLine.arguments: a file name that is not UTF-8 must stay the
            // same name (RawPath), not become U+FFFD and "not exist".
            let raw = (1..<Int(CommandLine.argc)).compactMap { CommandLine.unsafeArgv[$0].map { RawPath.string($0) } }
            arguments = try ArgumentCheck.prepare(raw)
        } catch {
            usageFailure(error.message, command: error.command)
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UsageError {
            usageFailure(error.description, command: type(of: command))
        } catch let error as ValidationError {
            usageFailure(error.message, command: type(of: command))
        } catch {
            exit(withError: error)
        }
    }

    /// Prints `message` and the usage of `command` on stderr, then exits 64.
    static func usageFailure(_ message: String, command: any ParsableCommand.Type) -> Never {
        let path = ArgumentCheck.commandPath(command)
        var text = "Error: \(message)\n"
        text += "Usage: \(usageString(for: command))\n"
        text += "  See '\(path) --help' for more information.\n"
        CLI.write(text, to: STDERR_FILENO)
        Foundation.exit(64)
    }
}
