import Foundation
import Testing

/// `tl batches` against a `tl sandbox` child, and the new request options of `tl submit` and
/// `tl preflight --clip` over real media.
@Suite(.timeLimit(.minutes(2))) struct BatchesCLITests {
    static let ok = TLProcess.packageRoot.appendingPathComponent("TestMedia/ok_640x360_5s.mp4").path
    static let offset = TLProcess.packageRoot.appendingPathComponent("TestMedia/start_offset.mp4").path

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try json(String($0)) }
    }

    /// Uploads the test video `count` times; the asset ids.
    static func assets(_ count: Int, _ sandbox: SandboxProcess) async throws -> [String] {
        var ids: [String] = []
        for _ in 0..<count {
            let uploaded = try await TLProcess.run(["assets", "upload", ok, "-f", "json"], environment: sandbox.environment)
            #expect(uploaded.status == 0, "\(uploaded.err)")
            ids.append(try #require((try json(uploaded.out)["asset"] as? [String: Any])?["_id"] as? String))
        }
        return ids
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-batches-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func createWaitResultsListGetAndDelete() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--asset-processing", "0.05", "--queued", "0.02", "--pending", "0.02", "--processing", "0.1"])
        defer { Task { await sandbox.stop() } }
        let ids = try await Self.assets(3, sandbox)
        let created = try await TLProcess.run(
            ["batches", "create", "--asset-id", ids[0], "--asset-id", ids[1], "--asset-id", ids[2], "--prompt", "Summarise.", "-f", "json"],
            environment: sandbox.environment)
        #expect(created.status == 0, "\(created.err)")
        let batch = try Self.json(created.out)
        let id = try #require(batch["batch_id"] as? String)
        #expect((batch["items"] as? [Any])?.count == 3 && batch["status"] as? String == "pending")
        #expect(created.err.contains("follow with: tl batches wait \(id)"))

        let waited = try await TLProcess.run(["batches", "wait", id, "-f", "jsonl", "--poll-interval", "0.05"], environment: sandbox.environment)
        #expect(waited.status == 0, "\(waited.err)")
        let items = try Self.lines(waited.out)
        #expect(items.count == 3 && items.allSatisfy { $0["status"] as? String == "ready" })
        #expect(items.allSatisfy { (($0["data"] as? [String: Any])?["data"] as? String)?.isEmpty == false })

        let results = try await TLProcess.run(["batches", "results", id], environment: sandbox.environment)
        #expect(results.status == 0 && results.out.contains("TASK ID") && results.out.components(separatedBy: "ready").count == 4)
        let listed = try await TLProcess.run(["batches", "list", "--status", "completed", "-f", "json"], environment: sandbox.environment)
        #expect(((try Self.json(listed.out)["data"] as? [[String: Any]]) ?? []).map { $0["batch_id"] as? String } == [id])
        let got = try await TLProcess.run(["batches", "get", id], environment: sandbox.environment)
        #expect(got.status == 0 && got.out.contains("status:     completed") && got.out.contains("3 ready"))
        // Each item is a task with its batch id.
        let task = try await TLProcess.run(["tasks", "get", try #require((batch["items"] as? [[String: Any]])?.first?["task_id"] as? String), "-f", "json"],
                                           environment: sandbox.environment)
        #expect(try Self.json(task.out)["batch_id"] as? String == id, "\(task.out)")

        #expect(try await TLProcess.run(["batches", "delete", id], environment: sandbox.environment).status == 0)
        let gone = try await TLProcess.run(["batches", "get", id], environment: sandbox.environment)
        #expect(gone.status == 1 && gone.err.contains("not_found"))
    }

    @Test func badBatchesAreRefusedBeforeSendingWithWhereAndWhy() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--asset-processing", "0.05", "--processing", "60"])
        defer { Task { await sandbox.stop() } }
        let ids = try await Self.assets(1, sandbox)
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let requests = dir.appendingPathComponent("requests.jsonl")
        let line = #"{"video": {"type": "asset_id", "asset_id": "\#(ids[0])"}, "custom_id": "same"}"#
        try (line + "\n\n" + line + "\n").write(to: requests, atomically: true, encoding: .utf8)
        let duplicate = try await TLProcess.run(["batches", "create", "--from", requests.path, "--prompt", "x"], environment: sandbox.environment)
        #expect(duplicate.status == 64, "\(duplicate.err)")
        #expect(duplicate.err.contains("/requests/1/custom_id: custom_id_duplicate"), "\(duplicate.err)")
        let inJSON = try await TLProcess.run(["batches", "create", "--from", requests.path, "--prompt", "x", "-f", "json"], environment: sandbox.environment)
        let issues = try #require((try Self.json(inJSON.out)["error"] as? [String: Any])?["issues"] as? [[String: Any]], "\(inJSON.out)")
        #expect(issues.map { $0["pointer"] as? String } == ["/requests/1/custom_id"] && inJSON.status == 64)

        try (#"{"video": {"type": "asset_id", "asset_id": "\#(ids[0])"}, "max_token": 5}"# + "\n").write(to: requests, atomically: true, encoding: .utf8)
        let typo = try await TLProcess.run(["batches", "create", "--from", requests.path, "--prompt", "x"], environment: sandbox.environment)
        #expect(typo.status == 64 && typo.err.contains("unknown key 'max_token' (did you mean 'max_tokens'?)"), "\(typo.err)")

        try (line + "\n{\"video\": {\"type\": \"url\", \"url\": \"https://a/v.mp4\"}}\n").write(to: requests, atomically: true, encoding: .utf8)
        let urlSource = try await TLProcess.run(["batches", "create", "--from", requests.path, "--prompt", "x"], environment: sandbox.environment)
        #expect(urlSource.status == 64 && urlSource.err.contains("line 2"), "\(urlSource.err)")
        // From standard input too.
        let piped = try await TLProcess.run(["batches", "create", "--from", "-", "--prompt", "x", "--model", "pegasus1.2"],
                                            environment: sandbox.environment, stdin: Data((line + "\n").utf8))
        #expect(piped.status == 64 && piped.err.contains("batch_model_unsupported"), "\(piped.err)")
        let neither = try await TLProcess.run(["batches", "create", "--prompt", "x"], environment: sandbox.environment)
        #expect(neither.status == 64)
        let twoPrompts = try await TLProcess.run(["batches", "create", "--asset-id", ids[0], "--prompt", "a", "--prompt", "b"], environment: sandbox.environment)
        #expect(twoPrompts.status == 64 && twoPrompts.err.contains("one --prompt"))
        let stats = try await TLProcess.run(["batches", "list", "-f", "json"], environment: sandbox.environment)
        #expect(((try Self.json(stats.out)["data"] as? [Any]) ?? [1]).isEmpty, "nothing was created")

        // A running batch: cancel works, delete is a conflict until it has finished.
        let created = try await TLProcess.run(["batches", "create", "--asset-id", ids[0], "--prompt", "x", "-f", "json"], environment: sandbox.environment)
        let id = try #require(try Self.json(created.out)["batch_id"] as? String)
        let deleteEarly = try await TLProcess.run(["batches", "delete", id], environment: sandbox.environment)
        #expect(deleteEarly.status == 1 && deleteEarly.err.contains("conflict"))
        let canceled = try await TLProcess.run(["batches", "cancel", id, "-f", "jsonl"], environment: sandbox.environment)
        #expect(canceled.status == 0, "\(canceled.err)")
        #expect(["canceling", "canceled"].contains(try Self.lines(canceled.out).first?["status"] as? String ?? ""))
    }

    @Test func submitTakesTheWindowSegmentsAndImagesAndPreflightJudgesTheWindow() async throws {
        let sandbox = try await SandboxProcess()
        defer { Task { await sandbox.stop() } }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // start_offset.mp4 starts at 10 s and lasts 15 s: the window is absolute.
        let outside = try await TLProcess.run(["submit", Self.offset, "--model", "pegasus1.5", "--clip", "0-8", "--prompt", "x", "--dry-run", "-f", "json"],
                                              environment: sandbox.environment)
        #expect(outside.status == 1 && outside.err.contains("clip_outside_video"), "\(outside.err)")
        let inside = try await TLProcess.run(["submit", Self.offset, "--model", "pegasus1.5", "--clip", "0:12-0:20.5", "--prompt", "x", "--dry-run", "-f", "json"],
                                             environment: sandbox.environment)
        #expect(inside.status == 0, "\(inside.err)")
        let plan = try Self.json(inside.out)
        let request = try #require((plan["requests"] as? [[String: Any]])?.first)
        #expect(request["start_time"] as? Double == 12 && request["end_time"] as? Double == 20.5)
        #expect(((plan["report"] as? [String: Any])?["billable_seconds"] as? Double) == 8.5)
        let unsupported = try await TLProcess.run(["submit", Self.ok, "--clip", "0-4", "--prompt", "x", "--dry-run"], environment: sandbox.environment)
        #expect(unsupported.status == 64 && unsupported.err.contains("time_window_not_supported"), "\(unsupported.err)")

        let segments = dir.appendingPathComponent("segments.json")
        try #"[{"id": "scenes", "description": "Each scene", "fields": [{"name": "mood", "type": "string", "description": "The scene's mood", "enum": ["calm", "tense"]}]}]"#
            .write(to: segments, atomically: true, encoding: .utf8)
        let segmented = try await TLProcess.run(
            ["submit", Self.ok, "--model", "pegasus1.5", "--segments", segments.path, "--segment-time-format", "hh:mm:ss", "--wait", "-f", "json"],
            environment: sandbox.environment)
        #expect(segmented.status == 0, "\(segmented.err)")
        let task = try #require((try Self.json(segmented.out)["tasks"] as? [[String: Any]])?.first)
        let data = try #require(((task["task"] as? [String: Any])?["result"] as? [String: Any])?["data"] as? String, "\(task)")
        let scenes = try #require((try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])?["scenes"] as? [[String: Any]], "\(data)")
        #expect(scenes.first?["start_time"] as? String == "00:00:00" && (scenes.first?["metadata"] as? [String: Any])?["mood"] as? String == "calm")

        // A reference image: a PNG header of 64 × 48 is sent inline; a text file and a 5,000 × 5,000 PNG are refused.
        let png = dir.appendingPathComponent("logo.png")
        try ImageFixtures.png(width: 64, height: 48).write(to: png)
        let imaged = try await TLProcess.run(
            ["submit", Self.ok, "--model", "pegasus1.5", "--prompt", "Is <@logo> shown?", "--image", "logo=\(png.path)", "--dry-run", "-f", "json"],
            environment: sandbox.environment)
        #expect(imaged.status == 0, "\(imaged.err)")
        let sent = try #require((try Self.json(imaged.out)["requests"] as? [[String: Any]])?.first)
        let source = try #require(((sent["prompt_v2"] as? [String: Any])?["media_sources"] as? [[String: Any]])?.first)
        #expect(source["name"] as? String == "logo" && source["media_type"] as? String == "image" && source["base64_string"] != nil)
        #expect(sent["prompt"] == nil)
        let huge = dir.appendingPathComponent("huge.png")
        try ImageFixtures.png(width: 5000, height: 5000).write(to: huge)
        let tooMany = try await TLProcess.run(["submit", Self.ok, "--model", "pegasus1.5", "--prompt", "x", "--image", "big=\(huge.path)", "--dry-run"],
                                              environment: sandbox.environment)
        #expect(tooMany.status == 64 && tooMany.err.contains("25000000 pixels"), "\(tooMany.err)")
        let notImage = try await TLProcess.run(["submit", Self.ok, "--model", "pegasus1.5", "--prompt", "x", "--image", "a=\(segments.path)", "--dry-run"],
                                               environment: sandbox.environment)
        #expect(notImage.status == 64 && notImage.err.contains("is not a"), "\(notImage.err)")
        for (arguments, says) in [
            (["--segments", segments.path, "--image", "logo=\(png.path)"], "media_sources"),
            (["--image", "logo=\(png.path)", "--segments", segments.path, "--analysis-mode", "general"], "media_sources"),
            (["--prompt", "x", "--image", "logo=http://cdn.example.com/l.png"], "https"),
            (["--prompt", "x", "--segment-time-format", "seconds"], "go with --segments"),
        ] {
            let refused = try await TLProcess.run(["submit", Self.ok, "--model", "pegasus1.5", "--dry-run"] + arguments, environment: sandbox.environment)
            #expect(refused.status == 64 && refused.err.contains(says), "\(arguments): \(refused.err)")
        }
        let old = try await TLProcess.run(["submit", Self.ok, "--prompt", "x", "--image", "logo=\(png.path)", "--dry-run"], environment: sandbox.environment)
        #expect(old.status == 64 && old.err.contains("prompt_v2_not_supported"), "\(old.err)")
    }

    @Test func preflightJudgesAClipAndReportsTheBillableDuration() async throws {
        let result = try await TLProcess.run(["preflight", "-f", "json", "--clip", "11-11.5", Self.offset])
        #expect(result.status == 1, "a 0.5 s clip is below the 1 s minimum")
        let report = try #require((try Self.json(result.out)["reports"] as? [[String: Any]])?.first)
        #expect((report["violations"] as? [[String: Any]])?.map { $0["code"] as? String } == ["clip_too_short"])
        #expect(report["billable_seconds"] as? Double == 0.5)
        let ok = try await TLProcess.run(["preflight", "-f", "text", "--clip", "10-", Self.offset])
        #expect(ok.status == 0 && ok.out.contains("clip 10–end s: 15.00 s billable"), "\(ok.out)")
        let bad = try await TLProcess.run(["preflight", "--clip", "5-5", Self.offset])
        #expect(bad.status == 64 && bad.err.contains("--clip must be START-END"))
    }
}

/// Image headers written byte by byte, as each format's specification lays them out.
enum ImageFixtures {
    static func be32(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    /// A PNG signature and IHDR chunk (8-bit RGB), then an empty IEND.
    static func png(width: Int, height: Int) -> Data {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += be32(13) + Array("IHDR".utf8) + be32(width) + be32(height) + [8, 2, 0, 0, 0] + [0, 0, 0, 0]
        bytes += be32(0) + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        return Data(bytes)
    }
}
