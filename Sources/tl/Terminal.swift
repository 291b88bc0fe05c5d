import Foundation

/// Where output goes, and whether it may be coloured.
enum Terminal {
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    /// Colours only on a terminal, and never when `NO_COLOR` is set or `TERM=dumb`.
    static var colorsAllowed: Bool {
        let env = ProcessInfo.processInfo.environment
        return stdoutIsTTY && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
    }

    static func cores() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Serialises writes to stdout/stderr so concurrent reports never interleave mid-line.
actor OutputSink {
    func out(_ text: String) { write(text, to: FileHandle.standardOutput) }
    func err(_ text: String) { write(text, to: FileHandle.standardError) }

    private func write(_ text: String, to handle: FileHandle) {
        handle.write(Data(text.utf8))
    }
}

/// ANSI styling that becomes a no-op when colours are off.
struct Style {
    var enabled: Bool
    func red(_ s: String) -> String { wrap(s, "31") }
    func green(_ s: String) -> String { wrap(s, "32") }
    func yellow(_ s: String) -> String { wrap(s, "33") }
    func dim(_ s: String) -> String { wrap(s, "2") }
    func bold(_ s: String) -> String { wrap(s, "1") }
    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}
