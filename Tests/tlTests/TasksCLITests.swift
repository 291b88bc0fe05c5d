import Foundation
import Testing

/// `tl tasks …` and `tl sandbox` run as users run them: the built binary, against a `tl sandbox` child.
@Suite(.timeLimit(.minutes(3))) struct TasksCLITests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func sandboxPrintsTheURLFirstAndAGeneratedKeySecond() async throws {
        let sandbox = try await SandboxProcess(apiKey: nil, expectSecondLine: true)
        #expect(sandbox.baseURL.hasPrefix("http://127.0.0.1:"))
        #expect(sandbox.baseURL.hasSuffix("/v1.3"))
        let keyLine = try #require(sandbox.secondLine)
        #expect(keyLine.hasPrefix("TWELVE_LABS_API_KEY="))
        let key = String(keyLine.dropFirst("TWELVE_LABS_API_KEY=".count))
        let listed = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": sandbox.baseURL, "TWELVE_LABS_API_KEY": key])
        #expect(listed.status == 0, "\(listed.err)")
        // An empty page prints `"data" : []`, not Foundation's `[`, blank line, `]`.
        let emptyJSON = try await TLProcess.run(["tasks", "list", "--format", "json"],
                                                environment: ["TWELVELABS_BASE_URL": sandbox.baseURL, "TWELVE_LABS_API_KEY": key])
        #expect(emptyJSON.out.contains(#""data" : []"#), "\(emptyJSON.out)")
        let wrong = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": sandbox.baseURL, "TWELVE_LABS_API_KEY": "wrong"])
        #expect(wrong.status == 1)
        #expect(wrong.err.contains("unauthorized"))
        #expect(await sandbox.stop() == 0)
    }

    /// `tl sandbox` judges base64 videos with MediaProbe and Preflight, as the platform does.
    @Test func sandboxProbesBase64VideosWithThePreflightPolicy() async throws {
        let sandbox = try await SandboxProcess()
        func base64(_ name: String) throws -> [String: Any] {
            let data = try Data(contentsOf: TLProcess.packageRoot.appendingPathComponent("TestMedia/" + name))
            return ["type": "base64_string", "base64_string": data.base64EncodedString()]
        }
        let good = try await sandbox.createTask(prompt: "describe", video: try base64("ok_640x360_5s.mp4"))
        let short = try await sandbox.createTask(prompt: "describe", video: try base64("short_3.9s.mp4"))
        let text = try await sandbox.createTask(prompt: "describe", video: try base64("text.mp4"))
        let waited = try await TLProcess.run(["tasks", "wait", "--poll-interval", "0.05", "--format", "json", good, short, text], environment: sandbox.environment)
        let results = try #require(try Self.json(waited.out)["results"] as? [[String: Any]])
        #expect(results.map { $0["outcome"] as? String } == ["ready", "failed", "failed"])
        #expect(waited.status == 1)
        let failed = try await TLProcess.run(["tasks", "get", short, "--format", "json"], environment: sandbox.environment)
        let message = ((try Self.json(failed.out)["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains("duration_too_short"), "\(message)")
        let notMedia = try await TLProcess.run(["tasks", "get", text, "--format", "json"], environment: sandbox.environment)
        #expect((((try Self.json(notMedia.out)["error"] as? [String: Any])?["message"] as? String) ?? "").contains("not_media"))
        await sandbox.stop()
    }

    @Test func listWaitAndGetAsTextAndJSON() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "0.2"])
        var ids: [String] = []
        for index in 0..<3 { ids.append(try await sandbox.createTask(prompt: "clip \(index)", customID: "c\(index)")) }

        let waited = try await TLProcess.run(["tasks", "wait", "--poll-interval", "0.05", "--format", "json"] + ids, environment: sandbox.environment)
        #expect(waited.status == 0, "\(waited.err)")
        let results = try #require(try Self.json(waited.out)["results"] as? [[String: Any]])
        #expect(results.map { $0["task_id"] as? String } == ids)
        #expect(results.allSatisfy { $0["outcome"] as? String == "ready" })

        let text = try await TLProcess.run(["tasks", "list"], environment: sandbox.environment)
        #expect(text.status == 0)
        let lines = text.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("TASK ID") == true)
        #expect(lines.dropFirst().prefix(3).map { String($0.prefix(24)) } == ids.reversed())
        #expect(lines.last == "page 1 of 1, 3 tasks")

        let page = try await TLProcess.run(["tasks", "list", "--format", "json", "--page-limit", "2", "--page", "2"], environment: sandbox.environment)
        let pageJSON = try Self.json(page.out)
        #expect((pageJSON["data"] as? [[String: Any]])?.map { $0["task_id"] as? String } == [ids[0]])
        let info = try #require(pageJSON["page_info"] as? [String: Int])
        #expect(info == ["limit_per_page": 2, "page": 2, "total_page": 2, "total_results": 3])

        let all = try await TLProcess.run(["tasks", "list", "--all", "--page-limit", "1", "--format", "json", "--status", "ready"], environment: sandbox.environment)
        // One shape for a page and for --all: data and page_info.
        let allJSON = try Self.json(all.out)
        #expect((allJSON["data"] as? [Any])?.count == 3)
        #expect((allJSON["page_info"] as? [String: Int])?["total_results"] == 3)

        let byURL = try await TLProcess.run(
            ["tasks", "list", "--format", "json", "--video-url", "https://cdn.example.com/a.mp4"], environment: sandbox.environment)
        #expect((try Self.json(byURL.out)["data"] as? [Any])?.count == 3)
        let byOtherURL = try await TLProcess.run(
            ["tasks", "list", "--format", "json", "--video-url", "https://cdn.example.com/other.mp4"], environment: sandbox.environment)
        #expect((try Self.json(byOtherURL.out)["data"] as? [Any])?.count == 0)

        let got = try await TLProcess.run(["tasks", "get", ids[1], "--format", "json"], environment: sandbox.environment)
        #expect(got.status == 0)
        let task = try Self.json(got.out)
        #expect(task["task_id"] as? String == ids[1])
        #expect(task["custom_id"] as? String == "c1")
        #expect(task["status"] as? String == "ready")
        #expect(((task["result"] as? [String: Any])?["data"] as? String)?.contains("clip 1") == true)

        let gotText = try await TLProcess.run(["tasks", "get", ids[1]], environment: sandbox.environment)
        #expect(gotText.out.contains("status:     ready"))
        #expect(gotText.out.contains("clip 1"))
        await sandbox.stop()
    }

    @Test func deleteCancelAndTimeoutsOnASlowTask() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "3600"])
        let id = try await sandbox.createTask(prompt: "slow")

        let timedOut = try await TLProcess.run(["tasks", "wait", id, "--timeout", "0.3", "--format", "json"], environment: sandbox.environment)
        #expect(timedOut.status == 1)
        let results = try #require(try Self.json(timedOut.out)["results"] as? [[String: Any]])
        #expect(results.first?["outcome"] as? String == "timed_out")

        let busy = try await TLProcess.run(["tasks", "delete", id], environment: sandbox.environment)
        #expect(busy.status == 1)
        #expect(busy.err.contains("conflict"))
        #expect(busy.err.contains("HTTP 409"))

        let canceled = try await TLProcess.run(["tasks", "cancel", id], environment: sandbox.environment)
        #expect(canceled.status == 0)
        #expect(canceled.out == "\(id)  canceled\n")

        let waitCanceled = try await TLProcess.run(["tasks", "wait", id], environment: sandbox.environment)
        #expect(waitCanceled.status == 1)
        #expect(waitCanceled.out.hasPrefix("\(id)  canceled"))

        let deleted = try await TLProcess.run(["tasks", "delete", id, "--format", "json"], environment: sandbox.environment)
        #expect(deleted.status == 0)
        let deletedResults = try #require(try Self.json(deleted.out)["results"] as? [[String: Any]])
        #expect(deletedResults.count == 1 && deletedResults[0]["deleted"] as? Bool == true && deletedResults[0]["task_id"] as? String == id)
        await sandbox.stop()
    }

    @Test func unknownTaskIsAnAPIErrorWithJSONOnStdout() async throws {
        let sandbox = try await SandboxProcess()
        let result = try await TLProcess.run(["tasks", "get", "nope", "--format", "json"], environment: sandbox.environment)
        #expect(result.status == 1)
        let error = try #require(try Self.json(result.out)["error"] as? [String: Any])
        #expect(error["code"] as? String == "not_found")
        #expect(error["status"] as? Int == 404)
        #expect(error["platform_code"] as? String == "resource_not_exist")
        #expect(!result.out.contains("cli-test-key") && !result.err.contains("cli-test-key"))
        await sandbox.stop()
    }

    @Test func sandboxFlagsSetRateLimitsFaultsAndErrorShape() async throws {
        let limited = try await SandboxProcess(arguments: ["--rate-limit", "1"])
        #expect(try await TLProcess.run(["tasks", "list", "--retries", "0"], environment: limited.environment).status == 0)
        let second = try await TLProcess.run(["tasks", "list", "--retries", "0"], environment: limited.environment)
        #expect(second.status == 1)
        #expect(second.err.contains("rate_limited"))
        #expect(second.err.contains("retry after"))
        await limited.stop()

        let dropping = try await SandboxProcess(arguments: ["--fault-rate", "1", "--fault-kinds", "drop"])
        let dropped = try await TLProcess.run(["tasks", "list", "--retries", "1"], environment: dropping.environment)
        #expect(dropped.status == 1)
        #expect(dropped.err.contains("connection_failed"))
        #expect(dropped.err.contains("after 2 attempts"))
        await dropping.stop()

        let nested = try await SandboxProcess(arguments: ["--error-shape", "nested"])
        let missing = try await TLProcess.run(["tasks", "get", "nope", "--format", "json"], environment: nested.environment)
        #expect(missing.status == 1)
        let error = try #require(try Self.json(missing.out)["error"] as? [String: Any])
        #expect(error["platform_code"] as? String == "resource_not_exist")
        await nested.stop()
    }

    @Test func baseURLOptionWinsOverTheEnvironment() async throws {
        let sandbox = try await SandboxProcess()
        let result = try await TLProcess.run(
            ["tasks", "list", "--base-url", sandbox.baseURL],
            environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1:1/v1.3", "TWELVE_LABS_API_KEY": "cli-test-key"])
        #expect(result.status == 0, "\(result.err)")
        await sandbox.stop()
    }

    @Test func missingKeyIsAUsageErrorNamingTheVariable() async throws {
        let result = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1:1/v1.3"])
        #expect(result.status == 64)
        #expect(result.err.contains("TWELVE_LABS_API_KEY"))
    }

    @Test(arguments: [
        ["tasks", "list", "--page-limit", "0"],
        ["tasks", "list", "--page", "0"],
        ["tasks", "wait"],
        ["tasks", "wait", "t1", "--timeout", "-1"],
        ["tasks", "frobnicate"],
        ["tasks", "list", "--format", "yaml"],
        ["tasks", "list", "--base-url", "ftp://example.com"],
        ["tasks", "get", "t1", "--retries", "-1"],
        ["sandbox", "--port", "70000"],
        ["sandbox", "--fault-kinds", "gremlins"],
    ])
    func usageErrorsExit64(arguments: [String]) async throws {
        let result = try await TLProcess.run(arguments, environment: ["TWELVE_LABS_API_KEY": "k"])
        #expect(result.status == 64, "\(arguments): \(result.err)")
        #expect(!result.err.isEmpty)
    }

    @Test func unreachableServerIsAnOperationFailure() async throws {
        let result = try await TLProcess.run(
            ["tasks", "get", "t1", "--retries", "0"],
            environment: ["TWELVE_LABS_API_KEY": "k", "TWELVELABS_BASE_URL": "http://127.0.0.1:1/v1.3"])
        #expect(result.status == 1)
        #expect(result.err.contains("connection_failed"))
    }

    @Test func helpListsTheSubcommands() async throws {
        let result = try await TLProcess.run(["tasks", "--help"])
        #expect(result.status == 0)
        for name in ["list", "get", "wait", "delete", "cancel"] { #expect(result.out.contains(name)) }
        #expect(result.out.contains("TWELVE_LABS_API_KEY"))
    }
}
