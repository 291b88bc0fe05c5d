import ArgumentParser
import Foundation
import MediaProbe
import Preflight

/// What `tl` checks in its arguments before ArgumentParser sees them.
///
/// ArgumentParser reads `-dash.mov` as the cluster `-d -a -s -h …` (and shows the help, exit 0)
/// and drops unknown short options, so a file whose name starts with `-` would pass silently.
/// Here every word that starts with a single `-` must be a cluster of the short options `tl` has;
/// anything else is a usage error that says to put `--` before such paths. A bare `tl`, or a
/// command group without its subcommand, is a usage error too, and a mistyped subcommand gets
/// the closest real one.
enum ArgumentCheck {
    /// Every short option of `tl`: `-h` help, `-j` jobs, `-r` recursive, `-f` format, `-o` output,
    /// `-q` quiet, `-v` verbose.
    static let shortOptions: Set<Character> = ["h", "j", "r", "f", "o", "q", "v"]

    /// A usage error found before parsing, with the command whose usage to print.
    struct Failure: Error {
        var message: String
        var command: any ParsableCommand.Type
    }

    /// The arguments to parse: a bare `--decode` given its mode (``DecodeArgument``).
    static func prepare(_ arguments: [String]) throws(Failure) -> [String] {
        // `tl help tasks list` is ArgumentParser's own help command: let it through.
        if arguments.first == "help" {
            return arguments
        }
        let (command, rest) = resolve(arguments)
        if rest.isEmpty, arguments.isEmpty || !command.configuration.subcommands.isEmpty {
            let names = command.configuration.subcommands.map { $0._commandName }.joined(separator: ", ")
            throw Failure(message: "Give a subcommand: \(names).", command: command)
        }
        let name = commandPath(command)
        if let word = rest.first, !word.hasPrefix("-"), !command.configuration.subcommands.isEmpty {
            let names = command.configuration.subcommands.map { $0._commandName }
            let hint = word == "help" ? " For help, run '\(name) --help' or 'tl help \(name.dropFirst(3))'."
                : Spelling.closest(word, among: names).map { " Did you mean '\($0)'?" } ?? ""
            throw Failure(message: "'\(word)' is not a subcommand of '\(name)'.\(hint)", command: command)
        }
        var previous: String?
        for word in rest {
            if word == "--" { break }
            defer { previous = word }
            guard word.hasPrefix("-"), !word.hasPrefix("--"), word.count > 1 else { continue }
            if word.dropFirst().allSatisfy(shortOptions.contains) { continue }
            var hints = ["if it is a file, put -- before it: \(name) -- \(word)"]
            if let previous, previous.hasPrefix("--"), !previous.contains("=") {
                hints.append("if it is the value of \(previous), write \(previous)=\(word)")
            }
            throw Failure(message: "Unknown option '\(word)' (\(hints.joined(separator: "; ")))", command: command)
        }
        return DecodeArgument.normalize(arguments)
    }

    /// The deepest command the leading words name, and the words after them.
    static func resolve(_ arguments: [String]) -> (any ParsableCommand.Type, ArraySlice<String>) {
        var command: any ParsableCommand.Type = TL.self
        var rest = arguments[...]
        while let word = rest.first,
              let sub = command.configuration.subcommands.first(where: { $0._commandName == word }) {
            command = sub
            rest = rest.dropFirst()
        }
        return (command, rest)
    }

    /// `tl tasks list` for ``TasksCommand/List``.
    static func commandPath(_ command: any ParsableCommand.Type) -> String {
        func path(from node: any ParsableCommand.Type, _ prefix: [String]) -> [String]? {
            let here = prefix + [node._commandName]
            if node == command { return here }
            for sub in node.configuration.subcommands {
                if let found = path(from: sub, here) { return found }
            }
            return nil
        }
        return (path(from: TL.self, []) ?? [command._commandName]).joined(separator: " ")
    }
}

/// `--decode` alone means `--decode full`: ArgumentParser has no option with an optional value,
/// so a bare `--decode` is rewritten before parsing. It is bare when nothing follows, an option
/// follows, or a path follows (an existing file, or a word with a `/` or `.`); any other word
/// is left to be parsed as the mode, so that `--decode keyframe` is a usage error naming the
/// valid modes rather than a check of a file called `keyframe`. Arguments after `--` are paths.
enum DecodeArgument {
    static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count + 1)
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" {
                result.append(contentsOf: arguments[index...])
                break
            }
            result.append(argument)
            let next = arguments.index(after: index)
            if argument == "--decode", next == arguments.endIndex || isPathOrOption(arguments[next]) {
                result.append(DecodeMode.full.rawValue)
            }
            index = next
        }
        return result
    }

    private static func isPathOrOption(_ word: String) -> Bool {
        guard DecodeMode(rawValue: word) == nil else { return false }
        return word.hasPrefix("-") || word.contains("/") || word.contains(".") || FileManager.default.fileExists(atPath: word)
    }
}

/// A usage error found while a command runs (a bad policy file, an unreadable schema): printed
/// with that command's own usage, exit 64.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
