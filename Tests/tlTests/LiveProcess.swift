import Foundation
import NIOConcurrencyHelpers

/// A `tl` child whose output is read while it runs, so a test can act on a line (send a signal,
/// stop the server) and then collect how the child ended.
final class LiveProcess: Sendable {
    private let process: Process
    private let output = NIOLockedValueBox((out: Data(), err: Data()))

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = try TLProcess.binary()
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8"]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        self.process = process
        try process.run()
        for (pipe, isOut) in [(out, true), (err, false)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    self.output.withLockedValue { if isOut { $0.out.append(chunk) } else { $0.err.append(chunk) } }
                }
            }
        }
    }

    var out: String { output.withLockedValue { String(decoding: $0.out, as: UTF8.self) } }
    var err: String { output.withLockedValue { String(decoding: $0.err, as: UTF8.self) } }

    /// Waits until stdout (or stderr) contains `text`; false if the child ended or `timeout` passed first.
    func waitFor(_ text: String, onStderr: Bool = false, timeout: Duration = .seconds(30)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if (onStderr ? err : out).contains(text) { return true }
            if !process.isRunning { return (onStderr ? err : out).contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The child's process id.
    var pid: Int32 { process.processIdentifier }

    /// Whether the child is still running.
    var isRunning: Bool { process.isRunning }

    /// Waits for the child to end (at most `timeout`) and returns its exit status; a child that
    /// is still running is killed and reported as -1.
    func finish(timeout: Duration = .seconds(30)) async -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning, clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.terminate()
            return -1
        }
        // Let the reader threads take the last bytes.
        try? await Task.sleep(for: .milliseconds(50))
        return process.terminationStatus
    }
}

/// Runs any program to its end without blocking a cooperative thread (its output is read on a thread
/// of its own, its exit awaited with sleeps): a test that blocked the pool for seconds would starve
/// the other tests' servers on a 2-core machine.
enum Subprocess {
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, out: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = out.fileHandleForReading
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            Thread.detachNewThread { continuation.resume(returning: reader.readDataToEndOfFile()) }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
