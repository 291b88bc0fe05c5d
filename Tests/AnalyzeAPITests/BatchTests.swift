import AnalyzeAPI
import Foundation
import Sandbox
import Testing

/// Batches: literal JSON from the contract and the SDK's documentation, the validator's verdicts and
/// where it places them, and the client against the sandbox over loopback.
@Suite(.timeLimit(.minutes(3))) struct BatchTests {
    @Test func createBatchEncodesExactlyThePublishedBody() throws {
        let batch = CreateAnalyzeBatchRequest(
            modelName: "pegasus1.5", analysisMode: "general",
            defaults: BatchSettings(prompt: PromptV2(inputText: "Summarise the video."), temperature: 0.2, maxTokens: 2048),
            requests: [
                BatchItemRequest(assetID: "6811a2b3c4d5e6f7a8b9c0d1", customID: "summary-001"),
                BatchItemRequest(assetID: "6811a2b3c4d5e6f7a8b9c0d2", overrides: BatchSettings(
                    prompt: PromptV2(inputText: "Is <@logo> shown?", mediaSources: [MediaSource(name: "logo", source: .url("https://cdn.example.com/logo.png"))]),
                    startTime: 30, endTime: 90)),
            ])
        let golden = """
            {"model_name": "pegasus1.5", "analysis_mode": "general",
             "defaults": {"prompt": {"input_text": "Summarise the video."}, "temperature": 0.2, "max_tokens": 2048},
             "requests": [
               {"video": {"type": "asset_id", "asset_id": "6811a2b3c4d5e6f7a8b9c0d1"}, "custom_id": "summary-001"},
               {"video": {"type": "asset_id", "asset_id": "6811a2b3c4d5e6f7a8b9c0d2"},
                "prompt": {"input_text": "Is <@logo> shown?", "media_sources": [{"name": "logo", "media_type": "image", "url": "https://cdn.example.com/logo.png"}]},
                "start_time": 30, "end_time": 90}]}
            """
        #expect(try jsonValue(encoding: batch) == jsonValue(golden))
        #expect(try WireCoding.decoder().decode(CreateAnalyzeBatchRequest.self, from: Data(golden.utf8)) == batch)
        // A batch item's video must be an asset.
        let url = #"{"model_name": "pegasus1.5", "analysis_mode": "general", "requests": [{"video": {"type": "url", "url": "https://a/v.mp4"}}]}"#
        #expect(throws: DecodingError.self) { try WireCoding.decoder().decode(CreateAnalyzeBatchRequest.self, from: Data(url.utf8)) }
    }

    @Test func segmentDefinitionsEncodeThePublishedShape() throws {
        var request = CreateAsyncAnalyzeRequest(video: .assetID("a1"), prompt: nil, modelName: "pegasus1.5", analysisMode: "time_based_metadata",
                                                minSegmentDuration: 2, maxSegmentDuration: 30)
        request.responseFormat = ResponseFormat(segmentDefinitions: [
            SegmentDefinition(id: "goals", description: "Each goal scored", fields: [
                SegmentField(name: "team", type: "string", description: "Who scored", enumValues: ["home", "away"]),
                SegmentField(name: "scorers", type: "array", description: "Their names", itemType: "string"),
                SegmentField(name: "at", type: "timestamp", description: "When", format: "hh:mm:ss"),
            ]),
            SegmentDefinition(id: "corners", description: "Each corner kick", timeRanges: [TimeRange(startTime: 0, endTime: 2700)]),
        ], timeFormat: "hh:mm:ss.fff")
        let golden = """
            {"video": {"type": "asset_id", "asset_id": "a1"}, "model_name": "pegasus1.5", "analysis_mode": "time_based_metadata",
             "min_segment_duration": 2, "max_segment_duration": 30,
             "response_format": {"type": "segment_definitions", "segment_time_format": "hh:mm:ss.fff", "segment_definitions": [
               {"id": "goals", "description": "Each goal scored", "fields": [
                 {"name": "team", "type": "string", "description": "Who scored", "enum": ["home", "away"]},
                 {"name": "scorers", "type": "array", "description": "Their names", "items": {"type": "string"}},
                 {"name": "at", "type": "timestamp", "description": "When", "format": "hh:mm:ss"}]},
               {"id": "corners", "description": "Each corner kick", "fields": [], "time_ranges": [{"start_time": 0, "end_time": 2700}]}]}}
            """
        #expect(try jsonValue(encoding: request) == jsonValue(golden))
        #expect(try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: Data(golden.utf8)) == request)
        #expect(RequestValidator().issues(in: request).map(\.code) == ["time_ranges_with_segment_durations"],
                "time_ranges exclude min/max_segment_duration")
        request.minSegmentDuration = nil
        request.maxSegmentDuration = nil
        #expect(RequestValidator().issues(in: request).isEmpty)
    }

    /// The four-line example of SDK 1.3.6's `results` documentation, plus the tolerated array form.
    @Test func resultsDecodeFromJSONLines() throws {
        let body = """
            {"task_id":"68f4ddaf8aaa60d33df0e900","custom_id":"summary-001","status":"ready","data":{"generation_id":"gen_xyz789","data":"This video covers the keynote launch...","finish_reason":"stop","usage":{"output_tokens":150,"input_tokens":45}}}
            {"task_id":"68f4ddaf8aaa60d33df0e901","custom_id":"summary-002","status":"failed","error":{"code":"asset_unavailable","message":"The asset could not be read."}}

            {"task_id":"68f4ddaf8aaa60d33df0e902","custom_id":"summary-003","status":"processing"}
            {"task_id":"68f4ddaf8aaa60d33df0e903","custom_id":null,"status":"queued"}
            """
        let items = try BatchResultItem.items(inResults: Data(body.utf8))
        #expect(items.map(\.status) == [.ready, .failed, .processing, .queued])
        #expect(items[0].data?.data == "This video covers the keynote launch..." && items[0].data?.usage?.outputTokens == 150)
        #expect(items[1].error?.code == "asset_unavailable" && items[3].customID == nil)
        let array = "[" + body.split(separator: "\n").filter { !$0.isEmpty }.joined(separator: ",") + "]"
        #expect(try BatchResultItem.items(inResults: Data(array.utf8)) == items)
        #expect(try BatchResultItem.items(inResults: Data()).isEmpty)
        #expect(throws: DecodingError.self) { try BatchResultItem.items(inResults: Data("{\"task_id\": 1}\nnot json".utf8)) }
    }

    @Test func batchObjectsDecodeTolerantly() throws {
        let full = """
            {"batch_id": "b1", "analysis_mode": "general", "model_name": "pegasus1.5", "status": "completed", "total_items": 3,
             "created_at": "2026-11-30T10:00:00Z", "expires_at": "2026-12-01T10:00:00Z", "completed_at": "2026-11-30T11:00:00.5Z",
             "queued_items": 0, "processing_items": 0, "ready_items": 2, "failed_items": 1, "canceled_items": 0,
             "webhooks": [{"url": "https://h.example/tl", "delivered": true, "attempts": 2}], "priority": "ignored"}
            """
        let batch = try WireCoding.decoder().decode(AnalyzeBatch.self, from: Data(full.utf8))
        #expect(batch.status == .completed && batch.status.isTerminal && batch.finishedItems == 3 && batch.webhooks?.first?.attempts == 2)
        let minimal = try WireCoding.decoder().decode(AnalyzeBatch.self, from: Data(#"{"batch_id": "b2", "status": "archiving"}"#.utf8))
        #expect(minimal.status.rawValue == "archiving" && !minimal.status.isTerminal && minimal.totalItems == 0)
        let created = try WireCoding.decoder().decode(CreatedBatch.self, from: Data("""
            {"batch_id": "b1", "status": "pending", "total_items": 2, "created_at": "2026-11-30T10:00:00Z", "expires_at": "2026-12-01T10:00:00Z",
             "items": [{"task_id": "t1", "custom_id": "a"}, {"task_id": "t2", "custom_id": null}]}
            """.utf8))
        #expect(created.items == [CreatedBatchItem(taskID: "t1", customID: "a"), CreatedBatchItem(taskID: "t2", customID: nil)])
    }

    @Test func theValidatorPlacesEachIssueWhereTheValueIs() {
        let validator = BatchValidator()
        let good = CreateAnalyzeBatchRequest(defaults: BatchSettings(prompt: PromptV2(inputText: "x")), requests: [BatchItemRequest(assetID: "a")])
        #expect(validator.issues(in: good).isEmpty)
        var bad = good
        bad.defaults?.maxTokens = 100
        bad.requests = (0..<3).map { BatchItemRequest(assetID: "a\($0)", customID: "same") }
        bad.requests[2].overrides.temperature = 3
        let issues = validator.issues(in: bad)
        #expect(issues.map(\.jsonPointer) == ["/requests/1/custom_id", "/requests/2/custom_id", "/defaults/max_tokens", "/requests/2/temperature"],
                "\(issues)")
        #expect(validator.issues(in: CreateAnalyzeBatchRequest(modelName: "pegasus1.2", requests: [])).map(\.code) == ["batch_size_invalid", "batch_model_unsupported"])
        let tooMany = CreateAnalyzeBatchRequest(defaults: good.defaults, requests: Array(repeating: BatchItemRequest(assetID: "a"), count: 1001))
        #expect(validator.issues(in: tooMany).map(\.code) == ["batch_size_invalid"])
        // Content hours, from the probed durations: 1,000 × 2.5 h is over 2,000 h; a 3 h video warns, windowed it does not.
        let long = CreateAnalyzeBatchRequest(defaults: good.defaults, requests: Array(repeating: BatchItemRequest(assetID: "a"), count: 1000))
        #expect(validator.issues(in: long, contentSeconds: Array(repeating: 9000, count: 1000)).first?.code == "batch_content_hours_exceeded")
        #expect(validator.issues(in: long, contentSeconds: Array(repeating: 7000, count: 1000)).isEmpty)
        var windowed = good
        #expect(validator.issues(in: windowed, contentSeconds: [3 * 3600]).map(\.code) == ["item_duration_too_long"])
        windowed.requests[0].overrides = BatchSettings(startTime: 0, endTime: 3600)
        #expect(validator.issues(in: windowed, contentSeconds: [3600]).isEmpty, "the analysed seconds: the window's")
        // A fault of two settings, one from the defaults and one from the item, is the item's.
        var mixed = good
        mixed.defaults?.endTime = 100
        mixed.requests = [BatchItemRequest(assetID: "a"), BatchItemRequest(assetID: "b", overrides: BatchSettings(startTime: 99.5))]
        #expect(validator.issues(in: mixed).map(\.jsonPointer) == ["/requests/1/end_time"])
    }

    /// Uploads `count` real videos to the sandbox and waits until they are ready.
    static func readyAssets(_ client: AnalyzeClient, count: Int) async throws -> [String] {
        var ids: [String] = []
        for _ in 0..<count {
            let asset = try await client.uploadAsset(file: testMediaPath("ok_640x360_5s.mp4"))
            guard case .ready(let ready) = try await client.waitForAsset(asset.id, options: WaitOptions(minimumInterval: .milliseconds(20))) else {
                throw APIError(code: .invalidResponse, operation: .waitForAsset)
            }
            ids.append(ready.id)
        }
        return ids
    }

    @Test func theClientRunsABatchAgainstTheSandbox() async throws {
        try await withSandboxClient(sandbox: {
            $0.uploads.assetProcessing = .milliseconds(20)
            $0.lifecycle = TaskLifecycle(queued: .milliseconds(20), pending: .milliseconds(20), processing: .milliseconds(60))
            $0.batchItemsAtOnce = 2
        }) { sandbox, client in
            let assets = try await Self.readyAssets(client, count: 5)
            let batch = CreateAnalyzeBatchRequest(
                defaults: BatchSettings(prompt: PromptV2(inputText: "Summarise.")),
                requests: assets.enumerated().map { BatchItemRequest(assetID: $1, customID: "clip-\($0)") })
            let created = try await client.createBatch(batch)
            #expect(created.items.map(\.customID) == (0..<5).map { "clip-\($0)" } && created.status == .pending)
            // Items come out as they finish, each once.
            var finished: [BatchResultItem] = []
            for try await item in client.finishedBatchItems(created.id, options: WaitOptions(minimumInterval: .milliseconds(20), maximumInterval: .milliseconds(50))) {
                finished.append(item)
            }
            #expect(Set(finished.map(\.taskID)) == Set(created.items.map(\.taskID)) && finished.count == 5)
            #expect(finished.allSatisfy { $0.status == .ready && $0.data?.data.isEmpty == false })
            let outcome = try await client.waitForBatch(created.id, options: WaitOptions(minimumInterval: .milliseconds(20)))
            guard case .finished(let done) = outcome else { Issue.record("timed out"); return }
            #expect(done.status == .completed && done.readyItems == 5)
            let task = try await client.retrieveTask(created.items[0].taskID)
            #expect(task.batchID == created.id && task.customID == "clip-0")
            #expect(try await client.listBatches(status: [.completed]).data.map(\.id) == [created.id])
            #expect(try await client.listBatches(status: [.pending, .processing]).data.isEmpty)
            try await client.deleteBatch(created.id)
            await #expect(throws: APIError.self) { try await client.retrieveBatch(created.id) }
            #expect(sandbox.state.requests.filter { $0.path == "/analyze/batches" && $0.method == "POST" }.count == 1)
        }
    }

    @Test func invalidBatchesAreNotSentAndConflictsAreTyped() async throws {
        try await withSandboxClient(sandbox: {
            $0.uploads.assetProcessing = .milliseconds(20)
            $0.lifecycle = TaskLifecycle(queued: .seconds(60), pending: .seconds(60), processing: .seconds(60))
        }) { sandbox, client in
            let asset = try await Self.readyAssets(client, count: 1)[0]
            let before = sandbox.state.requestCount
            let duplicate = CreateAnalyzeBatchRequest(defaults: BatchSettings(prompt: PromptV2(inputText: "x")),
                                                      requests: [BatchItemRequest(assetID: asset, customID: "a"), BatchItemRequest(assetID: asset, customID: "a")])
            let refused = await #expect(throws: APIError.self) { try await client.createBatch(duplicate) }
            #expect(refused?.code == .validationFailed && refused?.validationIssues.first?.code == "custom_id_duplicate")
            #expect(sandbox.state.requestCount == before, "nothing is sent")

            let one = CreateAnalyzeBatchRequest(defaults: BatchSettings(prompt: PromptV2(inputText: "x")), requests: [BatchItemRequest(assetID: asset)])
            var ids: [String] = []
            for _ in 1...5 { ids.append(try await client.createBatch(one).id) }
            let sixth = await #expect(throws: APIError.self) { try await client.createBatch(one) }
            #expect(sixth?.code == .conflict && sixth?.platformCode == "batch_limit_exceeded" && sixth?.status == 409)
            let canceling = try await client.cancelBatch(ids[0])
            #expect(canceling.status == .canceled || canceling.status == .canceling)
            let deleteRunning = await #expect(throws: APIError.self) { try await client.deleteBatch(ids[1]) }
            #expect(deleteRunning?.code == .conflict)
            #expect(try await client.createBatch(one).status == .pending, "a canceled batch frees its place")
        }
    }

    /// A server that answers garbage, an HTML error page, a 429 then success, or nothing: typed errors,
    /// retries with the same Idempotency-Key, and never a second batch.
    @Test func badServersGetTypedErrorsAndRetriesKeepTheIdempotencyKey() async throws {
        let batch = CreateAnalyzeBatchRequest(defaults: BatchSettings(prompt: PromptV2(inputText: "x")), requests: [BatchItemRequest(assetID: "a")])
        let created = #"{"batch_id": "b1", "status": "pending", "total_items": 1, "items": [{"task_id": "t1", "custom_id": null}]}"#
        let flaky = RecordingTransport(sequence: [
            .success(response(429, "", headers: ["Retry-After": "2"])), .success(response(503, "<html>busy</html>")), .success(response(201, created)),
        ])
        let made = try await makeClient(flaky).createBatch(batch)
        #expect(made.id == "b1" && flaky.requests.count == 3)
        let keys = flaky.requests.map { request in request.headers.first { $0.name.lowercased() == "idempotency-key" }?.value }
        #expect(keys[0] != nil && Set(keys).count == 1, "one key for every attempt of one create")

        let garbage = RecordingTransport { _, _ in response(200, "{\"task_id\": \"t\", \"status\": \"ready\"}\n<html>oops</html>") }
        let results = await #expect(throws: APIError.self) { try await makeClient(garbage).batchResults("b1") }
        #expect(results?.code == .invalidResponse && results?.operation == .batchResults)
        let notABatch = RecordingTransport { _, _ in response(200, "[1, 2]") }
        let retrieved = await #expect(throws: APIError.self) { try await makeClient(notABatch).retrieveBatch("b1") }
        #expect(retrieved?.code == .invalidResponse)
        let refused = RecordingTransport { _, _ in response(409, #"{"error": {"code": "batch_limit_exceeded", "message": "Too many active batches."}}"#) }
        let conflict = await #expect(throws: APIError.self) { try await makeClient(refused).createBatch(batch) }
        #expect(conflict?.code == .conflict && conflict?.platformCode == "batch_limit_exceeded" && refused.requests.count == 1, "409 is not retried")
        let silent = RecordingTransport { _, _ in throw TransportError("connection refused") }
        let down = await #expect(throws: APIError.self) {
            try await makeClient(silent, configure: { $0.retryPolicy.maximumAttempts = 2 }).listBatches()
        }
        #expect(down?.code == .connectionFailed && silent.requests.count == 2)
        // A bad id or paging never leaves the client.
        let unused = RecordingTransport { _, _ in response(200, "{}") }
        await #expect(throws: APIError.self) { try await makeClient(unused).listBatches(pageLimit: 51) }
        #expect(unused.requests.isEmpty)
    }

    /// The results stream ends with a typed error when the batch outlasts the timeout.
    @Test func finishedItemsStopAtTheTimeout() async throws {
        let running = RecordingTransport { request, _ in
            request.url.hasSuffix("/results")
                ? response(200, #"{"task_id": "t1", "custom_id": "a", "status": "ready", "data": {"generation_id": "g", "data": "done"}}"# + "\n"
                           + #"{"task_id": "t2", "custom_id": "b", "status": "processing"}"#)
                : response(200, #"{"batch_id": "b1", "status": "processing", "total_items": 2, "ready_items": 1, "processing_items": 1}"#)
        }
        var seen: [String] = []
        let stopped = await #expect(throws: APIError.self) {
            for try await item in makeClient(running).finishedBatchItems("b1", options: WaitOptions(minimumInterval: .seconds(1), timeout: .seconds(10))) {
                seen.append(item.taskID)
            }
        }
        #expect(seen == ["t1"], "a finished item is yielded once, however many polls see it")
        #expect(stopped?.code == .requestTimeout && stopped?.detail?.contains("1 items finished before the 10") == true, "\(String(describing: stopped))")
        let results = running.requests.filter { $0.url.hasSuffix("/results") }.count
        #expect(results == 1 && running.requests.count > 3, "results are read again only when more items have finished")
    }
}
