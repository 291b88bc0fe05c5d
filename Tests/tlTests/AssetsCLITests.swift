import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `tl assets` and the multipart paths of `tl submit`, run as users run them against a `tl sandbox` child,
/// with the sandbox's `/_sandbox/stats` counters as the witness of what was sent.
@Suite(.timeLimit(.minutes(2))) struct AssetsCLITests {
    static let ok = TLProcess.packageRoot.appendingPathComponent("TestMedia/ok_640x360_5s.mp4").path

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    static func stats(_ sandbox: SandboxProcess) async throws -> [String: Any] {
        let origin = sandbox.baseURL.replacingOccurrences(of: "/v1.3", with: "")
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: URL(string: origin + "/_sandbox/stats")!) { data, _, error in
                if let error { return continuation.resume(throwing: error) }
                continuation.resume(returning: data ?? Data())
            }.resume()
        }
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func chunkPuts(_ stats: [String: Any], upload: String) -> [Int: [String: Int]] {
        let uploads = stats["uploads"] as? [String: Any]
        let chunks = (uploads?[upload] as? [String: Any])?["chunk_puts"] as? [String: [String: Int]] ?? [:]
        return Dictionary(uniqueKeysWithValues: chunks.map { (Int($0.key) ?? 0, $0.value) })
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-assets-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The one state file in `directory`, decoded, once it lists at least `chunks` finished chunks.
    static func stateFile(in directory: URL) -> [String: Any]? {
        guard let name = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.first(where: { $0.hasSuffix(".json") && !$0.hasPrefix(".") }),
              let data = try? Data(contentsOf: directory.appendingPathComponent(name))
        else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func finished(_ state: [String: Any]) -> Set<Int> {
        Set((state["finished_chunks"] as? [[String: Any]] ?? []).compactMap { $0["chunk_index"] as? Int })
    }

    /// An upload killed with SIGKILL midway resumes from its state file: chunks the state lists are not sent
    /// again (one PUT each on the sandbox), the rest are, and the state file is removed at the end.
    @Test func aKilledUploadResumesAndSendsOnlyTheMissingChunks() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--chunk-size", "4096", "--chunk-delay", "0.4", "--asset-processing", "0.05"])
        defer { Task { await sandbox.stop() } }
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let states = cache.appendingPathComponent("videopreflight/uploads")
        var environment = sandbox.environment
        environment["XDG_CACHE_HOME"] = cache.path
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"

        let child = Process()
        child.executableURL = try TLProcess.binary()
        child.arguments = ["assets", "upload", Self.ok, "--method", "multipart", "--parallel", "1", "--format", "json"]
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        child.terminationHandler = { exited.continuation.yield($0.terminationStatus); exited.continuation.finish() }
        try child.run()
        // Wait (bounded only to stop a hang) until the state lists three chunks, then kill without warning.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, child.isRunning, Self.finished(Self.stateFile(in: states) ?? [:]).count < 3 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(child.isRunning, "the upload finished before it could be killed")
        kill(child.processIdentifier, SIGKILL)
        for await _ in exited.stream {}
        let saved = try #require(Self.stateFile(in: states), "no state file after the kill")
        let done = Self.finished(saved)
        let uploadID = try #require(saved["upload_id"] as? String)
        let total = try #require(saved["total_chunks"] as? Int)
        #expect(total == 13 && done.count >= 3 && done.count < total)

        let resumed = try await TLProcess.run(
            ["assets", "upload", Self.ok, "--method", "multipart", "--format", "json"], environment: environment)
        #expect(resumed.status == 0, "\(resumed.err)")
        let object = try Self.json(resumed.out)
        let multipart = try #require(object["multipart"] as? [String: Any])
        #expect(multipart["upload_id"] as? String == uploadID)
        #expect(multipart["resumed"] as? Bool == true)
        #expect(multipart["chunks_resumed"] as? Int == done.count)
        #expect(Set(multipart["chunks_sent"] as? [Int] ?? []).isDisjoint(with: done))
        // Only the missing chunks' bytes were sent (chunks finish in order with --parallel 1, so the short last
        // chunk is among them), and the transfer was timed.
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: Self.ok)[.size] as? Int)
        let chunkSize = try #require(saved["chunk_size"] as? Int)
        #expect(multipart["bytes_sent"] as? Int == fileSize - done.count * chunkSize)
        #expect((multipart["transfer_seconds"] as? Double ?? 0) > 0)
        #expect((object["asset"] as? [String: Any])?["status"] as? String == "ready")

        let stats = try await Self.stats(sandbox)
        let puts = Self.chunkPuts(stats, upload: uploadID)
        for index in done { #expect(puts[index]?["received"] == 1, "chunk \(index) was in the state file but was sent again") }
        for index in 1...total { #expect((puts[index]?["stored"] ?? 0) >= 1, "chunk \(index) never stored") }
        #expect(stats["storage_requests_with_api_key"] as? Int == 0)
        #expect(stats["upload_ids"] as? [String] == [uploadID])
        #expect(Self.stateFile(in: states) == nil, "the finished upload's state file was not removed")
    }

    @Test func directUploadThenGet() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--asset-processing", "0.05"])
        defer { Task { await sandbox.stop() } }
        let uploaded = try await TLProcess.run(["assets", "upload", Self.ok, "--format", "json"], environment: sandbox.environment)
        #expect(uploaded.status == 0, "\(uploaded.err)")
        let object = try Self.json(uploaded.out)
        #expect(object["method"] as? String == "direct")
        let id = try #require((object["asset"] as? [String: Any])?["_id"] as? String)
        let got = try await TLProcess.run(["assets", "get", id], environment: sandbox.environment)
        #expect(got.status == 0)
        #expect(got.out.contains("asset id:   \(id)") && got.out.contains("status:     ready"))
        let missing = try await TLProcess.run(["assets", "get", "nope"], environment: sandbox.environment)
        #expect(missing.status == 1)
        #expect(missing.err.contains("not_found"))
        let empty = try await TLProcess.run(["assets", "upload", "/nonexistent/clip.mp4"], environment: sandbox.environment)
        #expect(empty.status == 1)
        #expect((try await Self.stats(sandbox))["assets"] as? Int == 1)
    }

    @Test func submitMultipartAndWaitAgainstTheSandbox() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--chunk-size", "8192", "--asset-processing", "0.05", "--processing", "0.05"])
        defer { Task { await sandbox.stop() } }
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        var environment = sandbox.environment
        environment["XDG_CACHE_HOME"] = cache.path
        let result = try await TLProcess.run(
            ["submit", Self.ok, "--prompt", "Describe.", "--source", "multipart", "--wait", "--poll-interval", "0.05", "--format", "json"],
            environment: environment)
        #expect(result.status == 0, "\(result.err)")
        let object = try Self.json(result.out)
        #expect((object["source"] as? [String: Any])?["kind"] as? String == "multipart")
        #expect((object["multipart"] as? [String: Any])?["total_chunks"] as? Int == 7)
        #expect(((object["tasks"] as? [[String: Any]])?.first)?["outcome"] as? String == "ready")
        let stats = try await Self.stats(sandbox)
        #expect(stats["storage_requests"] as? Int == 7)
        #expect(stats["storage_requests_with_api_key"] as? Int == 0)
    }

    @Test func dryRunSendsNothing() async throws {
        let sandbox = try await SandboxProcess()
        defer { Task { await sandbox.stop() } }
        for source in ["auto", "direct", "multipart"] {
            let result = try await TLProcess.run(
                ["submit", Self.ok, "--prompt", "x", "--source", source, "--dry-run", "--format", "json"], environment: sandbox.environment)
            #expect(result.status == 0, "\(result.err)")
        }
        let stats = try await Self.stats(sandbox)
        #expect(stats["assets"] as? Int == 0 && stats["storage_requests"] as? Int == 0 && stats["presigned_url_requests"] as? Int == 0)
        let listed = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: sandbox.environment)
        #expect(((try Self.json(listed.out)["data"] as? [Any]) ?? [1]).isEmpty)
    }
}

/// `tl assets list|delete` and `tl uploads list --remote` against a sandbox child, and output to a
/// reader that went away.
@Suite(.timeLimit(.minutes(2))) struct AssetListingCLITests {
    @Test func listFilterDeleteAndTheServersIncompleteUploads() async throws {
        // Chunks held 2 s each: the interrupted submit below is still uploading when its SIGINT comes, however
        // loaded the machine is.
        let sandbox = try await SandboxProcess(arguments: ["--asset-processing", "0.05", "--processing", "60", "--chunk-size", "20000",
                                                           "--chunk-delay", "2"])
        let cache = try AssetsCLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        var environment = sandbox.environment
        environment["XDG_CACHE_HOME"] = cache.path
        var ids: [String] = []
        for name in ["ok.mov", "ok_640x360_5s.mp4"] {
            let uploaded = try await TLProcess.run(["assets", "upload", TLProcess.packageRoot.appendingPathComponent("TestMedia/" + name).path, "-f", "json"],
                                                   environment: environment)
            #expect(uploaded.status == 0, "\(uploaded.err)")
            ids.append(try #require((try AssetsCLITests.json(uploaded.out)["asset"] as? [String: Any])?["_id"] as? String))
        }
        let listed = try await TLProcess.run(["assets", "list", "-f", "json"], environment: environment)
        let page = try AssetsCLITests.json(listed.out)
        #expect((page["data"] as? [[String: Any]])?.compactMap { $0["_id"] as? String } == ids.reversed(), "newest first")
        #expect((page["page_info"] as? [String: Int])?["total_results"] == 2)
        let byName = try await TLProcess.run(["assets", "list", "--filename", "ok.mov", "-f", "json"], environment: environment)
        #expect((try AssetsCLITests.json(byName.out)["data"] as? [[String: Any]])?.compactMap { $0["_id"] as? String } == [ids[0]])
        let byID = try await TLProcess.run(["assets", "list", "--asset-id", ids[1], "-f", "json"], environment: environment)
        #expect((try AssetsCLITests.json(byID.out)["data"] as? [[String: Any]])?.compactMap { $0["_id"] as? String } == [ids[1]])
        let all = try await TLProcess.run(["assets", "list", "--all", "--page-limit", "1"], environment: environment)
        #expect(all.status == 0 && all.out.hasSuffix("2 assets\n"), "\(all.out)")

        // An asset a running task uses is kept unless --force; an unknown one fails alone.
        let task = try await TLProcess.run(["submit", "--asset-id", ids[1], "--prompt", "x"], environment: environment)
        #expect(task.status == 0, "\(task.err)")
        let refused = try await TLProcess.run(["assets", "delete", ids[1], "nope"], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.err.contains("HTTP 409") && refused.err.contains("error: nope: delete_asset failed: not_found"), "\(refused.err)")
        let forced = try await TLProcess.run(["assets", "delete", ids[1], ids[0], "--force", "-f", "json"], environment: environment)
        #expect(forced.status == 0, "\(forced.err)")
        #expect((try AssetsCLITests.json(forced.out)["results"] as? [[String: Any]])?.compactMap { $0["asset_id"] as? String } == [ids[1], ids[0]])
        let empty = try await TLProcess.run(["assets", "list"], environment: environment)
        #expect(empty.out == "page 1 of 1, 0 assets\n", "\(empty.out)")

        // The server's view of incomplete uploads, from any machine.
        let none = try await TLProcess.run(["uploads", "list", "--remote"], environment: environment)
        #expect(none.out == "no incomplete uploads on the server\n", "\(none.out)")
        let interrupted = try LiveProcess(["submit", TLProcess.packageRoot.appendingPathComponent("TestMedia/ok_640x360_5s.mp4").path,
                                           "--prompt", "x", "--source", "multipart", "--parallel", "1"], environment: environment)
        #expect(await interrupted.waitFor("asset:  "))
        interrupted.signal(SIGINT)
        #expect(await interrupted.finish() == 130)
        let remote = try await TLProcess.run(["uploads", "list", "--remote", "-f", "json"], environment: environment)
        let sessions = try #require(try AssetsCLITests.json(remote.out)["data"] as? [[String: Any]], "\(remote.out)")
        #expect(sessions.count == 1)
        #expect(sessions.first?["status"] as? String == "active" && sessions.first?["total_chunks"] as? Int == 3)
        await sandbox.stop()
    }

    /// `tl … | head -1`: a reader that goes away ends tl quietly (141, as SIGPIPE would), never a trap.
    @Test func aClosedPipeEndsTheCommandQuietly() async throws {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let result = try await TLProcess.run(["preflight", "-f", "text", TLProcess.packageRoot.appendingPathComponent("TestMedia").path],
                                             standardOutput: pipe.fileHandleForWriting)
        #expect(result.status == 141 || result.status == SIGPIPE, "\(result.status)")
        #expect(!result.err.contains("Fatal error") && !result.err.contains("crashed"), "\(result.err)")
        // A command that prints lines (Foundation's FileHandle.write trapped here).
        let lines = Pipe()
        try lines.fileHandleForReading.close()
        let cache = try AssetsCLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let listed = try await TLProcess.run(["uploads", "list"], environment: ["XDG_CACHE_HOME": cache.path], standardOutput: lines.fileHandleForWriting)
        #expect(listed.status == 141 || listed.status == SIGPIPE, "\(listed.status): \(listed.err)")
        #expect(!listed.err.contains("Fatal error"), "\(listed.err)")
    }
}
