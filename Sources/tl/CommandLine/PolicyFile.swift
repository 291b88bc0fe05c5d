import Foundation
import Preflight

/// `--policy FILE`: read with ``InputFile`` (so `-`, FIFOs and `<(…)` work), decoded strictly by
/// ``Policy/decode(fileJSON:)``; every failure is a ``UsageError`` naming the file.
enum PolicyFile {
    static func load(_ path: String) throws -> Policy {
        let data = try InputFile.contents(of: path, option: "--policy", what: "the policy file")
        do {
            return try Policy.decode(fileJSON: data)
        } catch {
            throw UsageError("The policy file \(path == "-" ? "on standard input" : path) is not valid: \(error.description).")
        }
    }
}
