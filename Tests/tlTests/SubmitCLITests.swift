import Foundation
import Testing

/// `tl submit` run as users run it: the built binary, against a `tl sandbox` child where it sends anything.
@Suite(.timeLimit(.minutes(2))) struct SubmitCLITests {
    static let ok = TLProcess.packageRoot.appendingPathComponent("TestMedia/ok_640x360_5s.mp4").path
    static let short = TLProcess.packageRoot.appendingPathComponent("TestMedia/short_3.9s.mp4").path

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func dryRunPrintsThePlanAndTheElidedRequestWithoutAKeyOrServer() async throws {
        // No key and an unreachable base URL: a dry run must not need either.
        let result = try await TLProcess.run(
            ["submit", Self.ok, "--prompt", "Describe.", "--temperature", "0.2", "--dry-run", "--format", "json"],
            environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1:9/v1.3"])
        #expect(result.status == 0, "\(result.err)")
        let object = try Self.json(result.out)
        #expect(object["dry_run"] as? Bool == true)
        let source = try #require(object["source"] as? [String: Any])
        #expect(source["kind"] as? String == "base64")
        let request = try #require((object["requests"] as? [[String: Any]])?.first)
        let video = try #require(request["video"] as? [String: Any])
        #expect(video["base64_string"] as? String == "<base64 of 49,527 bytes elided>")
        #expect(request["prompt"] as? String == "Describe.")
        #expect(result.out.count < 5000)

        let text = try await TLProcess.run(["submit", Self.ok, "--prompt", "a", "--prompt", "b", "--dry-run"])
        #expect(text.status == 0)
        #expect(text.out.contains("source: direct (2 prompts share one upload"))
        #expect(text.out.contains("<asset id from the direct upload>"))
        #expect(text.out.contains("dry run: nothing was sent"))
    }

    /// The body `--body-out` streams is byte-identical to a plain JSON encoding with the whole base64 string.
    @Test func bodyOutWritesTheExactStreamedBody() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try await TLProcess.run(
            ["submit", Self.ok, "--prompt", "Say \"hi\" / bye", "--temperature", "0.25", "--max-tokens", "100", "--custom-id", "c-1",
             "--dry-run", "--body-out", out.path])
        #expect(result.status == 0, "\(result.err)")
        let body = try Data(contentsOf: out)
        let base64 = try Data(contentsOf: URL(fileURLWithPath: Self.ok)).base64EncodedString()
        let expected = #"{"custom_id":"c-1","max_tokens":100,"prompt":"Say \"hi\" / bye","temperature":0.25,"video":{"base64_string":""#
            + base64 + #"","type":"base64_string"}}"#
        #expect(String(decoding: body, as: UTF8.self) == expected)
        let stdout = try await TLProcess.run(["submit", Self.ok, "--prompt", "x", "--dry-run", "--body-out", "-"])
        #expect(stdout.status == 0 && stdout.stdout.count == 66_036 + #"{"prompt":"x","video":{"base64_string":"","type":"base64_string"}}"#.utf8.count)
        // The body is written through the path, never by replacing it: a symlink (like a device such as
        // /dev/null) stays what it is, and its target gets the bytes.
        let link = out.deletingLastPathComponent().appendingPathComponent("link-\(UUID().uuidString).json")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: out.path)
        defer { try? FileManager.default.removeItem(at: link) }
        let viaLink = try await TLProcess.run(["submit", Self.ok, "--prompt", "x", "--dry-run", "--body-out", link.path])
        #expect(viaLink.status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: link.path)[.type] as? FileAttributeType) == .typeSymbolicLink)
        #expect(try Data(contentsOf: out) == stdout.stdout)
        let direct = try await TLProcess.run(["submit", Self.ok, "--prompt", "x", "--source", "direct", "--dry-run", "--body-out", out.path])
        #expect(direct.status == 64)
        let noDry = try await TLProcess.run(["submit", Self.ok, "--prompt", "x", "--body-out", out.path])
        #expect(noDry.status == 64)
    }

    @Test func aFileFailingPreflightIsRefusedWithExit1AndNothingIsSent() async throws {
        let sandbox = try await SandboxProcess()
        let result = try await TLProcess.run(["submit", Self.short, "--prompt", "Describe.", "--format", "json"], environment: sandbox.environment)
        #expect(result.status == 1)
        #expect(result.err.contains("fails preflight"))
        let error = try #require(try Self.json(result.out)["error"] as? [String: Any])
        #expect(error["code"] as? String == "preflight_failed")
        // The sandbox never saw a task: its list is empty.
        let listed = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: sandbox.environment)
        #expect(((try Self.json(listed.out)["data"] as? [Any]) ?? [1]).isEmpty)
        await sandbox.stop()
    }

    /// A URL source is not probed, unless a local copy is given: then the copy is checked first and
    /// a failing copy stops the submission before anything is sent.
    @Test func aURLSourceWithALocalCopyIsCheckedFirst() async throws {
        let sandbox = try await SandboxProcess()
        let url = "https://cdn.example.com/clip.mp4"
        let refused = try await TLProcess.run(
            ["submit", "--url", url, "--local-copy", Self.short, "--prompt", "Describe.", "--format", "json"], environment: sandbox.environment)
        #expect(refused.status == 1)
        #expect(refused.err.contains("local copy") && refused.err.contains("duration_too_short"), "\(refused.err)")
        let empty = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: sandbox.environment)
        #expect(((try Self.json(empty.out)["data"] as? [Any]) ?? [1]).isEmpty)

        let sent = try await TLProcess.run(
            ["submit", "--url", url, "--local-copy", Self.ok, "--prompt", "Describe.", "--wait", "--poll-interval", "0.05", "--format", "json"],
            environment: sandbox.environment)
        #expect(sent.status == 0, "\(sent.err)")
        #expect(sent.out.contains("passed preflight"))
        let listed = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: sandbox.environment)
        #expect((try Self.json(listed.out)["data"] as? [Any])?.count == 1)
        await sandbox.stop()
    }

    @Test(arguments: [
        (["submit", "--prompt", "x"], "exactly one of PATH"),
        (["submit", "a.mp4", "--local-copy", "b.mp4", "--prompt", "x"], "--local-copy goes with --url"),
        (["submit", "a.mp4", "--url", "https://x.test/a.mp4", "--prompt", "x"], "exactly one of PATH"),
        (["submit", "a.mp4"], "--prompt"),
        (["submit", "a.mp4", "--prompt", "x", "--max-tokens", "lots"], "--max-tokens"),
        (["submit", "--url", "ftp://x/a.mp4", "--prompt", "x"], "--url"),
        (["submit", "--url", "https://x.test/a.mp4", "--prompt", "x", "--temperature", "5", "--dry-run"], "temperature"),
        (["submit", "--url", "https://x.test/a.mp4", "--prompt", "x", "--source", "base64", "--dry-run"], "applies to local files"),
        (["submit", "--url", "https://x.test/a.mp4", "--prompt", "x", "--custom-id", "no spaces", "--dry-run"], "custom_id"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) async throws {
        let result = try await TLProcess.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.err)")
        #expect(result.err.contains(message), "\(result.err)")
    }

    @Test func submitBase64AndWaitPrintsTheResult() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "0.1"])
        let result = try await TLProcess.run(
            ["submit", Self.ok, "--prompt", "Describe.", "--wait", "--poll-interval", "0.05", "--format", "json"], environment: sandbox.environment)
        #expect(result.status == 0, "\(result.err)")
        let object = try Self.json(result.out)
        #expect((object["source"] as? [String: Any])?["kind"] as? String == "base64")
        let task = try #require((object["tasks"] as? [[String: Any]])?.first)
        #expect(task["outcome"] as? String == "ready")
        #expect(result.err.isEmpty, "progress must stay off stderr when it is not a terminal: \(result.err)")

        let schema = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString).json")
        try Data(#"{"type":"object","properties":{"products":{"type":"array","items":{"type":"string"}}},"required":["products"]}"#.utf8).write(to: schema)
        defer { try? FileManager.default.removeItem(at: schema) }
        let text = try await TLProcess.run(
            ["submit", "--url", "https://cdn.example.com/a.mp4", "--prompt", "List products.", "--json-schema", schema.path,
             "--wait", "--poll-interval", "0.05"], environment: sandbox.environment)
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.contains("source: url"))
        #expect(text.out.contains("ready"))
        // A JSON result is pretty-printed.
        #expect(text.out.contains("{\n  \""), "\(text.out)")
        await sandbox.stop()
    }

    /// --force sends a failing file and says so; the platform (here the sandbox, which judges base64 videos
    /// with the same policy) then fails the task, and a failed task is exit status 1.
    @Test func forceSendsAFailingFileAndAFailedTaskExits1() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "0.05"])
        let result = try await TLProcess.run(
            ["submit", Self.short, "--prompt", "Describe.", "--force", "--wait", "--poll-interval", "0.05"], environment: sandbox.environment)
        #expect(result.status == 1, "\(result.err)")
        #expect(result.out.contains("sent despite failing preflight (duration_too_short) because force was set"))
        #expect(result.err.contains("warning: the file fails preflight and is sent because of --force"))
        #expect(result.out.contains(" failed"))
        #expect(result.out.contains("duration_too_short"))
        await sandbox.stop()
    }

    @Test func missingKeyIsAUsageError() async throws {
        let result = try await TLProcess.run(["submit", Self.ok, "--prompt", "x"], environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1:9/v1.3"])
        #expect(result.status == 64)
        #expect(result.err.contains("TWELVE_LABS_API_KEY"))
        // Said before the file is probed: a file that would fail preflight still gets the usage error, and
        // no probe runs (no FFmpeg is needed for it).
        let failing = try await TLProcess.run(["submit", Self.short, "--prompt", "x"],
                                              environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1:9/v1.3", "VIDEOPREFLIGHT_FFMPEG_DIR": "/nonexistent"])
        #expect(failing.status == 64, "\(failing.err)")
        #expect(failing.err.contains("TWELVE_LABS_API_KEY") && !failing.err.contains("preflight") && !failing.err.contains("FFmpeg"))
    }
}
