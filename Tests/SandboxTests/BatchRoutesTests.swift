import AnalyzeAPI
import Foundation
import NIOHTTP1
import Sandbox
import Testing

/// `/analyze/batches*` over real HTTP, on a manual clock: the lifecycle, expiry, cancel, the 5-batch
/// limit, per-item failure and the published refusals, all in literal JSON.
@Suite(.timeLimit(.minutes(3))) struct BatchRoutesTests {
    /// A sandbox on `clock` whose assets last 60 s, or 9,000 s when their bytes start with "long".
    static func with(
        _ clock: ManualClock, _ configure: (inout SandboxConfiguration) -> Void = { _ in },
        _ body: (AssetClient) async throws -> Void
    ) async throws {
        try await AssetClient.with({
            $0.clock = clock
            $0.uploads.assetProcessing = .seconds(1)
            $0.lifecycle = TaskLifecycle(queued: .seconds(1), pending: .seconds(1), processing: .seconds(10))
            $0.batchItemsAtOnce = 2
            $0.durationProbe = { url in
                let head = (try? FileHandle(forReadingFrom: url).read(upToCount: 4)) ?? Data()
                return head == Data("long".utf8) ? 9000 : 60
            }
            configure(&$0)
        }, body)
    }

    /// Uploads `contents` as direct assets and moves the clock until they are ready.
    static func readyAssets(_ client: AssetClient, _ clock: ManualClock, _ contents: [String]) async throws -> [String] {
        var ids: [String] = []
        for (index, text) in contents.enumerated() {
            let form = FormBody.direct(Data(text.utf8), filename: "clip\(index).mp4")
            let reply = try await client.send("POST", "/assets", body: form.data, headers: ["x-api-key": AssetClient.key, "Content-Type": form.contentType])
            #expect(reply.status == 201, "\(reply.text)")
            ids.append(try #require(reply.json?["_id"]?.stringValue))
        }
        clock.advance(by: .seconds(2))
        for id in ids { #expect(try await client.send("GET", "/assets/\(id)").json?["status"] == .string("ready")) }
        return ids
    }

    static func batchBody(_ assets: [String], extra: String = "") -> String {
        let requests = assets.enumerated().map { #"{"video": {"type": "asset_id", "asset_id": "\#($1)"}, "custom_id": "item-\#($0)"}"# }
        return #"{"model_name": "pegasus1.5", "analysis_mode": "general", "defaults": {"prompt": {"input_text": "Summarise."}, "max_tokens": 1024}\#(extra), "requests": [\#(requests.joined(separator: ", "))]}"#
    }

    static func lines(_ reply: AssetClient.Reply) -> [JSONValue] {
        reply.text.split(separator: "\n").compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }

    @Test func aBatchRunsItsItemsAsTasksAndCompletesWithAPerItemFailure() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock) { client in
            let assets = try await Self.readyAssets(client, clock, ["short one", "long video", "short two"])
            let created = try await client.post("/analyze/batches", json: Self.batchBody(assets))
            #expect(created.status == 201, "\(created.text)")
            let body = try #require(created.json)
            #expect(Set(body.objectValue?.keys.map { $0 } ?? []) == ["batch_id", "status", "total_items", "created_at", "expires_at", "items"])
            #expect(body["status"] == .string("pending") && body["total_items"] == .integer(3))
            let id = try #require(body["batch_id"]?.stringValue)
            let items = try #require(body["items"]?.arrayValue)
            #expect(items.map { $0["custom_id"] } == [.string("item-0"), .string("item-1"), .string("item-2")])
            let created0 = try #require(body["created_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            let expires = try #require(body["expires_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            #expect(expires.timeIntervalSince(created0) == 24 * 3600)

            var batch = try await client.send("GET", "/analyze/batches/\(id)").json
            #expect(batch?["status"] == .string("pending") && batch?["queued_items"] == .integer(3))
            // Two slots: items 0 and 1 process first, item 2 waits its turn.
            clock.advance(by: .seconds(3))
            batch = try await client.send("GET", "/analyze/batches/\(id)").json
            #expect(batch?["status"] == .string("processing"))
            #expect(batch?["processing_items"] == .integer(2) && batch?["queued_items"] == .integer(1))
            let task = try await client.send("GET", "/analyze/tasks/\(try #require(items[2]["task_id"]?.stringValue))").json
            #expect(task?["batch_id"] == .string(id) && task?["status"] == .string("queued"))
            var results = Self.lines(try await client.send("GET", "/analyze/batches/\(id)/results"))
            #expect(results.map { $0["status"] } == [.string("processing"), .string("processing"), .string("queued")])

            clock.advance(by: .seconds(10))
            let partial = try await client.send("GET", "/analyze/batches/\(id)/results")
            #expect(partial.headers.first(name: "Content-Type") == "application/jsonl")
            results = Self.lines(partial)
            #expect(results.map { $0["status"] } == [.string("ready"), .string("failed"), .string("processing")])
            #expect(results[0]["data"]?["generation_id"]?.stringValue?.isEmpty == false)
            #expect(results[0]["data"]?["data"]?.stringValue?.isEmpty == false)
            #expect(results[1]["error"]?["code"] == .string("video_duration_too_long"))
            #expect(results[2]["data"] == nil && results[2]["error"] == nil)
            // Not finished: it cannot be deleted yet.
            let early = try await client.send("DELETE", "/analyze/batches/\(id)")
            #expect(early.status == 409 && early.json?["error"]?["code"] == .string("batch_not_finished"))

            clock.advance(by: .seconds(10))
            batch = try await client.send("GET", "/analyze/batches/\(id)").json
            #expect(batch?["status"] == .string("completed"))
            #expect(batch?["ready_items"] == .integer(2) && batch?["failed_items"] == .integer(1) && batch?["canceled_items"] == .integer(0))
            #expect(batch?["completed_at"]?.stringValue != nil && batch?["model_name"] == .string("pegasus1.5"))
            let listed = try await client.send("GET", "/analyze/batches?status=completed&status=processing").json
            #expect(listed?["data"]?.arrayValue?.count == 1 && listed?["page_info"]?["total_results"] == .integer(1))
            #expect(try await client.send("GET", "/analyze/batches?status=canceled").json?["data"]?.arrayValue?.isEmpty == true)

            #expect(try await client.send("DELETE", "/analyze/batches/\(id)").status == 200)
            #expect(try await client.send("GET", "/analyze/batches/\(id)").status == 404)
            #expect(try await client.send("GET", "/analyze/tasks/\(try #require(items[0]["task_id"]?.stringValue))").status == 404)
        }
    }

    @Test func expiryCancelsWhatIsUnfinishedAndKeepsTheResults() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock, {
            $0.batchItemsAtOnce = 1
            $0.lifecycle = TaskLifecycle(queued: .seconds(1), pending: .seconds(1), processing: .seconds(10 * 3600))
        }) { client in
            let assets = try await Self.readyAssets(client, clock, ["a", "b", "c"])
            let id = try #require(try await client.post("/analyze/batches", json: Self.batchBody(assets)).json?["batch_id"]?.stringValue)
            clock.advance(by: .seconds(25 * 3600))
            let batch = try await client.send("GET", "/analyze/batches/\(id)").json
            #expect(batch?["status"] == .string("expired"), "\(String(describing: batch))")
            #expect(batch?["ready_items"] == .integer(2) && batch?["canceled_items"] == .integer(1))
            #expect(batch?["expired_at"] == batch?["expires_at"])
            let results = Self.lines(try await client.send("GET", "/analyze/batches/\(id)/results"))
            #expect(results.map { $0["status"] } == [.string("ready"), .string("ready"), .string("canceled")])
            #expect(results[2]["error"]?["code"] == .string("batch_expired"))
            #expect(results[0]["data"]?["data"]?.stringValue != nil)
        }
    }

    @Test func cancelCancelsQueuedItemsWhileProcessingOnesFinish() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock, { $0.batchItemsAtOnce = 1 }) { client in
            let assets = try await Self.readyAssets(client, clock, ["a", "b", "c"])
            let id = try #require(try await client.post("/analyze/batches", json: Self.batchBody(assets)).json?["batch_id"]?.stringValue)
            clock.advance(by: .seconds(3))
            let canceling = try await client.send("POST", "/analyze/batches/\(id)/cancel")
            #expect(canceling.status == 202 && canceling.json?["status"] == .string("canceling"), "\(canceling.text)")
            #expect(canceling.json?["processing_items"] == .integer(1) && canceling.json?["canceled_items"] == .integer(2))
            // Asking again while canceling is accepted.
            #expect(try await client.send("POST", "/analyze/batches/\(id)/cancel").status == 202)
            clock.advance(by: .seconds(10))
            let batch = try await client.send("GET", "/analyze/batches/\(id)").json
            #expect(batch?["status"] == .string("canceled") && batch?["ready_items"] == .integer(1) && batch?["canceled_at"] != nil)
            let results = Self.lines(try await client.send("GET", "/analyze/batches/\(id)/results"))
            #expect(results.map { $0["error"]?["code"] } == [nil, .string("batch_canceled"), .string("batch_canceled")])
            let late = try await client.send("POST", "/analyze/batches/\(id)/cancel")
            #expect(late.status == 409 && late.json?["error"]?["code"] == .string("batch_already_finished"))
        }
    }

    @Test func aSixthActiveBatchIsRefusedUntilOneFinishes() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock) { client in
            let asset = try await Self.readyAssets(client, clock, ["a"])
            for _ in 1...5 { #expect(try await client.post("/analyze/batches", json: Self.batchBody(asset)).status == 201) }
            let sixth = try await client.post("/analyze/batches", json: Self.batchBody(asset))
            #expect(sixth.status == 409 && sixth.json?["error"]?["code"] == .string("batch_limit_exceeded"), "\(sixth.text)")
            clock.advance(by: .seconds(13))
            #expect(try await client.post("/analyze/batches", json: Self.batchBody(asset)).status == 201)
        }
    }

    @Test func theIdempotencyKeyAnswersARetryWithTheSameBatch() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock) { client in
            let asset = try await Self.readyAssets(client, clock, ["a"])
            let headers = ["x-api-key": AssetClient.key, "Content-Type": "application/json", "Idempotency-Key": "k-1"]
            let first = try await client.send("POST", "/analyze/batches", body: Data(Self.batchBody(asset).utf8), headers: headers)
            let again = try await client.send("POST", "/analyze/batches", body: Data(Self.batchBody(asset).utf8), headers: headers)
            #expect(first.status == 201 && again.status == 201 && first.json?["batch_id"] == again.json?["batch_id"])
            #expect(first.json?["items"] == again.json?["items"])
            let other = try await client.send("POST", "/analyze/batches", body: Data(Self.batchBody(asset + asset).utf8), headers: headers)
            #expect(other.status == 409)
            #expect(client.state.createdTaskCount == 1)
        }
    }

    @Test func badBatchesGetThePublishedNestedErrors() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock, { $0.durationProbe = { _ in 1000 * 3600 } }) { client in
            let assets = try await Self.readyAssets(client, clock, ["a", "b", "c"])
            let one = #"{"video": {"type": "asset_id", "asset_id": "\#(assets[0])"}}"#
            let cases: [(String, String, String)] = [
                ("duplicate custom_id", #"{"model_name": "pegasus1.5", "analysis_mode": "general", "defaults": {"prompt": {"input_text": "x"}}, "requests": [{"video": {"type": "asset_id", "asset_id": "\#(assets[0])"}, "custom_id": "a"}, {"video": {"type": "asset_id", "asset_id": "\#(assets[1])"}, "custom_id": "a"}]}"#, "parameter_invalid"),
                ("another model", #"{"model_name": "pegasus1.2", "analysis_mode": "general", "defaults": {"prompt": {"input_text": "x"}}, "requests": [\#(one)]}"#, "parameter_invalid"),
                ("a url source", #"{"model_name": "pegasus1.5", "analysis_mode": "general", "defaults": {"prompt": {"input_text": "x"}}, "requests": [{"video": {"type": "url", "url": "https://a.example/v.mp4"}}]}"#, "parameter_invalid"),
                ("no requests", #"{"model_name": "pegasus1.5", "analysis_mode": "general", "requests": []}"#, "parameter_invalid"),
                ("no mode", #"{"model_name": "pegasus1.5", "requests": [\#(one)]}"#, "parameter_not_provided"),
                ("an unknown field", #"{"model_name": "pegasus1.5", "analysis_mode": "general", "priority": 1, "requests": [\#(one)]}"#, "parameter_unknown"),
                ("no prompt anywhere", #"{"model_name": "pegasus1.5", "analysis_mode": "general", "requests": [\#(one)]}"#, "parameter_not_provided"),
                ("segments without definitions", #"{"model_name": "pegasus1.5", "analysis_mode": "time_based_metadata", "requests": [\#(one)]}"#, "parameter_invalid"),
                ("an unknown asset", #"{"model_name": "pegasus1.5", "analysis_mode": "general", "defaults": {"prompt": {"input_text": "x"}}, "requests": [{"video": {"type": "asset_id", "asset_id": "0000000000000000000000ff"}}]}"#, "parameter_invalid"),
                ("3,000 content hours", Self.batchBody(assets), "batch_content_hours_exceeded"),
            ]
            for (name, body, code) in cases {
                let reply = try await client.post("/analyze/batches", json: body)
                #expect(reply.status == 400, "\(name): \(reply.status) \(reply.text)")
                #expect(reply.json?["error"]?["code"] == .string(code), "\(name): \(reply.text)")
            }
            #expect(client.state.createdTaskCount == 0)
            #expect(try await client.send("GET", "/analyze/batches/nope").json?["error"]?["code"] == .string("resource_not_exist"))
            #expect(try await client.send("GET", "/analyze/batches?status=done").status == 400)
        }
    }

    /// Hostile bodies: too large, too many requests, nested without end, not JSON, not UTF-8.
    @Test func hostileBodiesAreRefusedNotCrashedOn() async throws {
        let clock = ManualClock(mode: .manual)
        try await Self.with(clock) { client in
            let asset = try await Self.readyAssets(client, clock, ["a"])
            let huge = try await client.send("POST", "/analyze/batches", body: Data(repeating: 0x20, count: 17 << 20),
                                             headers: ["x-api-key": AssetClient.key, "Content-Type": "application/json"])
            #expect(huge.status == 413 && huge.json?["error"]?["code"] == .string("request_too_large"), "\(huge.status)")
            let many = Self.batchBody(Array(repeating: asset[0], count: 1001)).replacingOccurrences(of: #", "custom_id": "item-\d+""#, with: "", options: .regularExpression)
            let tooMany = try await client.post("/analyze/batches", json: many)
            #expect(tooMany.status == 400 && tooMany.text.contains("1–1000"), "\(tooMany.text)")
            for body in [String(repeating: "[", count: 100_000), "not json", "{\"requests\": 5}", "\u{FEFF}{"] {
                let reply = try await client.post("/analyze/batches", json: body)
                #expect(reply.status == 400 && reply.json?["error"]?["code"] != nil, "\(body.prefix(20)): \(reply.status) \(reply.text)")
            }
            let binary = try await client.send("POST", "/analyze/batches", body: Data([0xFF, 0xFE, 0x00, 0x7B]),
                                               headers: ["x-api-key": AssetClient.key, "Content-Type": "application/json"])
            #expect(binary.status == 400)
            #expect(client.state.createdTaskCount == 0)
        }
    }
}
