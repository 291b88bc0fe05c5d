import AnalyzeAPI
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Output helpers shared by the commands: stdout/stderr lines, JSON, TTY progress, tables.
enum CLI {
    /// Writes `text` (plus a newline) to stdout.
    static func out(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// Writes `text` (plus a newline) to stderr.
    static func err(_ text: String) {
        write(text + "\n", to: STDERR_FILENO)
    }

    /// Writes all of `text` with `write(2)`. Foundation's `FileHandle.write(_:)` traps when the
    /// reader has gone (`tl … | head -1`); here a closed pipe ends the process quietly with 141, as
    /// the default action of SIGPIPE would, and any other failure on stdout is exit 2.
    static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBufferPointer { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if wrote >= 0 {
                done += wrote
                continue
            }
            if errno == EINTR { continue }
            if errno == EPIPE { _exit(141) }
            if descriptor == STDOUT_FILENO {
                err("error: cannot write to standard output: \(String(cString: strerror(errno)))")
                _exit(2)
            }
            return
        }
    }

    /// Prints an error on stderr, and in JSON mode also a JSON error object on stdout.
    static func printError(_ message: String, code: String, format: OutputFormat, error: APIError?) {
        err("error: \(message)")
        guard format.isJSON else { return }
        var object: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let error {
            if let status = error.status { object["status"] = .integer(status) }
            if let platformCode = error.platformCode { object["platform_code"] = .string(platformCode) }
            if let requestID = error.requestID { object["request_id"] = .string(requestID) }
            object["operation"] = .string(error.operation.rawValue)
        }
        printJSON(JSONValue.object(["error": .object(object)]), format: format)
    }

    /// Prints `value` as JSON: pretty-printed, or for `jsonl` compact on one line.
    static func printJSON(_ value: some Encodable, format: OutputFormat = .json) {
        if format == .jsonl {
            guard let data = try? WireCoding.encoder().encode(value) else { return }
            out(String(decoding: data, as: UTF8.self))
            return
        }
        guard let text = prettyJSON(value) else { return }
        out(text)
    }

    /// Prints `items` as JSON: `{key: [...]}` for `json`, one item per line for `jsonl`.
    static func printJSONList(_ items: [JSONValue], key: String, format: OutputFormat) {
        if format == .jsonl {
            for item in items { printJSON(item, format: .jsonl) }
        } else {
            printJSON(JSONValue.object([key: .array(items)]))
        }
    }

    /// `value` in the wire format, pretty-printed and tidied; `nil` when it cannot be encoded.
    static func prettyJSON(_ value: some Encodable) -> String? {
        let encoder = WireCoding.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return (try? encoder.encode(value)).map { tidyJSON(String(decoding: $0, as: UTF8.self)) }
    }

    /// Foundation's pretty printer writes an empty array as `[`, a blank line, `]` (and an empty
    /// object alike). JSON strings cannot hold a raw newline, so collapsing that pattern never
    /// touches a value.
    static func tidyJSON(_ json: String) -> String {
        json.replacing(/\[\n\s*\n\s*\]/, with: "[]").replacing(/\{\n\s*\n\s*\}/, with: "{}")
    }

    /// Rewrites the current stderr line (on a terminal, unless `--quiet` or `--no-progress`).
    static func progress(_ text: String) {
        guard Console.showsProgress else { return }
        write("\r\u{1B}[K\(text)", to: STDERR_FILENO)
    }

    static func endProgress() {
        guard Console.showsProgress else { return }
        write("\r\u{1B}[K", to: STDERR_FILENO)
    }

    static func date(_ date: Date?) -> String {
        date.map { RFC3339.string(from: $0) } ?? "-"
    }

    /// A left-aligned text table.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
