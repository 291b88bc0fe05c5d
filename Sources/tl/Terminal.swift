import Foundation

/// Where output goes, and whether it may be coloured.
enum Terminal {
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    static func cores() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Serialises writes to stdout (or the `--output` file) so concurrent reports never interleave
/// mid-line. A failed write (a full disk, a closed pipe) is an error the command turns into exit status 2.
actor OutputSink {
    /// `nil`: standard output, written with ``CLI/write(_:to:)`` (a closed pipe ends the process quietly).
    private let handle: FileHandle?
    private let name: String

    /// A sink writing to standard output.
    init() {
        handle = nil
        name = "standard output"
    }

    /// A sink writing to `path`, created (private to the user) or truncated.
    init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ToolFailure(description: "cannot write \(path): \(InputFile.reason(errno))") }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        name = path
    }

    func out(_ text: String) throws {
        guard !text.isEmpty else { return }
        guard let handle else { return CLI.write(text, to: STDOUT_FILENO) }
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw ToolFailure(description: "cannot write to \(name): \(error.localizedDescription)")
        }
    }
}

/// A failure of the tool itself (not of a checked file): exit status 2.
struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// ANSI styling that becomes a no-op when colours are off.
struct Style {
    var enabled: Bool
    func red(_ s: String) -> String { wrap(s, "31") }
    func green(_ s: String) -> String { wrap(s, "32") }
    func yellow(_ s: String) -> String { wrap(s, "33") }
    func bold(_ s: String) -> String { wrap(s, "1") }
    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}
