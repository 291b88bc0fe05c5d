import AnalyzeAPI
import Foundation
import Testing

/// Literal JSON written from API.md, decoded by our types, and our encodings compared with literal JSON.
@Suite struct WireGoldenTests {
    @Test func createRequestEncodesExactlyTheDocumentedBody() throws {
        let request = CreateAsyncAnalyzeRequest(
            video: .base64String("AAAAIGZ0eXBpc29t"),
            prompt: "List every product shown, with timestamps.",
            temperature: 0.2,
            maxTokens: 2048,
            responseFormat: ResponseFormat(jsonSchema: try jsonValue("""
                {"type": "object", "properties": {"products": {"type": "array", "items": {"type": "string"}}}, "required": ["products"]}
                """)))
        let golden = """
            {
              "video": {"type": "base64_string", "base64_string": "AAAAIGZ0eXBpc29t"},
              "prompt": "List every product shown, with timestamps.",
              "temperature": 0.2,
              "max_tokens": 2048,
              "response_format": {"type": "json_schema", "json_schema": {"type": "object", "properties": {"products": {"type": "array", "items": {"type": "string"}}}, "required": ["products"]}}
            }
            """
        #expect(try jsonValue(encoding: request) == jsonValue(golden))
        // And the literal decodes to the same value.
        let decoded = try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: Data(golden.utf8))
        #expect(decoded == request)
    }

    /// `GET /assets/multipart-uploads/{id}` as the published contract gives it (`ChunkInfo` items:
    /// `index`, `status`, `uploaded_at`, `updated_at`, `error`), and the older `chunk_index` shape.
    @Test func uploadStatusDecodesThePublishedChunkShapeAndTheOldOne() throws {
        let published = """
            {"upload_id": "u1", "status": "active", "chunks_completed": 2, "chunks_pending": 1, "chunks_failed": 1,
             "uploaded_chunks": [
               {"index": 1, "status": "completed", "uploaded_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:00:01.5Z"},
               {"index": 2, "status": "completed", "uploaded_at": "2026-11-30T10:00:02Z", "updated_at": "2026-11-30T10:00:02Z"},
               {"index": 3, "status": "failed", "updated_at": "2026-11-30T10:00:03Z", "error": "checksum mismatch"}],
             "total_size": 15000000, "uploaded_size": 10485760, "created_at": "2026-11-30T09:59:00Z",
             "updated_at": "2026-11-30T10:00:03Z", "page_info": {"limit_per_page": 50, "page": 1, "total_page": 1, "total_results": 3}}
            """
        let status = try WireCoding.decoder().decode(MultipartUploadStatus.self, from: Data(published.utf8))
        #expect(status.uploadedChunks.map(\.chunkIndex) == [1, 2, 3])
        #expect(status.uploadedChunks.map(\.isCompleted) == [true, true, false])
        #expect(status.uploadedChunks[2].error == "checksum mismatch")
        #expect(status.uploadedChunks[0].uploadedAt == RFC3339.date(from: "2026-11-30T10:00:00Z"))
        #expect(status.uploadedChunks[0].updatedAt == RFC3339.date(from: "2026-11-30T10:00:01.5Z"))

        let old = #"{"status": "active", "uploaded_chunks": [{"chunk_index": 4, "chunk_size": 1000, "proof": "e4"}]}"#
        let chunk = try #require(try WireCoding.decoder().decode(MultipartUploadStatus.self, from: Data(old.utf8)).uploadedChunks.first)
        #expect(chunk.chunkIndex == 4 && chunk.isCompleted && chunk.proof == "e4" && chunk.chunkSize == 1000)

        // Encoding writes the published shape only.
        let encoded = try jsonValue(encoding: UploadedChunk(chunkIndex: 4, chunkSize: 1000, proof: "e4"))
        #expect(encoded == (try jsonValue(#"{"index": 4, "status": "completed"}"#)))
        #expect(throws: DecodingError.self) {
            try WireCoding.decoder().decode(UploadedChunk.self, from: Data(#"{"status": "completed"}"#.utf8))
        }
    }

    /// `GET /assets` (AssetDetail items, `_id`) and `GET /assets/multipart-uploads` (IncompleteUploadSummary).
    @Test func assetAndIncompleteUploadPagesDecode() throws {
        let assets = """
            {"data": [{"_id": "6720a55e0000000000000002", "status": "ready", "method": "multipart", "filename": "a.mp4",
                       "size": 49527, "created_at": "2026-12-01T12:36:51.811Z", "duration": 5.0, "file_type": "video/mp4"}],
             "page_info": {"limit_per_page": 10, "page": 1, "total_page": 1, "total_results": 1}}
            """
        let page = try WireCoding.decoder().decode(AssetPage.self, from: Data(assets.utf8))
        #expect(page.data.map(\.id) == ["6720a55e0000000000000002"] && page.data[0].status == .ready && page.data[0].size == 49527)
        #expect(page.pageInfo.totalResults == 1)
        let uploads = """
            {"data": [{"upload_id": "u1", "status": "active", "total_size": 50000, "chunk_size": 20000, "total_chunks": 3,
                       "created_at": "2026-12-01T12:37:00.246Z", "expires_at": "2026-12-02T12:37:00.246Z"}],
             "page_info": {"limit_per_page": 10, "page": 1, "total_page": 1, "total_results": 1}}
            """
        let sessions = try WireCoding.decoder().decode(IncompleteUploadPage.self, from: Data(uploads.utf8))
        #expect(sessions.data == [IncompleteUpload(uploadID: "u1", status: "active", totalSize: 50000, chunkSize: 20000, totalChunks: 3,
                                                   createdAt: RFC3339.date(from: "2026-12-01T12:37:00.246Z"),
                                                   expiresAt: RFC3339.date(from: "2026-12-02T12:37:00.246Z"))])
    }

    /// The newer task fields of the contract: `batch_id`, `video_source` (with `system_metadata`),
    /// `request_params` (kept as JSON), `error.code` and the `canceled` status.
    @Test func taskObjectsCarryTheirBatchSourceAndParameters() throws {
        let json = """
            {"task_id": "t1", "custom_id": null, "status": "canceled", "created_at": "2026-11-20T10:00:00Z",
             "batch_id": "b1", "error": {"code": "batch_canceled", "message": "The batch was canceled."},
             "video_source": {"type": "asset_id", "asset_id": "a1", "url": null, "system_metadata": {"duration": 125.5}},
             "request_params": {"prompt": "Describe.", "analysis_mode": "general", "max_tokens": 4096, "start_time": null}}
            """
        let task = try WireCoding.decoder().decode(AnalyzeTask.self, from: Data(json.utf8))
        #expect(task.status == .canceled && task.status.isTerminal)
        #expect(task.batchID == "b1" && task.error?.code == "batch_canceled")
        #expect(task.videoSource == TaskVideoSource(type: "asset_id", assetID: "a1", durationSeconds: 125.5))
        #expect(task.requestParams?["prompt"]?.stringValue == "Describe.")
        let minimal = try WireCoding.decoder().decode(AnalyzeTask.self, from: Data(#"{"task_id": "t2", "status": "queued", "video_source": null, "request_params": null}"#.utf8))
        #expect(minimal.videoSource == nil && minimal.requestParams == nil && minimal.batchID == nil)
    }

    @Test func nilOptionalsAreOmittedNotNull() throws {
        let encoded = String(decoding: try WireCoding.encoder().encode(sampleRequest), as: UTF8.self)
        #expect(encoded == #"{"prompt":"Describe the scene.","video":{"type":"url","url":"https://cdn.example.com/clip.mp4"}}"#)
        #expect(!encoded.contains("null"))
    }

    @Test func newerOptionalFieldsUseSnakeCase() throws {
        let request = CreateAsyncAnalyzeRequest(
            video: .assetID("6710f6f6c1d3e2a8b9c0d1e2"), prompt: "p", maxTokens: .unlimited, modelName: "pegasus1.5",
            customID: "batch-7_a", analysisMode: "segment", startTime: 10, endTime: 70.5)
        #expect(try jsonValue(encoding: request) == jsonValue("""
            {"video": {"type": "asset_id", "asset_id": "6710f6f6c1d3e2a8b9c0d1e2"}, "prompt": "p", "max_tokens": "unlimited",
             "model_name": "pegasus1.5", "custom_id": "batch-7_a", "analysis_mode": "segment", "start_time": 10, "end_time": 70.5}
            """))
    }

    @Test(arguments: [
        (#"{"type":"url","url":"https://x.test/a.mp4"}"#, VideoContext.url("https://x.test/a.mp4")),
        (#"{"type":"asset_id","asset_id":"abc"}"#, VideoContext.assetID("abc")),
        (#"{"type":"base64_string","base64_string":"AAAA"}"#, VideoContext.base64String("AAAA")),
    ])
    func videoContextIsADiscriminatedUnion(literal: String, expected: VideoContext) throws {
        #expect(try WireCoding.decoder().decode(VideoContext.self, from: Data(literal.utf8)) == expected)
        #expect(try jsonValue(encoding: expected) == jsonValue(literal))
    }

    @Test func unknownVideoTypeIsRejected() {
        #expect(throws: DecodingError.self) {
            try WireCoding.decoder().decode(VideoContext.self, from: Data(#"{"type":"s3","s3":"b"}"#.utf8))
        }
    }

    @Test func maxTokensIsANumberOrUnlimited() throws {
        #expect(try WireCoding.decoder().decode(MaxTokens.self, from: Data("4096".utf8)) == .count(4096))
        #expect(try WireCoding.decoder().decode(MaxTokens.self, from: Data(#""unlimited""#.utf8)) == .unlimited)
        #expect(throws: DecodingError.self) { try WireCoding.decoder().decode(MaxTokens.self, from: Data(#""lots""#.utf8)) }
        #expect(String(decoding: try WireCoding.encoder().encode(MaxTokens.count(12)), as: UTF8.self) == "12")
    }

    @Test func documentedTaskObjectDecodes() throws {
        let literal = """
            {
              "task_id": "6710f6f6c1d3e2a8b9c0d1e2",
              "custom_id": null,
              "status": "ready",
              "created_at": "2026-11-20T10:00:00.123Z",
              "completed_at": "2026-11-20T10:04:31Z",
              "result": {"generation_id": "gen_1", "data": "{\\"products\\":[\\"kettle\\"]}", "finish_reason": "stop",
                         "usage": {"output_tokens": 12, "input_tokens": 950}},
              "webhooks": [{"url": "https://hooks.example.com/tl", "delivered": true, "attempts": 1}],
              "video_source": {"type": "url"}, "request_params": {}, "batch_id": "b1"
            }
            """
        let task = try WireCoding.decoder().decode(AnalyzeTask.self, from: Data(literal.utf8))
        #expect(task.id == "6710f6f6c1d3e2a8b9c0d1e2")
        #expect(task.customID == nil)
        #expect(task.status == .ready)
        #expect(abs((task.createdAt?.timeIntervalSince1970 ?? 0) - 1_795_168_800.123) < 0.000_001)
        #expect(task.completedAt == Date(timeIntervalSince1970: 1_795_169_071))
        #expect(task.result?.generationID == "gen_1")
        #expect(task.result?.data == #"{"products":["kettle"]}"#)
        #expect(task.result?.finishReason == .stop)
        #expect(task.result?.usage == TokenUsage(outputTokens: 12, inputTokens: 950))
        #expect(task.webhooks == [WebhookDelivery(url: "https://hooks.example.com/tl", delivered: true, attempts: 1)])
        struct Products: Decodable { var products: [String] }
        #expect(try task.result?.decodeJSON(as: Products.self).products == ["kettle"])
    }

    @Test func taskEncodingOmitsNilsAndUsesWireKeys() throws {
        let task = AnalyzeTask(
            id: "t1", status: .failed, createdAt: Date(timeIntervalSince1970: 1_795_168_800.5),
            error: TaskError(message: "Video too short.", code: "video_duration_too_short"))
        #expect(try jsonValue(encoding: task) == jsonValue("""
            {"task_id": "t1", "status": "failed", "created_at": "2026-11-20T10:00:00.500Z",
             "error": {"message": "Video too short.", "code": "video_duration_too_short"}}
            """))
    }

    @Test func minimalAndUnfinishedTasksDecode() throws {
        let task = try WireCoding.decoder().decode(AnalyzeTask.self, from: Data(#"{"task_id":"t","status":"processing"}"#.utf8))
        #expect(task.status == .processing && task.result == nil && task.completedAt == nil && task.webhooks == nil)
        let unfinished = try WireCoding.decoder().decode(TaskResult.self, from: Data(#"{"data":"","finish_reason":null}"#.utf8))
        #expect(unfinished.finishReason == nil)
    }

    @Test(arguments: ["queued", "pending", "processing", "ready", "failed", "canceled", "archived"])
    func statusDecodesIncludingUnknown(raw: String) throws {
        let status = try WireCoding.decoder().decode(TaskStatus.self, from: Data("\"\(raw)\"".utf8))
        #expect(status.rawValue == raw)
        #expect(status.isTerminal == ["ready", "failed", "canceled"].contains(raw))
        if raw == "archived" { #expect(status == .unknown("archived")) }
    }

    @Test(arguments: [
        ("2024-09-26T10:29:19.968Z", 1_727_346_559.968),
        ("2022-08-01T17:22:18.372553+09:00", 1_659_342_138.372553),
        ("2026-11-20T10:04:31Z", 1_795_169_071.0),
        ("2026-11-20T05:04:31-05:00", 1_795_169_071.0),
        ("2024-02-29T00:00:00.1+00:00", 1_709_164_800.1),
    ])
    func datesWithAndWithoutFractionsAndOffsets(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.date(from: text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: ["2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T00:00:00", "2024-01-01 junk", "2024-01-01T00:00:00.Z"])
    func malformedDatesAreRejected(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test func listPageDecodes() throws {
        let page = try WireCoding.decoder().decode(TaskPage.self, from: Data("""
            {"data": [{"task_id": "a", "status": "queued"}, {"task_id": "b", "status": "ready", "result": {"data": "hi"}}],
             "page_info": {"limit_per_page": 2, "page": 1, "total_page": 3, "total_results": 5}}
            """.utf8))
        #expect(page.data.map(\.id) == ["a", "b"])
        #expect(page.pageInfo == PageInfo(limitPerPage: 2, page: 1, totalPage: 3, totalResults: 5))
        #expect(try jsonValue(encoding: page.pageInfo) == jsonValue(#"{"limit_per_page": 2, "page": 1, "total_page": 3, "total_results": 5}"#))
    }

    @Test func createAndCancelAnswersDecode() throws {
        let created = try WireCoding.decoder().decode(TaskReference.self, from: Data(#"{"task_id": "t9", "status": "queued"}"#.utf8))
        #expect(created == TaskReference(id: "t9", status: .queued))
        let canceled = try WireCoding.decoder().decode(TaskReference.self, from: Data(#"{"task_id": "t9", "status": "canceled"}"#.utf8))
        #expect(canceled.status == .canceled)
    }

    @Test(arguments: [
        (#"{"error": {"code": "parameter_invalid", "message": "bad temperature", "details": {"field": "temperature"}}}"#, "parameter_invalid", "bad temperature"),
        (#"{"code": "api_key_invalid", "message": "The API key is invalid."}"#, "api_key_invalid", "The API key is invalid."),
        (#"{"code": "too_many_requests"}"#, "too_many_requests", nil),
    ])
    func errorBodiesDecodeNestedThenFlat(literal: String, code: String, message: String?) throws {
        let body = try #require(PlatformErrorBody.parse(Data(literal.utf8)))
        #expect(body.code == code)
        #expect(body.message == message)
    }

    @Test func nonErrorBodiesAreNotErrorBodies() {
        #expect(PlatformErrorBody.parse(Data()) == nil)
        #expect(PlatformErrorBody.parse(Data("<html>bad gateway</html>".utf8)) == nil)
        #expect(PlatformErrorBody.parse(Data(#"{"status": 500}"#.utf8)) == nil)
    }

    @Test func truncatedResultSaysSo() throws {
        let result = TaskResult(data: #"{"products": ["ket"#, finishReason: .length)
        #expect(result.isTruncated)
        do {
            _ = try result.decodeJSON(as: JSONValue.self)
            Issue.record("expected a truncation error")
        } catch let error as ResultDataError {
            #expect(error.code == .resultTruncated)
            #expect(error.message.contains("max_tokens"))
        }
        let plain = TaskResult(data: "not json", finishReason: .stop)
        #expect(throws: ResultDataError.self) { try plain.decodeJSON(as: JSONValue.self) }
        let wrongShape = TaskResult(data: "[1,2]", finishReason: .stop)
        do {
            struct Object: Decodable { var a: Int }
            _ = try wrongShape.decodeJSON(as: Object.self)
            Issue.record("expected a type mismatch")
        } catch let error as ResultDataError {
            #expect(error.code == .resultTypeMismatch)
        }
    }

    @Test func rfc3339FormatRoundTrips() {
        let date = Date(timeIntervalSince1970: 1_795_168_800.123)
        #expect(RFC3339.string(from: date) == "2026-11-20T10:00:00.123Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}
