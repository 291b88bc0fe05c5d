import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `tl sandbox` child process, started for one test and stopped with SIGTERM afterwards.
final class SandboxProcess: @unchecked Sendable {
    let process = Process()
    /// The base URL the sandbox printed on its first line.
    private(set) var baseURL = ""
    /// Further stdout lines read at start (the generated key line, when there is one).
    private(set) var secondLine: String?
    let apiKey: String?

    /// Starts `tl sandbox --port 0 --quiet` with `arguments`, and waits for its first stdout line.
    init(arguments: [String] = [], apiKey: String? = "cli-test-key", expectSecondLine: Bool = false) async throws {
        self.apiKey = apiKey
        process.executableURL = try TLProcess.binary()
        process.arguments = ["sandbox", "--port", "0", "--quiet"] + (apiKey.map { ["--api-key", $0] } ?? []) + arguments
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = out.fileHandleForReading
        let lines = await withCheckedContinuation { (continuation: CheckedContinuation<[String], Never>) in
            Thread.detachNewThread {
                var buffer = Data()
                let wanted = expectSecondLine ? 2 : 1
                while buffer.filter({ $0 == 10 }).count < wanted {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                }
                continuation.resume(returning: String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init))
                // Keep draining so the child never blocks on a full pipe.
                while !reader.availableData.isEmpty {}
            }
        }
        baseURL = lines.first ?? ""
        secondLine = lines.count > 1 ? lines[1] : nil
    }

    /// Stops the sandbox (SIGTERM → graceful shutdown) and returns its exit status.
    @discardableResult
    func stop() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            if process.isRunning { process.terminate() } else {
                process.terminationHandler = nil
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    /// The environment a `tl tasks` run needs to reach this sandbox.
    var environment: [String: String] {
        var environment = ["TWELVELABS_BASE_URL": baseURL]
        if let apiKey { environment["TWELVE_LABS_API_KEY"] = apiKey }
        return environment
    }

    /// Creates a task directly over HTTP (there is no `tl` create command on this branch) and returns its id.
    func createTask(prompt: String, customID: String? = nil,
                    video: [String: Any] = ["type": "url", "url": "https://cdn.example.com/a.mp4"]) async throws -> String {
        var request = URLRequest(url: URL(string: baseURL + "/analyze/tasks")!)
        request.httpMethod = "POST"
        request.setValue(apiKey, forHTTPHeaderField: "x-api-key")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        var body: [String: Any] = ["video": video, "prompt": prompt]
        if let customID { body["custom_id"] = customID }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { return continuation.resume(throwing: error) }
                guard (response as? HTTPURLResponse)?.statusCode == 202, let data else {
                    return continuation.resume(throwing: URLError(.badServerResponse))
                }
                continuation.resume(returning: data)
            }.resume()
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let id = object?["task_id"] as? String else { throw URLError(.cannotParseResponse) }
        return id
    }
}
