import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// The sandbox's wire format, checked with a raw HTTP client against literal JSON (not through AnalyzeClient).
@Suite(.timeLimit(.minutes(3))) struct SandboxTests {
    static let key = "sandbox-test-key"

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    }

    /// Runs `body` with a sandbox on a free port and a function sending raw requests to it.
    static func withSandbox(
        _ configure: (inout SandboxConfiguration) -> Void = { _ in },
        _ body: (RunningSandbox, _ send: @escaping @Sendable (String, String, String?, [String: String]?) async throws -> Reply) async throws -> Void
    ) async throws {
        var configuration = SandboxConfiguration(apiKey: key)
        configuration.port = 0
        configure(&configuration)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await Sandbox.withRunning(configuration) { sandbox in
                let base = sandbox.baseURL
                try await body(sandbox) { method, path, body, headers in
                    var request = HTTPClientRequest(url: base + path)
                    request.method = HTTPMethod(rawValue: method)
                    for (name, value) in headers ?? ["x-api-key": key] { request.headers.add(name: name, value: value) }
                    if let body { request.body = .bytes(ByteBuffer(string: body)) }
                    let response = try await http.execute(request, timeout: .seconds(30))
                    let bytes = try await response.body.collect(upTo: 1 << 24)
                    return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: bytes))
                }
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    static let createBody = #"{"video": {"type": "url", "url": "https://cdn.example.com/a.mp4"}, "prompt": "What is shown?"}"#

    /// Each endpoint answers errors in the shape the published contract gives it
    /// (`openapi-analyze-assets.json`): nested for `POST /analyze/tasks`, `/analyze/tasks/{id}` and
    /// `/analyze/batches*`, flat for the task list and every `/assets*` endpoint.
    @Test(arguments: [
        ("GET", "/analyze/tasks?page=0", nil as String?, 400, "flat"),
        ("POST", "/analyze/tasks", "{", 400, "nested"),
        ("GET", "/analyze/tasks/nope", nil, 404, "nested"),
        ("DELETE", "/analyze/tasks/nope", nil, 404, "nested"),
        ("POST", "/analyze/tasks/nope/cancel", nil, 404, "nested"),
        ("GET", "/analyze/batches/nope", nil, 404, "nested"),
        ("GET", "/assets/nope", nil, 404, "flat"),
        ("POST", "/assets/multipart-uploads", "{}", 400, "flat"),
        ("GET", "/assets/multipart-uploads/nope", nil, 404, "flat"),
        ("POST", "/assets/multipart-uploads/nope/presigned-urls", #"{"start": 1, "count": 1}"#, 404, "flat"),
    ])
    func errorsTakeTheirEndpointsPublishedShape(method: String, path: String, body: String?, status: Int, shape: String) async throws {
        try await Self.withSandbox { _, send in
            let reply = try await send(method, path, body, nil)
            #expect(reply.status == status, "\(method) \(path): \(reply.text)")
            let object = try #require(reply.json?.objectValue, "\(reply.text)")
            if shape == "nested" {
                #expect(Set(object.keys) == ["error"], "\(reply.text)")
                #expect(object["error"]?["code"]?.stringValue?.isEmpty == false && object["error"]?["message"]?.stringValue?.isEmpty == false)
            } else {
                #expect(Set(object.keys) == ["code", "message"], "\(reply.text)")
            }
        }
    }

    @Test func oneErrorShapeForEveryEndpointCanBeForced() async throws {
        try await Self.withSandbox({ $0.errorShape = .flat }) { _, send in
            let reply = try await send("POST", "/analyze/tasks", "{", nil)
            #expect(reply.json?["code"] == .string("parameter_invalid"))
        }
        try await Self.withSandbox({ $0.errorShape = .nested }) { _, send in
            let reply = try await send("GET", "/assets/nope", nil, nil)
            #expect(reply.json?["error"]?["code"] == .string("resource_not_exist"))
        }
    }

    /// Tasks carry their `video_source`, and the list filters by `analysis_mode`.
    @Test func tasksCarryTheirSourceAndListByAnalysisMode() async throws {
        try await Self.withSandbox { _, send in
            let general = try #require(try await send("POST", "/analyze/tasks", Self.createBody, nil).json?["task_id"]?.stringValue)
            let task = try await send("GET", "/analyze/tasks/\(general)", nil, nil)
            #expect(task.json?["video_source"] == .object(["type": .string("url"), "url": .string("https://cdn.example.com/a.mp4")]))
            let listed = try await send("GET", "/analyze/tasks?analysis_mode=general", nil, nil)
            #expect(listed.json?["data"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == [general])
            let none = try await send("GET", "/analyze/tasks?analysis_mode=time_based_metadata", nil, nil)
            #expect(none.json?["data"] == .array([]))
            let bad = try await send("GET", "/analyze/tasks?analysis_mode=segments", nil, nil)
            #expect(bad.status == 400 && bad.json?["code"] == .string("parameter_invalid"), "the list's errors are flat")
        }
    }

    @Test func createAnswers202WithTheDocumentedShape() async throws {
        try await Self.withSandbox { _, send in
            let reply = try await send("POST", "/analyze/tasks", Self.createBody, nil)
            #expect(reply.status == 202)
            let object = try #require(reply.json?.objectValue)
            #expect(Set(object.keys) == ["task_id", "status"])
            #expect(object["status"] == .string("queued"))
            #expect(object["task_id"]?.stringValue?.count == 24)
        }
    }

    @Test func taskObjectAtEachStageHasExactlyTheDocumentedKeys() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.withSandbox({
            $0.clock = clock
            $0.lifecycle = TaskLifecycle(queued: .seconds(1), pending: .seconds(1), processing: .seconds(1))
        }) { _, send in
            let created = try await send("POST", "/analyze/tasks", Self.createBody, nil)
            let id = try #require(created.json?["task_id"]?.stringValue)
            for expected in ["queued", "pending", "processing"] {
                let task = try #require(try await send("GET", "/analyze/tasks/\(id)", nil, nil).json?.objectValue)
                #expect(task["status"] == .string(expected))
                #expect(Set(task.keys) == ["task_id", "status", "created_at", "video_source"])
                clock.advance(by: .seconds(1))
            }
            let ready = try await send("GET", "/analyze/tasks/\(id)", nil, nil)
            #expect(ready.status == 200)
            let task = try #require(ready.json?.objectValue)
            #expect(Set(task.keys) == ["task_id", "status", "created_at", "completed_at", "result", "video_source"])
            #expect(task["status"] == .string("ready"))
            let result = try #require(task["result"]?.objectValue)
            #expect(Set(result.keys) == ["generation_id", "data", "finish_reason", "usage"])
            #expect(result["finish_reason"] == .string("stop"))
            #expect(result["data"]?.stringValue?.contains("What is shown?") == true)
            #expect(Set(result["usage"]?.objectValue?.keys ?? [:].keys) == ["output_tokens", "input_tokens"])
            let created_at = try #require(task["created_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            let completed_at = try #require(task["completed_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            #expect(abs(completed_at.timeIntervalSince(created_at) - 3) < 0.002)
        }
    }

    @Test func structuredResultConformsToTheSchema() async throws {
        let clock = ManualClock(mode: .manual)
        let body = ##"""
            {"video": {"type": "asset_id", "asset_id": "a1"}, "prompt": "p",
             "response_format": {"type": "json_schema", "json_schema": {
               "$defs": {"Scene": {"type": "object", "properties": {"start": {"type": "integer", "minimum": 2}, "label": {"enum": ["intro", "outro"]}}}},
               "type": "object",
               "properties": {
                 "scenes": {"type": "array", "items": {"$ref": "#/$defs/Scene"}, "minItems": 1},
                 "title": {"anyOf": [{"type": "null"}, {"type": "string"}]},
                 "rating": {"type": "number"}, "safe": {"type": "boolean"}, "kind": {"const": "ad"}
               },
               "required": ["scenes", "title"]}}}
            """##
        try await Self.withSandbox({ $0.clock = clock }) { sandbox, send in
            sandbox.state.addReadyAsset(id: "a1")
            let id = try #require(try await send("POST", "/analyze/tasks", body, nil).json?["task_id"]?.stringValue)
            clock.advance(by: .seconds(5))
            let data = try #require(try await send("GET", "/analyze/tasks/\(id)", nil, nil).json?["result"]?["data"]?.stringValue)
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)) == JSONDecoder().decode(JSONValue.self, from: Data(#"""
                {"scenes": [{"start": 2, "label": "intro"}], "title": "sample", "rating": 0.5, "safe": true, "kind": "ad"}
                """#.utf8)))
        }
    }

    @Test func smallMaxTokensTruncatesWithAWarning() async throws {
        let clock = ManualClock(mode: .manual)
        let body = #"{"video": {"type": "url", "url": "https://x.test/a.mp4"}, "prompt": "Say a lot.", "max_tokens": 5}"#
        try await Self.withSandbox({ $0.clock = clock }) { _, send in
            let id = try #require(try await send("POST", "/analyze/tasks", body, nil).json?["task_id"]?.stringValue)
            clock.advance(by: .seconds(5))
            let task = try #require(try await send("GET", "/analyze/tasks/\(id)", nil, nil).json)
            #expect(task["status"] == .string("ready"))
            #expect(task["result"]?["finish_reason"] == .string("length"))
            #expect(task["result"]?["data"]?.stringValue?.utf8.count == 20)
            #expect(task["result"]?["usage"]?["output_tokens"] == .integer(5))
            #expect(task["error"]?["code"] == .string("max_tokens_reached"))
        }
    }

    static let rejections: [(String, String, Int, String)] = [
        ("not JSON", "{", 400, "parameter_invalid"),
        ("missing video", #"{"prompt": "p"}"#, 400, "parameter_not_provided"),
        ("two sources", #"{"video": {"type": "url", "url": "https://x/a.mp4", "asset_id": "a"}, "prompt": "p"}"#, 400, "parameter_invalid"),
        ("unknown type", #"{"video": {"type": "s3", "s3": "b/k"}, "prompt": "p"}"#, 400, "parameter_invalid"),
        ("source missing", #"{"video": {"type": "url"}, "prompt": "p"}"#, 400, "parameter_not_provided"),
        ("missing prompt", #"{"video": {"type": "url", "url": "https://x/a.mp4"}}"#, 400, "parameter_not_provided"),
        ("prompt too long", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "\#(String(repeating: "abcd", count: 2001))"}"#, 400, "token_limit_exceeded"),
        ("temperature", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "temperature": 1.5}"#, 400, "parameter_invalid"),
        ("temperature type", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "temperature": "hot"}"#, 400, "parameter_invalid"),
        ("custom id", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "custom_id": "no spaces"}"#, 400, "parameter_invalid"),
        ("max tokens", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "max_tokens": 5000}"#, 400, "parameter_invalid"),
        ("unlimited on default model", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "max_tokens": "unlimited"}"#, 400, "parameter_invalid"),
        ("unknown field", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "stream": true}"#, 400, "parameter_unknown"),
        ("bad base64", #"{"video": {"type": "base64_string", "base64_string": "%%%"}, "prompt": "p"}"#, 400, "parameter_invalid"),
        ("format type", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "response_format": {"type": "text"}}"#, 400, "parameter_invalid"),
    ] + ["\"minLength\": 1", "\"maxLength\": 9", "\"additionalProperties\": false", "\"uniqueItems\": true", "\"maxItems\": 3", "\"minItems\": 2"].map { keyword in
        ("schema \(keyword)", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"type": "object", "properties": {"v": {"type": "string", \#(keyword)}}}}}"#, 422, "response_format_invalid")
    }

    @Test(arguments: rejections)
    func invalidBodiesGetThePlatformsStatusAndCode(name: String, body: String, status: Int, code: String) async throws {
        try await Self.withSandbox { sandbox, send in
            let reply = try await send("POST", "/analyze/tasks", body, nil)
            #expect(reply.status == status, "\(name)")
            // POST /analyze/tasks errors are nested in the published contract.
            #expect(reply.json?["error"]?["code"] == .string(code), "\(name): \(reply.text)")
            #expect(reply.json?["error"]?["message"]?.stringValue?.isEmpty == false)
            #expect(reply.json?["code"] == nil)
            #expect(sandbox.state.createdTaskCount == 0)
        }
    }

    /// "unlimited" only where PlatformRules allows it: pegasus1.6 in time_based_metadata.
    @Test func unlimitedOnlyWhereTheModelAndModeAllowIt() async throws {
        let prefix = #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "prompt": "p", "max_tokens": "unlimited""#
        try await Self.withSandbox { _, send in
            let allowed = try await send("POST", "/analyze/tasks", #"{"video": {"type": "url", "url": "https://x/a.mp4"}, "max_tokens": "unlimited""# + #", "model_name": "pegasus1.6", "analysis_mode": "time_based_metadata", "response_format": {"type": "segment_definitions", "segment_definitions": [{"id": "scenes", "description": "Each scene"}]}}"#, nil)
            #expect(allowed.status == 202, "\(allowed.text)")
            let general = try await send("POST", "/analyze/tasks", prefix + #", "model_name": "pegasus1.5"}"#, nil)
            #expect(general.status == 400 && general.json?["error"]?["code"] == .string("parameter_invalid"))
        }
    }

    @Test func keyIsRequiredAndChecked() async throws {
        try await Self.withSandbox { _, send in
            let missing = try await send("GET", "/analyze/tasks", nil, [:])
            #expect(missing.status == 401)
            #expect(missing.json?["code"] == .string("api_key_invalid"))
            let wrong = try await send("GET", "/analyze/tasks", nil, ["x-api-key": "nope"])
            #expect(wrong.status == 401)
            let bearer = try await send("GET", "/analyze/tasks", nil, ["Authorization": "Bearer \(Self.key)"])
            #expect(bearer.status == 401)
        }
    }

    @Test func unknownTasksAndRoutesAre404() async throws {
        try await Self.withSandbox { _, send in
            for (method, path) in [("GET", "/analyze/tasks/nope"), ("DELETE", "/analyze/tasks/nope"), ("POST", "/analyze/tasks/nope/cancel"), ("GET", "/analyze/other")] {
                let reply = try await send(method, path, nil, nil)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.json?["error"]?["code"] == .string("resource_not_exist"), "\(reply.text)")
            }
        }
    }

    @Test func listPaginatesNewestFirstWithPageInfoAndFilters() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.withSandbox({ $0.clock = clock }) { _, send in
            var ids: [String] = []
            for index in 0..<5 {
                let body = #"{"video": {"type": "url", "url": "https://x/\#(index % 2).mp4"}, "prompt": "p"}"#
                ids.append(try #require(try await send("POST", "/analyze/tasks", body, nil).json?["task_id"]?.stringValue))
            }
            let page = try #require(try await send("GET", "/analyze/tasks?page=2&page_limit=2", nil, nil).json)
            #expect(page["data"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == [ids[2], ids[1]])
            #expect(page["page_info"] == .object([
                "limit_per_page": .integer(2), "page": .integer(2), "total_page": .integer(3), "total_results": .integer(5),
            ]))
            let defaults = try #require(try await send("GET", "/analyze/tasks", nil, nil).json)
            #expect(defaults["page_info"]?["limit_per_page"] == .integer(10))
            #expect(defaults["page_info"]?["page"] == .integer(1))
            let filtered = try #require(try await send("GET", "/analyze/tasks?video_url=https://x/1.mp4", nil, nil).json)
            #expect(filtered["data"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == [ids[3], ids[1]])
            #expect(try await send("GET", "/analyze/tasks?status=ready", nil, nil).json?["page_info"]?["total_results"] == .integer(0))
            clock.advance(by: .seconds(5))
            #expect(try await send("GET", "/analyze/tasks?status=ready", nil, nil).json?["page_info"]?["total_results"] == .integer(5))
            for query in ["page=0", "page_limit=0", "page_limit=51", "page=x"] {
                let reply = try await send("GET", "/analyze/tasks?\(query)", nil, nil)
                #expect(reply.status == 400, "\(query)")
                #expect(reply.json?["code"] == .string("parameter_invalid"))
            }
        }
    }

    @Test func deleteConflictsWhileProcessingAndCancelConflictsWhenFinished() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.withSandbox({ $0.clock = clock }) { _, send in
            let id = try #require(try await send("POST", "/analyze/tasks", Self.createBody, nil).json?["task_id"]?.stringValue)
            #expect(try await send("DELETE", "/analyze/tasks/\(id)", nil, nil).status == 409)
            clock.advance(by: .seconds(5))
            #expect(try await send("POST", "/analyze/tasks/\(id)/cancel", nil, nil).status == 409)
            let deleted = try await send("DELETE", "/analyze/tasks/\(id)", nil, nil)
            #expect(deleted.status == 204 && deleted.text.isEmpty)
            #expect(try await send("GET", "/analyze/tasks/\(id)", nil, nil).status == 404)

            let other = try #require(try await send("POST", "/analyze/tasks", Self.createBody, nil).json?["task_id"]?.stringValue)
            let canceled = try await send("POST", "/analyze/tasks/\(other)/cancel", nil, nil)
            #expect(canceled.status == 200)
            #expect(canceled.json == .object(["task_id": .string(other), "status": .string("canceled")]))
            let task = try #require(try await send("GET", "/analyze/tasks/\(other)", nil, nil).json)
            #expect(task["status"] == .string("canceled"))
            #expect(task["completed_at"] != nil && task["result"] == nil)
        }
    }

    @Test func idempotencyKeyReturnsTheSameTask() async throws {
        try await Self.withSandbox { sandbox, send in
            let headers = ["x-api-key": Self.key, "Idempotency-Key": "k-1"]
            let first = try await send("POST", "/analyze/tasks", Self.createBody, headers)
            let second = try await send("POST", "/analyze/tasks", Self.createBody, headers)
            #expect(first.status == 202 && second.status == 202)
            #expect(first.json?["task_id"] == second.json?["task_id"])
            #expect(sandbox.state.createdTaskCount == 1)
            let otherBody = Self.createBody.replacingOccurrences(of: "What is shown?", with: "Something else")
            let reused = try await send("POST", "/analyze/tasks", otherBody, headers)
            #expect(reused.status == 409)
            #expect(reused.json?["error"]?["code"] == .string("idempotency_key_reused"))
            _ = try await send("POST", "/analyze/tasks", Self.createBody, ["x-api-key": Self.key, "Idempotency-Key": "k-2"])
            _ = try await send("POST", "/analyze/tasks", Self.createBody, nil)
            #expect(sandbox.state.createdTaskCount == 3)
        }
    }

    @Test func rateLimitHeadersAndRetryAfter() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.withSandbox({ $0.clock = clock; $0.requestsPerMinute = 2 }) { _, send in
            let first = try await send("GET", "/analyze/tasks", nil, nil)
            #expect(first.headers.first(name: "x-ratelimit-limit") == "2")
            #expect(first.headers.first(name: "x-ratelimit-remaining") == "1")
            let epoch = Int(clock.currentDate().timeIntervalSince1970) + 60
            #expect(first.headers.first(name: "x-ratelimit-reset") == String(epoch))
            _ = try await send("GET", "/analyze/tasks", nil, nil)
            clock.advance(by: .seconds(15))
            let limited = try await send("GET", "/analyze/tasks", nil, nil)
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "retry-after") == "45")
            #expect(limited.headers.first(name: "x-ratelimit-remaining") == "0")
            #expect(limited.json?["code"] == .string("too_many_requests"))
            clock.advance(by: .seconds(45))
            #expect(try await send("GET", "/analyze/tasks", nil, nil).status == 200)
        }
    }

    @Test func faultsAreSeededAndRepeatable() async throws {
        func statuses(seed: UInt64) async throws -> [Int] {
            var result: [Int] = []
            try await Self.withSandbox({
                $0.faults = FaultInjection(rate: 0.5, kinds: [.serverError, .rateLimited], seed: seed)
            }) { _, send in
                for _ in 0..<40 { result.append(try await send("GET", "/analyze/tasks", nil, nil).status) }
            }
            return result
        }
        let first = try await statuses(seed: 7)
        #expect(try await statuses(seed: 7) == first)
        #expect(try await statuses(seed: 8) != first)
        let faulted = first.filter { $0 != 200 }.count
        #expect(faulted > 8 && faulted < 32)
        #expect(Set(first).isSubset(of: [200, 429, 500, 502, 503]))
    }

    @Test func droppedConnectionsGetNoAnswerButTakeEffect() async throws {
        try await Self.withSandbox({ $0.faults = FaultInjection(rate: 1, kinds: [.dropConnection]) }) { sandbox, send in
            await #expect(throws: (any Error).self) { _ = try await send("POST", "/analyze/tasks", Self.createBody, nil) }
            #expect(sandbox.state.createdTaskCount == 1)
            #expect(sandbox.state.requests.map(\.status) == [0])
        }
    }

    @Test func inspectorGetsTheDecodedVideoInATemporaryFileThatIsRemoved() async throws {
        let clock = ManualClock(mode: .manual)
        let seen = SeenFiles()
        let payload = Data((0..<3000).map { UInt8($0 % 251) })
        try await Self.withSandbox({
            $0.clock = clock
            $0.inspector = { url in
                await seen.add(url, (try? Data(contentsOf: url)) ?? Data())
                return "Resolution 100x100 is below 360x360."
            }
        }) { _, send in
            let body = #"{"video": {"type": "base64_string", "base64_string": "\#(payload.base64EncodedString())"}, "prompt": "p"}"#
            let id = try #require(try await send("POST", "/analyze/tasks", body, nil).json?["task_id"]?.stringValue)
            let (url, bytes) = try #require(await seen.first)
            #expect(bytes == payload)
            #expect(!FileManager.default.fileExists(atPath: url.path))
            #expect(try await send("GET", "/analyze/tasks/\(id)", nil, nil).json?["status"] == .string("queued"))
            clock.advance(by: .seconds(5))
            let task = try #require(try await send("GET", "/analyze/tasks/\(id)", nil, nil).json)
            #expect(task["status"] == .string("failed"))
            #expect(task["error"]?["message"] == .string("Resolution 100x100 is below 360x360."))
            #expect(task["result"] == nil)
        }
    }

    @Test func defaultInspectorAcceptsANonEmptyVideo() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.withSandbox({ $0.clock = clock }) { _, send in
            let body = #"{"video": {"type": "base64_string", "base64_string": "AAAAIGZ0eXBpc29t"}, "prompt": "p"}"#
            let id = try #require(try await send("POST", "/analyze/tasks", body, nil).json?["task_id"]?.stringValue)
            clock.advance(by: .seconds(5))
            #expect(try await send("GET", "/analyze/tasks/\(id)", nil, nil).json?["status"] == .string("ready"))
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("tl-empty-\(UUID().uuidString)")
        try Data().write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(await SandboxConfiguration.defaultInspector(empty) == "The video file is empty.")
    }

    @Test func servesWithAndWithoutTheVersionPrefix() async throws {
        try await Self.withSandbox { sandbox, send in
            #expect(sandbox.baseURL.hasSuffix("/v1.3"))
            #expect(try await send("GET", "/analyze/tasks", nil, nil).status == 200)
            var request = HTTPClientRequest(url: String(sandbox.baseURL.dropLast(5)) + "/analyze/tasks")
            request.headers.add(name: "x-api-key", value: Self.key)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
        }
    }
}

actor SeenFiles {
    private var files: [(URL, Data)] = []
    func add(_ url: URL, _ data: Data) { files.append((url, data)) }
    var first: (URL, Data)? { files.first }
}
