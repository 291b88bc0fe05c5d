import Foundation
import MediaProbe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the file an option names (`--prompt-file`, `--json-schema`, `--policy`): a regular file,
/// a FIFO, process substitution (`<(…)`), `/dev/stdin`, or `-` for standard input.
///
/// Foundation's `Data(contentsOf:)` stats the file and refuses a FIFO ("You don't have
/// permission"); here the descriptor is simply read to its end with `read(2)`, up to ``limit``.
/// Failures are ``UsageError``s that name the option and say what is wrong in plain words.
enum InputFile {
    /// The most an option's file may hold: these are prompts, schemas and policies, not videos.
    static let limit = 16 << 20

    /// Whether `path` means standard input.
    static func isStandardInput(_ path: String) -> Bool {
        path == "-" || path == "/dev/stdin" || path == "/dev/fd/0" || path == "/proc/self/fd/0"
    }

    /// Refuses a command in which two options both read standard input: the second would read nothing.
    static func checkOneStandardInput(_ options: [(option: String, path: String?)]) throws {
        let readers = options.filter { $0.path.map(isStandardInput) ?? false }.map(\.option)
        if readers.count > 1 {
            throw UsageError("Only one option can read standard input; \(readers.joined(separator: " and ")) both name it.")
        }
    }

    /// The bytes of the file `path` names, for `option` (`--json-schema`), described as `what`
    /// ("the JSON schema file") in errors.
    static func contents(of path: String, option: String, what: String) throws -> Data {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw UsageError("Cannot read \(what) \(path) (\(option)): \(reason(errno)).") }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        if RawPath.isDirectory(descriptor: fd) {
            throw UsageError("Cannot read \(what) \(path) (\(option)): it is a directory.")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw UsageError("Cannot read \(what) \(path) (\(option)): \(reason(errno)).")
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[..<count])
            if data.count > limit {
                throw UsageError("\(what.prefix(1).uppercased() + what.dropFirst()) \(path) (\(option)) is larger than \(limit >> 20) MiB.")
            }
        }
        return data
    }

    /// `strerror` in lower case, without a trailing full stop: "no such file or directory".
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
