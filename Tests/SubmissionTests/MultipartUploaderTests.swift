import AnalyzeAPI
import Foundation
import Submission
import Testing

@Suite("Multipart uploader over a test-double API")
struct MultipartUploaderTests {
    func uploader(_ api: FakeAssetAPI, stateDirectory: URL, configure: (inout MultipartUploadOptions) -> Void = { _ in }) -> MultipartUploader {
        var options = MultipartUploadOptions()
        options.stateStore = UploadStateStore(directory: stateDirectory)
        options.reportBatchSize = 4
        configure(&options)
        return MultipartUploader(client: fakeClient(api), options: options)
    }

    @Test("every chunk is PUT once without the key, with the upload headers; reports are batched; the state is removed")
    func complete() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 4096 * 9 + 100)
        let api = FakeAssetAPI()
        let states = directory.appendingPathComponent("state")
        let result = try await uploader(api, stateDirectory: states).upload(file: path)
        let snapshot = api.snapshot
        #expect(result.assetID == "a1" && result.asset?.status == .ready)
        #expect(result.totalChunks == 10 && Set(result.chunksSent) == Set(1...10) && !result.resumed)
        #expect(snapshot.putCounts == Dictionary(uniqueKeysWithValues: (1...10).map { ($0, 1) }))
        var whole = Data()
        for index in 1...10 { whole.append(snapshot.stored[index]!) }
        #expect(whole == (try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(snapshot.reported[1] == "etag-1-4096")
        let puts = api.requests("PUT", "storage.test")
        #expect(puts.allSatisfy { !$0.headers.contains { $0.name.lowercased() == "x-api-key" } })
        #expect(puts.allSatisfy { $0.headers.contains { $0.name == "x-storage-class" } })
        let reports = api.requests("POST", "/multipart-uploads/u1").filter { !$0.url.hasSuffix("presigned-urls") }
        #expect(reports.count == 3)
        #expect(snapshot.maxInFlight <= 4)
        #expect((try FileManager.default.contentsOfDirectory(atPath: states.path)).isEmpty)
    }

    @Test("URLs missing from the first answer are fetched in batches of at most 50")
    func batches() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.chunkSize = 64 }
        let path = try makeFile(in: directory, count: 64 * 120)
        let result = try await uploader(api, stateDirectory: directory.appendingPathComponent("s"), configure: { $0.parallelism = 1 })
            .upload(file: path)
        #expect(result.chunksSent.count == 120)
        let fetches = api.requests("POST", "presigned-urls")
        #expect(!fetches.isEmpty)
        for fetch in fetches {
            let object = try JSONSerialization.jsonObject(with: fetch.body) as? [String: Int]
            #expect((1...50).contains(object?["count"] ?? 0))
        }
        #expect(fetches.count <= 3)
    }

    @Test("URLs are fetched ahead of the chunks; a refused background fetch is not a chunk's failure")
    func prefetch() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.chunkSize = 64; $0.firstURLs = 3; $0.refuseURLRequests = 1 }
        let path = try makeFile(in: directory, count: 64 * 12)
        let result = try await uploader(api, stateDirectory: directory.appendingPathComponent("s"), configure: { $0.parallelism = 1 })
            .upload(file: path)
        #expect(result.chunksSent.count == 12)
        #expect(api.snapshot.putCounts.values.allSatisfy { $0 == 1 })
        // The first fetch asks for the chunks after the first answer's three, before chunk 4 needs one.
        let fetches = api.requests("POST", "presigned-urls")
        #expect(fetches.count >= 2, "the refused fetch and the one that replaced it")
        let first = try JSONSerialization.jsonObject(with: fetches[0].body) as? [String: Int]
        #expect(first?["start"] == 4)
    }

    @Test("a slow report does not hold up the uploads: slots are refilled while it waits; no batch exceeds its size")
    func reportsBesideUploads() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        // Each report is answered only after 3 more PUTs (or the last chunk): more than the two in flight when it
        // began, so only an uploader that keeps sending while a report waits gets past it without the deadline.
        api.configure { $0.chunkSize = 64; $0.firstURLs = 40; $0.reportWaitsForPuts = 3 }
        let path = try makeFile(in: directory, count: 64 * 40)
        let result = try await uploader(api, stateDirectory: directory.appendingPathComponent("s"), configure: {
            $0.parallelism = 2
            $0.reportBatchSize = 4
        }).upload(file: path)
        #expect(result.chunksSent.count == 40 && api.snapshot.reported.count == 40)
        // Inline reports would let at most the 2 chunks already in flight arrive during a report.
        #expect(api.snapshot.mostPutsDuringAReport > 2, "\(api.snapshot.mostPutsDuringAReport)")
        let reports = api.requests("POST", "/multipart-uploads/u1").filter { !$0.url.hasSuffix("presigned-urls") }
        for report in reports {
            let object = try JSONSerialization.jsonObject(with: report.body) as? [String: Any]
            #expect(((object?["completed_chunks"] as? [Any])?.count ?? 0) <= 4)
        }
    }

    @Test("a refused URL is replaced with a request of at most 50 URLs, even when the chunks after it already have theirs")
    func refusedURLWindow() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.chunkSize = 64; $0.firstURLs = 3; $0.putFailures = [5: [403]] }
        let path = try makeFile(in: directory, count: 64 * 120)
        let result = try await uploader(api, stateDirectory: directory.appendingPathComponent("s"), configure: { $0.parallelism = 1 })
            .upload(file: path)
        #expect(result.chunksSent.count == 120)
        #expect(api.snapshot.putCounts[5] == 2)
        for fetch in api.requests("POST", "presigned-urls") {
            let object = try JSONSerialization.jsonObject(with: fetch.body) as? [String: Int]
            #expect((1...50).contains(object?["count"] ?? 0), "\(object ?? [:])")
        }
    }

    @Test("a chunk that fails twice is retried and the upload completes")
    func retried() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.putFailures = [2: [500, 503]] }
        let path = try makeFile(in: directory, count: 4096 * 3)
        let clock = ManualClock(mode: .autoAdvance)
        var options = MultipartUploadOptions()
        options.stateStore = UploadStateStore(directory: directory)
        options.waitForReady = false
        _ = try await MultipartUploader(client: fakeClient(api, clock: clock), options: options).upload(file: path)
        let snapshot = api.snapshot
        #expect(snapshot.putCounts[2] == 3)
        // Two backoffs from the client's policy (jitter off in fakeClient): 0.5 s, then 1 s.
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
        // Each attempt used its own single-use URL.
        #expect(Set(api.requests("PUT", "/upload/u1/2?").map(\.url)).count == 3)
        #expect(snapshot.putCounts[1] == 1 && snapshot.putCounts[3] == 1)
        #expect(snapshot.uploadStatus == "completed")
    }

    @Test("an expired or refused URL (403) is replaced by a fresh one")
    func refreshed() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.putFailures = [1: [403], 3: [403]]; $0.firstURLs = 3 }
        let path = try makeFile(in: directory, count: 4096 * 3)
        _ = try await uploader(api, stateDirectory: directory).upload(file: path)
        let snapshot = api.snapshot
        #expect(snapshot.putCounts[1] == 2 && snapshot.putCounts[3] == 2)
        #expect(api.requests("POST", "presigned-urls").count >= 1)
        #expect(snapshot.uploadStatus == "completed")
    }

    @Test("URLs that expire within the margin are not used; fresh ones are fetched first")
    func expiringSoon() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.expiresIn = 10 }
        let path = try makeFile(in: directory, count: 4096 * 2)
        _ = try await uploader(api, stateDirectory: directory, configure: { $0.urlRefreshMargin = .seconds(60) }).upload(file: path)
        let snapshot = api.snapshot
        #expect(snapshot.putCounts == [1: 1, 2: 1])
        #expect(api.requests("POST", "presigned-urls").count >= 1)
        #expect(api.requests("PUT", "sig=1").isEmpty && api.requests("PUT", "sig=2").isEmpty)
    }

    @Test("an interrupted upload resumes from its state file and sends only the missing chunks")
    func resume() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.putFailures = [5: [400]] }
        let path = try makeFile(in: directory, count: 4096 * 8)
        let states = directory.appendingPathComponent("state")
        let store = UploadStateStore(directory: states)
        await #expect(throws: SubmissionError.self) {
            _ = try await uploader(api, stateDirectory: states, configure: { $0.parallelism = 1 }).upload(file: path)
        }
        let identity = try FileIdentity(file: path, baseURL: "https://api.test/v1")
        let saved = try #require(store.load(for: identity))
        #expect(saved.finishedIndexes == [1, 2, 3, 4])
        let before = api.snapshot.putCounts

        let result = try await uploader(api, stateDirectory: states).upload(file: path)
        let after = api.snapshot.putCounts
        #expect(result.resumed && result.chunksResumed == 4)
        #expect(Set(result.chunksSent) == [5, 6, 7, 8])
        for index in 1...4 { #expect(after[index] == before[index], "chunk \(index) was sent again") }
        #expect(api.snapshot.uploadStatus == "completed")
        #expect(store.load(for: identity) == nil)
    }

    @Test("a session the server no longer knows starts afresh")
    func staleState() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        let path = try makeFile(in: directory, count: 4096 * 2)
        let store = UploadStateStore(directory: directory.appendingPathComponent("s"))
        let identity = try FileIdentity(file: path, baseURL: "https://api.test/v1")
        try store.save(UploadState(identity: identity, uploadID: "gone", assetID: "a0", chunkSize: 4096, totalChunks: 2,
                                   finished: [.init(chunkIndex: 1, etag: "x", size: 4096)]))
        let result = try await uploader(api, stateDirectory: store.directory).upload(file: path)
        #expect(!result.resumed && Set(result.chunksSent) == [1, 2])
    }

    @Test("a failed asset is a typed error")
    func assetFailed() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.assetStatus = "failed" }
        let path = try makeFile(in: directory, count: 100)
        do {
            _ = try await uploader(api, stateDirectory: directory).upload(file: path)
            Issue.record("expected a failure")
        } catch let error as SubmissionError {
            #expect(error.code == .assetFailed && error.message.contains("not a video"))
        }
    }

    @Test("putChunk refuses a non-http URL and strips ETag quotes")
    func putChunkBasics() async throws {
        let api = FakeAssetAPI()
        let client = fakeClient(api)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 10)
        await #expect(throws: APIError.self) {
            _ = try await client.putChunk(url: "file:///etc/passwd", file: FileRange(path: path, length: 10))
        }
        #expect(api.requests.isEmpty)
        await #expect(throws: APIError.self) {
            _ = try await client.presignedURLs(uploadID: "u1", start: 1, count: 51)
        }
        #expect(api.requests.isEmpty)
    }
}
