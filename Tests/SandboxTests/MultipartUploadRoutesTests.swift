import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// Multipart uploads: sessions, presigned URLs served by the sandbox, chunk reports, faults and counters.
@Suite(.timeLimit(.minutes(3))) struct MultipartUploadRoutesTests {
    /// A small chunk size so that the 49,527-byte fixture has 50 chunks (the last one 527 bytes).
    static func small(_ configuration: inout SandboxConfiguration) {
        configuration.uploads.chunkSize = 1000
        configuration.uploads.initialURLCount = 20
    }

    static func create(_ client: AssetClient, size: Int, filename: String = "big.mp4") async throws -> JSONValue {
        let reply = try await client.post(
            "/assets/multipart-uploads", json: #"{"filename": "\#(filename)", "type": "video", "total_size": \#(size)}"#)
        #expect(reply.status == 201, "\(reply.text)")
        return try #require(reply.json)
    }

    static func urls(_ value: JSONValue?) -> [Int: String] {
        var result: [Int: String] = [:]
        for item in value?.arrayValue ?? [] {
            if case .integer(let index)? = item["chunk_index"], let url = item["url"]?.stringValue { result[index] = url }
        }
        return result
    }

    static func chunk(_ data: Data, _ index: Int, size: Int = 1000) -> Data {
        data.subdata(in: (index - 1) * size..<min(data.count, index * size))
    }

    static func report(_ chunks: [(Int, String, Int)]) -> String {
        let items = chunks.map { #"{"chunk_index": \#($0.0), "proof": "\#($0.1)", "proof_type": "etag", "chunk_size": \#($0.2)}"# }
        return #"{"completed_chunks": [\#(items.joined(separator: ", "))]}"#
    }

    @Test func wholeUploadAssemblesTheExactBytesAndTheAssetBecomesReady() async throws {
        let clock = ManualClock(mode: .manual)
        let video = try testMedia("ok_640x360_5s.mp4")
        let inspected = InspectedFiles()
        try await AssetClient.with({
            Self.small(&$0)
            $0.clock = clock
            $0.inspector = { url in
                await inspected.add(url)
                return nil
            }
        }) { client in
            let session = try await Self.create(client, size: video.count)
            let object = try #require(session.objectValue)
            #expect(Set(object.keys) == ["upload_id", "asset_id", "chunk_size", "total_chunks", "upload_urls", "upload_headers", "expires_at"])
            #expect(session["chunk_size"] == .integer(1000))
            #expect(session["total_chunks"] == .integer(50))
            #expect(session["upload_headers"] == .object(["x-sandbox-upload": .string("1")]))
            let expiry = try #require(session["expires_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            #expect(expiry == clock.currentDate().addingTimeInterval(86_400))
            let first = try #require(session["upload_urls"]?.arrayValue?.first?.objectValue)
            #expect(Set(first.keys) == ["chunk_index", "url", "expires_at"])
            #expect(first["expires_at"]?.stringValue.flatMap(RFC3339.date(from:)) == clock.currentDate().addingTimeInterval(3600))
            var urls = Self.urls(session["upload_urls"])
            #expect(urls.keys.sorted() == Array(1...20))
            #expect(urls[1]?.hasPrefix(client.origin + "/storage/uploads/") == true)
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let assetID = try #require(session["asset_id"]?.stringValue)
            #expect(client.state.uploadIDs == [uploadID])

            let more = try await client.post("/assets/multipart-uploads/\(uploadID)/presigned-urls", json: #"{"start": 21, "count": 50}"#)
            #expect(more.status == 200, "\(more.text)")
            #expect(Set(try #require(more.json?.objectValue).keys) == ["upload_urls", "upload_headers"])
            urls.merge(Self.urls(more.json?["upload_urls"])) { $1 }
            #expect(urls.keys.sorted() == Array(1...50))

            var etags: [Int: String] = [:]
            for index in (1...50).reversed() {
                let bytes = Self.chunk(video, index)
                let put = try await client.put(try #require(urls[index]), bytes)
                #expect(put.status == 200, "chunk \(index): \(put.text)")
                let etag = try #require(put.headers.first(name: "ETag"))
                #expect(etag == "\"\(fnv1a(bytes))\"")
                etags[index] = String(etag.dropFirst().dropLast())
            }
            #expect(try await client.send("GET", "/assets/\(assetID)").json?["status"] == .string("processing"))

            let firstBatch = try await client.post(
                "/assets/multipart-uploads/\(uploadID)", json: Self.report((1...30).map { ($0, etags[$0]!, 1000) }))
            #expect(firstBatch.status == 200, "\(firstBatch.text)")
            #expect(firstBatch.json == .object([
                "asset_id": .string(assetID), "processed_chunks": .integer(30), "duplicate_chunks": .integer(0), "total_completed": .integer(30),
            ]))
            let midway = try #require(try await client.send("GET", "/assets/multipart-uploads/\(uploadID)").json)
            #expect(Set(midway.objectValue?.keys ?? [:].keys) == [
                "upload_id", "status", "chunks_completed", "chunks_pending", "chunks_failed", "uploaded_chunks", "total_size",
                "uploaded_size", "created_at", "updated_at", "page_info",
            ])
            #expect(midway["status"] == .string("active"))
            #expect(midway["chunks_completed"] == .integer(30) && midway["chunks_pending"] == .integer(20))
            #expect(midway["chunks_failed"] == .integer(0))
            #expect(midway["uploaded_size"] == .integer(30_000) && midway["total_size"] == .integer(video.count))
            // A page at a time (default 10), with page_info; a page past the end is empty.
            let page3 = try await client.send("GET", "/assets/multipart-uploads/\(uploadID)?page=3&page_limit=12").json
            #expect(page3?["uploaded_chunks"]?.arrayValue?.compactMap { $0["index"]?.numberValue.map { Int($0) } } == Array(25...30))
            #expect(page3?["page_info"] == .object(["limit_per_page": .integer(12), "page": .integer(3), "total_page": .integer(3), "total_results": .integer(30)]))
            let past = try await client.send("GET", "/assets/multipart-uploads/\(uploadID)?page=4&page_limit=12").json
            #expect(past?["uploaded_chunks"] == .array([]))
            let badLimit = try await client.send("GET", "/assets/multipart-uploads/\(uploadID)?page_limit=51")
            #expect(badLimit.status == 400 && badLimit.json?["code"] == .string("parameter_invalid"))
            // The published shape: {"index", "status", "uploaded_at", "updated_at"} (and "error" for a failed chunk).
            let firstChunk = try #require(midway["uploaded_chunks"]?.arrayValue?.first?.objectValue)
            #expect(Set(firstChunk.keys) == ["index", "status", "uploaded_at", "updated_at"])
            #expect(firstChunk["index"] == .integer(1) && firstChunk["status"] == .string("completed"))
            #expect(firstChunk["uploaded_at"]?.stringValue.flatMap(RFC3339.date(from:)) != nil)

            // The rest, with two duplicates and the last (short) chunk's proof quoted as the ETag header was.
            var rest = (29...49).map { ($0, etags[$0]!, 1000) }
            rest.append((50, "\\\"\(etags[50]!)\\\"", 527))
            let last = try await client.post("/assets/multipart-uploads/\(uploadID)", json: Self.report(rest))
            #expect(last.status == 200, "\(last.text)")
            #expect(last.json?["processed_chunks"] == .integer(20))
            #expect(last.json?["duplicate_chunks"] == .integer(2))
            #expect(last.json?["total_completed"] == .integer(50))

            let done = try #require(try await client.send("GET", "/assets/multipart-uploads/\(uploadID)").json)
            #expect(done["status"] == .string("completed"))
            #expect(done["chunks_pending"] == .integer(0) && done["uploaded_size"] == .integer(video.count))
            let asset = try #require(try await client.send("GET", "/assets/\(assetID)").json)
            #expect(asset["status"] == .string("processing"))
            #expect(asset["method"] == .string("multipart") && asset["filename"] == .string("big.mp4"))
            #expect(asset["size"] == .integer(video.count))
            clock.advance(by: .seconds(1))
            // The chunks are joined and judged in the background: poll (bounded) until that is done.
            var status = try await client.send("GET", "/assets/\(assetID)").json?["status"]
            for _ in 0..<500 where status == .string("processing") {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.send("GET", "/assets/\(assetID)").json?["status"]
            }
            #expect(status == .string("ready"))
            #expect(await inspected.seen.first?.1 == video)

            // After completion: reports are duplicates, URLs and PUTs are refused.
            let again = try await client.post("/assets/multipart-uploads/\(uploadID)", json: Self.report([(1, etags[1]!, 1000)]))
            #expect(again.json?["duplicate_chunks"] == .integer(1))
            #expect(try await client.post("/assets/multipart-uploads/\(uploadID)/presigned-urls", json: #"{"start": 1, "count": 1}"#).status == 409)
            #expect(client.state.presignedURLRequestCount == 2)
            #expect(client.state.chunkReportCount == 3)
            #expect(client.state.storagePutCount == 50)
            #expect(client.state.chunkPuts(uploadID: uploadID)[7] == ChunkPutCounts(received: 1, stored: 1, failed: 0))
            #expect(client.state.storageRequestsWithAPIKey == 0)
        }
    }

    /// What the official Python SDK's `upload_file` sends: only `Content-Type: application/octet-stream`,
    /// no `upload_headers`. The storage route takes it unless strict mode is on.
    @Test func aChunkWithOnlyAContentTypeIsStoredAsTheSDKSendsIt() async throws {
        try await AssetClient.with({ Self.small(&$0) }) { client in
            let session = try await Self.create(client, size: 1000)
            let urls = Self.urls(session["upload_urls"])
            let put = try await client.put(urls[1]!, Data(repeating: 7, count: 1000), headers: ["Content-Type": "application/octet-stream"])
            #expect(put.status == 200, "\(put.text)")
        }
    }

    @Test func presignedURLsAreSingleUseExpireAndNeedTheUploadHeader() async throws {
        let clock = ManualClock(mode: .manual)
        try await AssetClient.with({
            Self.small(&$0)
            $0.clock = clock
            $0.uploads.urlLifetime = .seconds(60)
            $0.uploads.requiresUploadHeaders = true
        }) { client in
            let session = try await Self.create(client, size: 2500)
            #expect(session["total_chunks"] == .integer(3))
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let urls = Self.urls(session["upload_urls"])
            #expect(urls.keys.sorted() == [1, 2, 3])
            let bytes = Data(repeating: 1, count: 1000)

            let noHeader = try await client.put(urls[1]!, bytes, headers: [:])
            #expect(noHeader.status == 403)
            #expect(noHeader.text.contains("<Code>AccessDenied</Code>"))
            #expect(noHeader.headers.first(name: "Content-Type") == "application/xml")
            let withKey = try await client.put(urls[1]!, bytes, headers: ["x-sandbox-upload": "1", "x-api-key": AssetClient.key])
            #expect(withKey.status == 200)
            #expect(client.state.storageRequestsWithAPIKey == 1)
            let reused = try await client.put(urls[1]!, bytes)
            #expect(reused.status == 403)
            #expect(reused.text.contains("already been used"))

            let wrongSize = try await client.put(urls[2]!, Data(repeating: 1, count: 999))
            #expect(wrongSize.status == 400)
            #expect(wrongSize.text.contains("InvalidChunkSize"))
            let tooLong = try await client.put(urls[3]!, Data(repeating: 1, count: 1000))
            #expect(tooLong.status == 400)
            let otherChunk = try await client.put(urls[2]!.replacingOccurrences(of: "/2?", with: "/3?"), Data(repeating: 1, count: 500))
            #expect(otherChunk.status == 403)
            let noToken = try await client.put(client.origin + "/storage/uploads/\(uploadID)/2", Data(repeating: 1, count: 1000))
            #expect(noToken.status == 403)

            clock.advance(by: .seconds(60))
            let expired = try await client.put(urls[2]!, Data(repeating: 1, count: 1000))
            #expect(expired.status == 403)
            #expect(expired.text.contains("Request has expired"))
            let fresh = try await client.post("/assets/multipart-uploads/\(uploadID)/presigned-urls", json: #"{"start": 2, "count": 5}"#)
            let freshURLs = Self.urls(fresh.json?["upload_urls"])
            #expect(freshURLs.keys.sorted() == [2, 3])
            #expect(try await client.put(freshURLs[2]!, Data(repeating: 1, count: 1000)).status == 200)
            #expect(try await client.put(freshURLs[3]!, Data(repeating: 1, count: 500)).status == 200)

            let counts = client.state.chunkPuts(uploadID: uploadID)
            #expect(counts[1] == ChunkPutCounts(received: 3, stored: 1, failed: 2))
            #expect(counts[2] == ChunkPutCounts(received: 4, stored: 1, failed: 3))
            #expect(counts[3] == ChunkPutCounts(received: 3, stored: 1, failed: 2))
            #expect(client.state.storagePutCount == 10)
            let status = try #require(try await client.send("GET", "/assets/multipart-uploads/\(uploadID)").json)
            #expect(status["chunks_failed"] == .integer(0))
        }
    }

    @Test func reportsAreCheckedAgainstTheStoredChunks() async throws {
        try await AssetClient.with(Self.small) { client in
            let session = try await Self.create(client, size: 1500)
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let urls = Self.urls(session["upload_urls"])
            let first = Data(repeating: 3, count: 1000)
            let put = try await client.put(urls[1]!, first)
            let etag = fnv1a(first)
            #expect(put.headers.first(name: "ETag") == "\"\(etag)\"")
            let path = "/assets/multipart-uploads/\(uploadID)"
            let cases: [(String, Int, String)] = [
                (Self.report([(1, "0000000000000000", 1000)]), 400, "parameter_invalid"),
                (Self.report([(1, etag, 999)]), 400, "parameter_invalid"),
                (Self.report([(2, etag, 500)]), 400, "parameter_invalid"),
                (Self.report([(3, etag, 500)]), 400, "parameter_invalid"),
                (#"{"completed_chunks": []}"#, 400, "parameter_invalid"),
                (#"{}"#, 400, "parameter_not_provided"),
                (#"{"completed_chunks": [{"chunk_index": 1, "chunk_size": 1000}]}"#, 400, "parameter_not_provided"),
                (#"{"completed_chunks": [{"chunk_index": 1, "proof": "\#(etag)", "chunk_size": 1000, "proof_type": "md5"}]}"#, 400, "parameter_invalid"),
                (#"{"completed_chunks": [{"chunk_index": "1", "proof": "\#(etag)", "chunk_size": 1000}]}"#, 400, "parameter_invalid"),
                (#"{"completed_chunks": [], "extra": 1}"#, 400, "parameter_unknown"),
                ("not json", 400, "parameter_invalid"),
            ]
            for (body, status, code) in cases {
                let reply = try await client.post(path, json: body)
                #expect(reply.status == status, "\(body): \(reply.text)")
                #expect(reply.json?["code"] == .string(code), "\(body): \(reply.text)")
            }
            // A rejected batch records nothing, even its valid items.
            let mixed = try await client.post(path, json: Self.report([(1, etag, 1000), (2, etag, 500)]))
            #expect(mixed.status == 400)
            #expect(try await client.send("GET", path).json?["chunks_completed"] == .integer(0))

            let ok = try await client.post(path, json: Self.report([(1, etag, 1000), (1, etag, 1000)]))
            #expect(ok.json?["processed_chunks"] == .integer(1) && ok.json?["duplicate_chunks"] == .integer(1))

            // A chunk sent again with a fresh URL replaces the stored bytes; its old proof no longer matches.
            let fresh = Self.urls(try await client.post("\(path)/presigned-urls", json: #"{"start": 1, "count": 1}"#).json?["upload_urls"])
            let second = Data(repeating: 4, count: 1000)
            #expect(try await client.put(fresh[1]!, second).headers.first(name: "ETag") == "\"\(fnv1a(second))\"")
            #expect(try await client.send("GET", path).json?["chunks_completed"] == .integer(0))
            #expect(try await client.post(path, json: Self.report([(1, etag, 1000)])).status == 400)
            #expect(try await client.post(path, json: Self.report([(1, fnv1a(second), 1000)])).json?["processed_chunks"] == .integer(1))
        }
    }

    @Test func sessionAndURLRequestsAreValidated() async throws {
        let clock = ManualClock(mode: .manual)
        try await AssetClient.with({
            Self.small(&$0)
            $0.clock = clock
        }) { client in
            let cases: [(String, String)] = [
                (#"{"filename": "a.mp4", "type": "video", "total_size": 0}"#, "parameter_invalid"),
                (#"{"filename": "a.mp4", "type": "video", "total_size": 10000000001}"#, "parameter_invalid"),
                (#"{"filename": "a.mp4", "type": "video", "total_size": 1.5}"#, "parameter_invalid"),
                (#"{"filename": "a.mp4", "type": "video"}"#, "parameter_not_provided"),
                (#"{"type": "video", "total_size": 10}"#, "parameter_not_provided"),
                (#"{"filename": "", "type": "video", "total_size": 10}"#, "parameter_invalid"),
                (#"{"filename": "a.mp4", "total_size": 10}"#, "parameter_not_provided"),
                (#"{"filename": "a.mp4", "type": "audio", "total_size": 10}"#, "parameter_invalid"),
                (#"{"filename": "a.mp4", "type": "video", "total_size": 10, "parts": 2}"#, "parameter_unknown"),
                ("[]", "parameter_invalid"),
            ]
            for (body, code) in cases {
                let reply = try await client.post("/assets/multipart-uploads", json: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json?["code"] == .string(code), "\(body): \(reply.text)")
            }
            let maximum = try await Self.create(client, size: 10_000_000_000)
            #expect(maximum["total_chunks"] == .integer(10_000_000))
            #expect(maximum["upload_urls"]?.arrayValue?.count == 20)

            let session = try await Self.create(client, size: 100_000)
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let path = "/assets/multipart-uploads/\(uploadID)/presigned-urls"
            for (body, code) in [(#"{"start": 1, "count": 51}"#, "parameter_invalid"), (#"{"start": 1, "count": 0}"#, "parameter_invalid"),
                                 (#"{"start": 0, "count": 1}"#, "parameter_invalid"), (#"{"start": 101, "count": 1}"#, "parameter_invalid"),
                                 (#"{"count": 1}"#, "parameter_not_provided"), (#"{"start": 1}"#, "parameter_not_provided")] {
                let reply = try await client.post(path, json: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json?["code"] == .string(code), "\(body): \(reply.text)")
            }
            let batch = try await client.post(path, json: #"{"start": 60, "count": 50}"#)
            #expect(Self.urls(batch.json?["upload_urls"]).keys.sorted() == Array(60...100))

            clock.advance(by: .seconds(86_400))
            #expect(try await client.send("GET", "/assets/multipart-uploads/\(uploadID)").json?["status"] == .string("expired"))
            let expired = try await client.post(path, json: #"{"start": 1, "count": 1}"#)
            #expect(expired.status == 400 && expired.json?["code"] == .string("upload_expired"))
        }
    }

    @Test func scriptedChunkFailuresAreDeterministic() async throws {
        try await AssetClient.with(Self.small) { client in
            let session = try await Self.create(client, size: 3000)
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let urls = Self.urls(session["upload_urls"])
            let bytes = Data(repeating: 9, count: 1000)
            client.state.failChunk(2, times: 2, with: .status(503))
            client.state.failChunk(1, with: .drop, uploadID: uploadID)
            client.state.failChunk(3, with: .dropAfterStoring, uploadID: "another-upload")
            client.state.failChunk(3, with: .dropAfterStoring)

            #expect(try await client.put(urls[2]!, bytes).status == 503)
            let second = try await client.put(urls[2]!, bytes)
            #expect(second.status == 503 && second.text.contains("SlowDown"))
            #expect(try await client.put(urls[2]!, bytes).status == 200)

            await #expect(throws: (any Error).self) { _ = try await client.put(urls[1]!, bytes) }
            #expect(try await client.put(urls[1]!, bytes).status == 200)

            await #expect(throws: (any Error).self) { _ = try await client.put(urls[3]!, bytes) }
            #expect(try await client.put(urls[3]!, bytes).status == 403)

            #expect(client.state.chunkPuts(uploadID: uploadID) == [
                1: ChunkPutCounts(received: 2, stored: 1, failed: 1),
                2: ChunkPutCounts(received: 3, stored: 1, failed: 2),
                3: ChunkPutCounts(received: 2, stored: 1, failed: 1),
            ])
            // The chunk stored before the dropped answer can be reported with its ETag.
            let report = Self.report((1...3).map { ($0, fnv1a(bytes), 1000) })
            let done = try await client.post("/assets/multipart-uploads/\(uploadID)", json: report)
            #expect(done.json?["total_completed"] == .integer(3))
            #expect(client.state.requests.filter { $0.path.hasPrefix("/storage/") }.map(\.status) == [503, 503, 200, 0, 200, 0, 403])
        }
    }

    @Test func randomStorageFaultsAreSeparateFromAPIFaults() async throws {
        try await AssetClient.with({
            Self.small(&$0)
            $0.uploads.storageFaults = FaultInjection(rate: 1, kinds: [.rateLimited])
        }) { client in
            let session = try await Self.create(client, size: 1000)
            let url = try #require(Self.urls(session["upload_urls"])[1])
            let reply = try await client.put(url, Data(repeating: 0, count: 1000))
            #expect(reply.status == 503)
            #expect(reply.headers.first(name: "Retry-After") == "1")
            client.state.setStorageFaults(FaultInjection())
            #expect(try await client.put(url, Data(repeating: 0, count: 1000)).status == 200)
        }
    }

    @Test func chunkDelayHoldsTheAnswerOnTheSandboxClock() async throws {
        let clock = ManualClock(mode: .manual)
        try await AssetClient.with({
            Self.small(&$0)
            $0.clock = clock
            $0.uploads.chunkDelay = .seconds(30)
        }) { client in
            let session = try await Self.create(client, size: 1000)
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let url = try #require(Self.urls(session["upload_urls"])[1])
            async let reply = client.put(url, Data(repeating: 5, count: 1000))
            await clock.waitForSleepers(1)
            #expect(client.state.chunkPuts(uploadID: uploadID)[1] == nil)
            clock.advance(by: .seconds(30))
            #expect(try await reply.status == 200)
            #expect(client.state.chunkPuts(uploadID: uploadID)[1]?.stored == 1)
        }
    }

    @Test func controlRoutesExposeCountersAndScriptFaultsOverHTTP() async throws {
        try await AssetClient.with(Self.small) { client in
            let session = try await Self.create(client, size: 1000)
            let uploadID = try #require(session["upload_id"]?.stringValue)
            let url = try #require(Self.urls(session["upload_urls"])[1])
            let scripted = try await client.send(
                "POST", client.origin + "/_sandbox/chunk-faults", body: Data(#"{"chunk_index": 1, "times": 1, "fault": "500"}"#.utf8), headers: [:])
            #expect(scripted.status == 204)
            let bad = try await client.send("POST", client.origin + "/_sandbox/chunk-faults", body: Data(#"{"chunk_index": 1, "fault": "boom"}"#.utf8), headers: [:])
            #expect(bad.status == 400)
            #expect(try await client.put(url, Data(repeating: 1, count: 1000)).status == 500)
            #expect(try await client.put(url, Data(repeating: 1, count: 1000), headers: ["x-sandbox-upload": "1", "x-api-key": "k"]).status == 200)
            let stats = try #require(try await client.send("GET", client.origin + "/_sandbox/stats", headers: [:]).json)
            #expect(stats["storage_requests"] == .integer(2))
            #expect(stats["storage_requests_with_api_key"] == .integer(1))
            #expect(stats["upload_ids"] == .array([.string(uploadID)]))
            #expect(stats["uploads"]?[uploadID]?["chunk_puts"]?["1"] == .object(["received": .integer(2), "stored": .integer(1), "failed": .integer(1)]))
        }
    }
}
