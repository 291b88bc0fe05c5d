import Foundation

/// What one run of the built `tl` binary produced.
struct TLResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

enum TLProcessError: Error, CustomStringConvertible {
    case binaryNotFound(searched: [String])

    var description: String {
        switch self {
        case .binaryNotFound(let searched):
            "the built tl binary was not found; looked in: \(searched.joined(separator: ", "))"
        }
    }
}

/// Runs the `tl` binary that `swift build` placed beside the test bundle, as a user would.
enum TLProcess {
    /// The built binary: `TL_BINARY` when set, else the first `tl` found walking up from the test executable.
    static func binary() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["TL_BINARY"] {
            return URL(fileURLWithPath: explicit)
        }
        var searched: [String] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("tl")
            searched.append(candidate.path)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue {
                return candidate
            }
            dir.deleteLastPathComponent()
        }
        throw TLProcessError.binaryNotFound(searched: searched)
    }

    /// The package root (holds `TestMedia/`), found from this source file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `tl` with `arguments`, an environment (merged over a minimal one) and optional stdin bytes.
    /// Stdout and stderr are drained concurrently so a large output cannot deadlock the child.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        currentDirectory: URL? = nil,
        stdin: Data? = nil,
        standardOutput: FileHandle? = nil
    ) async throws -> TLResult {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8"]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = standardOutput ?? outPipe
        process.standardError = errPipe
        process.standardInput = inPipe

        try process.run()
        if standardOutput != nil { try? outPipe.fileHandleForWriting.close() }
        if let stdin { inPipe.fileHandleForWriting.write(stdin) }
        try? inPipe.fileHandleForWriting.close()
        // Drain both pipes on their own threads while the child runs, then wait for its exit.
        async let out = drain(outPipe.fileHandleForReading)
        async let err = drain(errPipe.fileHandleForReading)
        let (stdout, stderr) = await (out, err)
        process.waitUntilExit()
        let status = process.terminationStatus
        return TLResult(status: status, stdout: stdout, stderr: stderr)
    }
}

private func drain(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}
