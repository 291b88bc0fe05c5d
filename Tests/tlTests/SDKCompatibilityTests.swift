import Foundation
import Testing

/// The platform's own Python SDK (twelvelabs 1.3.6, installed by `scripts/sdk-env.sh`, which
/// `make test` runs) against `tl sandbox`: a multipart `upload_file`, chunk status a page at a time,
/// a task created and followed, a list, a batch created, followed, read and deleted, and both error shapes. Run by `scripts/sdk_against_sandbox.py`.
@Suite(.timeLimit(.minutes(2))) struct SDKCompatibilityTests {
    static var python: URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return URL(fileURLWithPath: cache + "/videopreflight/sdk-venv/bin/python")
    }

    /// Runs the driver against `sandbox`; returns its exit status and its one JSON object.
    static func drive(_ sandbox: SandboxProcess) async throws -> (Int32, [String: Any]) {
        let python = Self.python
        try #require(FileManager.default.isExecutableFile(atPath: python.path),
                     "the official SDK's venv is missing at \(python.path): run scripts/sdk-env.sh (make test does)")
        var environment = sandbox.environment
        environment["PATH"] = "/usr/bin:/bin"
        environment["HOME"] = NSHomeDirectory()
        let (status, out) = try await Subprocess.run(python.path, [
            TLProcess.packageRoot.appendingPathComponent("scripts/sdk_against_sandbox.py").path,
            TLProcess.packageRoot.appendingPathComponent("TestMedia/ok_640x360_5s.mp4").path,
        ], environment: environment)
        let data = Data(out.utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
        return (status, object)
    }

    @Test func theOfficialSDKWorksAgainstTheSandbox() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--chunk-size", "20000", "--asset-processing", "0.05", "--processing", "0.1"])
        let (status, seen) = try await Self.drive(sandbox)
        await sandbox.stop()
        #expect(status == 0, "\(seen)")
        #expect(seen["asset_status"] as? String == "ready", "upload_file PUTs chunks without upload_headers: \(seen)")
        let chunks = try #require(seen["uploaded_chunks"] as? [[String: Any]], "\(seen)")
        #expect(chunks.map { $0["index"] as? Int } == [1, 2], "the SDK reads the published ChunkInfo shape, a page at a time")
        #expect(chunks.allSatisfy { $0["status"] as? String == "completed" && $0["has_uploaded_at"] as? Bool == true })
        #expect(seen["task_status"] as? String == "ready")
        #expect((seen["task_result"] as? String)?.contains("What is shown?") == true)
        #expect(seen["listed_total"] as? Int == 1)
        #expect(seen["batch_items"] as? [String] == ["item-0", "item-1", "item-2"], "\(seen)")
        #expect(seen["batch_status"] as? String == "completed" && seen["batch_ready_items"] as? Int == 3)
        let results = try #require(seen["batch_results"] as? [[String: Any]], "\(seen)")
        #expect(results.map { $0["custom_id"] as? String } == ["item-0", "item-1", "item-2"])
        #expect(results.allSatisfy { $0["status"] as? String == "ready" && $0["has_data"] as? Bool == true })
        #expect(seen["batches_listed"] as? [Bool] == [true])
        let taskError = try #require(seen["task_error"] as? [String: Any])
        #expect(taskError["status"] as? Int == 404)
        #expect(((taskError["body"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String == "resource_not_exist")
        let assetError = try #require(seen["asset_error"] as? [String: Any])
        #expect((assetError["body"] as? [String: Any])?["code"] as? String == "resource_not_exist")
    }

    /// The old behaviour, kept as an option for testing clients: the SDK's upload is refused.
    @Test func strictUploadHeadersRefuseTheSDKsChunks() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--chunk-size", "20000", "--strict-upload-headers"])
        let (status, seen) = try await Self.drive(sandbox)
        await sandbox.stop()
        #expect(status == 1)
        #expect((seen["failed_step"] as? String)?.hasPrefix("multipart upload_file") == true, "\(seen)")
    }
}
