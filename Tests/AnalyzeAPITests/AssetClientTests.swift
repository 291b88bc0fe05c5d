import AnalyzeAPI
import Foundation
import Sandbox
import Testing

/// The asset operations of the client: direct upload, asset waits, multipart calls and storage PUTs.
@Suite(.timeLimit(.minutes(3))) struct AssetClientTests {
    static func tempFile(_ bytes: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("asset-client-\(UUID().uuidString).bin")
        try bytes.write(to: url)
        return url.path
    }

    /// The server lists a session's chunks a page at a time; the client follows `page_info` to the end,
    /// so that a resume from the server's view knows every stored chunk. A server without `page_info`
    /// is one page.
    @Test func uploadStatusFollowsEveryPageOfChunks() async throws {
        let transport = RecordingTransport { request, _ in
            let page = Int(URLComponents(string: request.url)?.queryItems?.first { $0.name == "page" }?.value ?? "") ?? 0
            let chunks = (1...50).map { (page - 1) * 50 + $0 }.filter { $0 <= 120 }
                .map { #"{"index": \#($0), "status": "completed"}"# }.joined(separator: ",")
            return response(200, #"{"status": "active", "uploaded_chunks": [\#(chunks)], "page_info": {"limit_per_page": 50, "page": \#(page), "total_page": 3, "total_results": 120}}"#)
        }
        let status = try await makeClient(transport).multipartUploadStatus(uploadID: "u1")
        #expect(status.uploadedChunks.map(\.chunkIndex) == Array(1...120))
        #expect(transport.requests.map { URLComponents(string: $0.url)?.query } == ["page=1&page_limit=50", "page=2&page_limit=50", "page=3&page_limit=50"])
        let onePage = RecordingTransport { _, _ in response(200, #"{"status": "completed", "uploaded_chunks": [{"chunk_index": 1}]}"#) }
        #expect(try await makeClient(onePage).multipartUploadStatus(uploadID: "u1").uploadedChunks.count == 1)
        #expect(onePage.requests.count == 1)
    }

    @Test func putChunkSendsNoKeyAppliesHeadersAndStripsTheETag() async throws {
        let path = try Self.tempFile(Data("0123456789".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (etag, expected) in [("\"abc\"", "abc"), ("W/\"w1\"", "w1"), ("plain", "plain")] {
            let transport = RecordingTransport { _, _ in response(200, headers: ["etag": etag]) }
            let result = try await makeClient(transport).putChunk(
                url: "https://storage.example.test/b/u/1?X-Sig=s", headers: ["x-amz-acl": "private", "X-API-Key": "smuggled"],
                file: FileRange(path: path, offset: 2, length: 5))
            #expect(result == expected)
            let sent = try #require(transport.requests.first)
            #expect(sent.method == "PUT" && sent.url == "https://storage.example.test/b/u/1?X-Sig=s")
            #expect(sent.header("x-api-key") == nil)
            #expect(!sent.headers.contains { $0.value == testKey })
            #expect(sent.header("x-amz-acl") == "private")
            #expect(try await sent.content?.collect() == Data("23456".utf8))
        }
    }

    @Test func putChunkRetriesTransientFailuresReReadingTheRange() async throws {
        let path = try Self.tempFile(Data("abcdefgh".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let transport = RecordingTransport(sequence: [.success(response(500)), .failure(TransportError("reset")), .success(response(200, headers: ["ETag": "\"e\""]))])
        let etag = try await makeClient(transport).putChunk(url: "http://127.0.0.1:1/s/1", file: FileRange(path: path, length: 8, readSize: 3))
        #expect(etag == "e")
        #expect(transport.requests.count == 3)
        for request in transport.requests { #expect(try await request.content?.collect() == Data("abcdefgh".utf8)) }
        let single = RecordingTransport { _, _ in response(503) }
        let error = await expectAPIError {
            _ = try await makeClient(single).putChunk(url: "http://127.0.0.1:1/s/1", file: FileRange(path: path, length: 8), singleAttempt: true)
        }
        #expect(error?.code == .serverError && error?.operation == .putChunk && single.requests.count == 1)
    }

    @Test func putChunkNeverFollowsRedirectsAndNeedsAnETag() async throws {
        let path = try Self.tempFile(Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let redirect = RecordingTransport { _, _ in response(307, headers: ["Location": "https://elsewhere.test/"]) }
        let moved = await expectAPIError { _ = try await makeClient(redirect).putChunk(url: "https://s.test/1", file: FileRange(path: path, length: 1)) }
        #expect(moved?.code == .unexpectedRedirect && redirect.requests.count == 1)
        let bare = RecordingTransport { _, _ in response(200) }
        let missing = await expectAPIError { _ = try await makeClient(bare).putChunk(url: "https://s.test/1", file: FileRange(path: path, length: 1)) }
        #expect(missing?.code == .invalidResponse)
        let refused = RecordingTransport { _, _ in response(403, "<Error>expired</Error>") }
        let forbidden = await expectAPIError { _ = try await makeClient(refused).putChunk(url: "https://s.test/1", file: FileRange(path: path, length: 1)) }
        #expect(forbidden?.code == .forbidden && refused.requests.count == 1)
        let unreadable = await expectAPIError {
            _ = try await makeClient(bare).putChunk(url: "https://s.test/1", file: FileRange(path: path + ".missing", length: 1))
        }
        #expect(unreadable?.code == .fileUnreadable)
    }

    @Test func uploadAssetStreamsAMultipartFormWithTheKey() async throws {
        let bytes = Data((0..<3000).map { UInt8($0 % 251) })
        let path = try Self.tempFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let transport = RecordingTransport { _, _ in response(201, #"{"_id":"as1","status":"processing","method":"direct"}"#) }
        let asset = try await makeClient(transport).uploadAsset(file: path, filename: "clip.mp4")
        #expect(asset.id == "as1" && asset.status == .processing)
        let sent = try #require(transport.requests.first)
        #expect(sent.url == "https://api.example.test/v1.3/assets" && sent.header("x-api-key") == testKey)
        let type = try #require(sent.header("Content-Type"))
        #expect(type.hasPrefix("multipart/form-data; boundary="))
        let boundary = String(type.dropFirst("multipart/form-data; boundary=".count))
        guard case .stream(let length, _) = sent.content else { Issue.record("the file must be streamed"); return }
        let body = try #require(try await sent.content?.collect())
        #expect(Int64(body.count) == length)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("--\(boundary)\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\ndirect\r\n"))
        #expect(text.contains("name=\"filename\"\r\n\r\nclip.mp4\r\n"))
        #expect(body.range(of: bytes) != nil)
        #expect(text.hasSuffix("\r\n--\(boundary)--\r\n"))
    }

    @Test func waitForAssetPollsUntilReadyOrFailed() async throws {
        let statuses = ["processing", "processing", "ready"]
        let transport = RecordingTransport { _, index in response(200, #"{"_id":"a","status":"\#(statuses[index])"}"#) }
        let clock = ManualClock(mode: .autoAdvance)
        let options = WaitOptions(minimumInterval: .seconds(1), maximumInterval: .seconds(4), multiplier: 2, jitter: 0)
        guard case .ready(let asset) = try await makeClient(transport, clock: clock).waitForAsset("a", options: options) else {
            Issue.record("expected ready"); return
        }
        #expect(asset.id == "a" && transport.requests.count == 3 && clock.sleeps == [.seconds(1), .seconds(2)])
        let failing = RecordingTransport { _, _ in response(200, #"{"_id":"a","status":"failed","error":{"message":"not a video"}}"#) }
        guard case .failed(let failed) = try await makeClient(failing).waitForAsset("a", options: options) else { Issue.record("expected failed"); return }
        #expect(failed.error?.message == "not a video")
        let stuck = RecordingTransport { _, _ in response(200, #"{"_id":"a","status":"processing"}"#) }
        var short = options
        short.timeout = .seconds(5)
        guard case .timedOut(let seen, _) = try await makeClient(stuck).waitForAsset("a", options: short) else { Issue.record("expected a timeout"); return }
        #expect(seen?.status == .processing)
    }

    @Test func multipartCallsValidateBeforeSending() async throws {
        let transport = RecordingTransport { _, _ in response(200, "{}") }
        let client = makeClient(transport)
        for (start, count) in [(0, 1), (1, 0), (1, 51)] {
            let error = await expectAPIError { _ = try await client.presignedURLs(uploadID: "u", start: start, count: count) }
            #expect(error?.code == .validationFailed)
        }
        let empty = await expectAPIError { _ = try await client.reportCompletedChunks(uploadID: "u", []) }
        #expect(empty?.code == .validationFailed)
        let zero = await expectAPIError { _ = try await client.createMultipartUpload(CreateMultipartUploadRequest(filename: "a", totalSize: 0)) }
        #expect(zero?.code == .validationFailed)
        #expect(transport.requests.isEmpty)
    }

    @Test func multipartCallsSendTheDocumentedBodies() async throws {
        let transport = RecordingTransport { request, _ in
            if request.url.hasSuffix("/presigned-urls") { return response(200, #"{"upload_urls":[{"chunk_index":3,"url":"https://s.test/3"}]}"#) }
            if request.method == "GET" { return response(200, #"{"status":"active","chunks_completed":1}"#) }
            return response(200, #"{"asset_id":"a","processed_chunks":1,"duplicate_chunks":0,"total_completed":1}"#)
        }
        let client = makeClient(transport)
        let batch = try await client.presignedURLs(uploadID: "u/1", start: 3, count: 2)
        #expect(batch.uploadURLs.map(\.chunkIndex) == [3])
        let report = try await client.reportCompletedChunks(uploadID: "u/1", [CompletedChunk(chunkIndex: 1, proof: "e1", chunkSize: 5)])
        #expect(report.totalCompleted == 1)
        let status = try await client.multipartUploadStatus(uploadID: "u/1")
        #expect(status.status == "active" && status.chunksCompleted == 1)
        let sent = transport.requests
        #expect(sent.map(\.url) == [
            "https://api.example.test/v1.3/assets/multipart-uploads/u%2F1/presigned-urls",
            "https://api.example.test/v1.3/assets/multipart-uploads/u%2F1",
            "https://api.example.test/v1.3/assets/multipart-uploads/u%2F1?page=1&page_limit=50",
        ])
        #expect(try jsonValue(String(decoding: sent[0].body ?? Data(), as: UTF8.self)) == (try jsonValue(#"{"start":3,"count":2}"#)))
        #expect(try jsonValue(String(decoding: sent[1].body ?? Data(), as: UTF8.self))
            == (try jsonValue(#"{"completed_chunks":[{"chunk_index":1,"proof":"e1","proof_type":"etag","chunk_size":5}]}"#)))
        #expect(sent.allSatisfy { $0.header("x-api-key") == testKey })
    }

    /// The streamed-body path of AsyncHTTPClientTransport, over real loopback HTTP: a create request sent in
    /// small chunks arrives whole, and a retried attempt re-makes the stream.
    @Test func streamedCreateBodyOverRealHTTP() async throws {
        try await withSandboxClient { sandbox, client in
            let body = try WireCoding.encoder().encode(sampleRequest)
            let pieces = stride(from: 0, to: body.count, by: 7).map { body.subdata(in: $0..<min($0 + 7, body.count)) }
            sandbox.state.enqueue(ScriptedResponse(status: 503))
            let reference = try await client.createTask(encodedBody: .stream(length: Int64(body.count), make: { ByteChunks(chunks: pieces) }))
            #expect(sandbox.state.requests.map(\.status) == [503, 202])
            let task = try await client.retrieveTask(reference.id)
            #expect(task.id == reference.id)
        }
    }
}
