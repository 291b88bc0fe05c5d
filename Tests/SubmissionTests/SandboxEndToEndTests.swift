import AnalyzeAPI
import Foundation
import Sandbox
import Submission
import Testing

/// Every source kind end to end over real loopback HTTP: the real client (AsyncHTTPClient) against an
/// in-process sandbox, whose counters prove what was and was not sent.
@Suite(.timeLimit(.minutes(3))) struct SandboxEndToEndTests {
    static let key = "sk-e2e-0123456789"
    static let ok = fixture("ok_640x360_5s.mp4")

    /// Runs `body` with a sandbox (fast lifecycle) and a submitter whose client points at it.
    func withSandbox<T: Sendable>(
        _ configure: (inout SandboxConfiguration) -> Void = { _ in },
        _ body: (RunningSandbox, Submitter, URL) async throws -> T
    ) async throws -> T {
        var configuration = SandboxConfiguration(apiKey: Self.key)
        configuration.port = 0
        configuration.lifecycle = TaskLifecycle(queued: .milliseconds(20), pending: .milliseconds(20), processing: .milliseconds(20))
        configuration.uploads.assetProcessing = .milliseconds(20)
        configure(&configuration)
        let states = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: states) }
        return try await Sandbox.withRunning(configuration) { sandbox in
            var client = AnalyzeClient.Configuration(apiKey: Self.key, baseURL: sandbox.baseURL)
            client.retryPolicy.initialBackoff = .milliseconds(5)
            client.retryPolicy.maximumBackoff = .milliseconds(20)
            return try await AnalyzeClient.withClient(configuration: client) { client in
                try await body(sandbox, Submitter(client: client), states)
            }
        }
    }

    func options(_ states: URL, _ configure: (inout SubmitOptions) -> Void = { _ in }) -> SubmitOptions {
        var options = SubmitOptions()
        options.wait = true
        let fast = WaitOptions(minimumInterval: .milliseconds(10), maximumInterval: .milliseconds(50), timeout: .seconds(30))
        options.waitOptions = fast
        options.assetWaitOptions = fast
        options.multipart.waitOptions = fast
        options.multipart.stateStore = UploadStateStore(directory: states)
        configure(&options)
        return options
    }

    @Test func base64SourceEndToEnd() async throws {
        try await withSandbox { sandbox, submitter, states in
            let result = try await submitter.submit(file: Self.ok, request: SubmissionRequest(prompt: "Describe."), options: options(states))
            #expect(result.plan.decision.kind == .base64)
            #expect(result.tasks.first?.outcome?.name == "ready")
            #expect(sandbox.state.requests.filter { $0.method == "POST" }.map(\.path) == ["/analyze/tasks"])
            #expect(sandbox.state.assetCount == 0)
        }
    }

    @Test func directSourceEndToEndWithSeveralPrompts() async throws {
        try await withSandbox { sandbox, submitter, states in
            let result = try await submitter.submit(
                file: Self.ok, request: SubmissionRequest(prompts: ["One?", "Two?"]), options: options(states))
            #expect(result.plan.decision.kind == .direct)
            #expect(result.asset?.status == .ready)
            #expect(result.tasks.map { $0.outcome?.name } == ["ready", "ready"])
            #expect(sandbox.state.assetCount == 1)
            #expect(sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/assets" }.count == 1)
            #expect(sandbox.state.requests.filter { $0.path == "/analyze/tasks" && $0.method == "POST" }.count == 2)
        }
    }

    @Test func multipartSourceEndToEndNeverSendsTheKeyToStorage() async throws {
        try await withSandbox({ $0.uploads.chunkSize = 8192; $0.uploads.initialURLCount = 2 }) { sandbox, submitter, states in
            let result = try await submitter.submit(
                file: Self.ok, request: SubmissionRequest(prompt: "Describe."), options: options(states) { $0.source = .multipart })
            #expect(result.plan.decision.kind == .multipart)
            #expect(result.multipart?.totalChunks == 7)
            #expect(result.asset?.status == .ready && result.tasks.first?.outcome?.name == "ready")
            let upload = try #require(sandbox.state.uploadIDs.first)
            #expect(sandbox.state.chunkPuts(uploadID: upload).mapValues(\.stored) == Dictionary(uniqueKeysWithValues: (1...7).map { ($0, 1) }))
            #expect(sandbox.state.storagePutCount == 7)
            #expect(sandbox.state.storageRequestsWithAPIKey == 0)
            #expect(sandbox.state.presignedURLRequestCount >= 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: states.path).isEmpty)
        }
    }

    @Test func urlAndAssetIDSourcesEndToEnd() async throws {
        try await withSandbox { sandbox, submitter, states in
            let viaURL = try await submitter.submit(.url("https://cdn.example.com/a.mp4"), request: SubmissionRequest(prompt: "Describe."), options: options(states))
            #expect(viaURL.plan.decision.kind == .url && viaURL.tasks.first?.outcome?.name == "ready")
            sandbox.state.addReadyAsset(id: "asset-1")
            let viaAsset = try await submitter.submit(.assetID("asset-1"), request: SubmissionRequest(prompt: "Describe."), options: options(states))
            #expect(viaAsset.plan.decision.kind == .assetID && viaAsset.tasks.first?.outcome?.name == "ready")
            do {
                _ = try await submitter.submit(.assetID("no-such-asset"), request: SubmissionRequest(prompt: "Describe."), options: options(states))
                Issue.record("expected the platform to refuse an unknown asset")
            } catch let error as APIError {
                #expect(error.operation == .createTask && error.status != nil)
            }
        }
    }

    @Test func aPreflightFailureSendsNothing() async throws {
        try await withSandbox { sandbox, submitter, states in
            await #expect(throws: SubmissionError.self) {
                _ = try await submitter.submit(file: fixture("short_3.9s.mp4"), request: SubmissionRequest(prompt: "x"), options: options(states))
            }
            await #expect(throws: SubmissionError.self) {
                _ = try await submitter.submit(file: Self.ok, request: SubmissionRequest(prompt: "x", temperature: 2), options: options(states))
            }
            #expect(sandbox.state.requests.isEmpty)
        }
    }

    @Test func aChunkThatFailsTwiceIsRetriedAndTheUploadCompletes() async throws {
        try await withSandbox({ $0.uploads.chunkSize = 8192 }) { sandbox, submitter, states in
            sandbox.state.failChunk(3, times: 2, with: .status(500))
            sandbox.state.failChunk(5, times: 1, with: .drop)
            let result = try await submitter.submit(
                file: Self.ok, request: SubmissionRequest(prompt: "x"), options: options(states) { $0.source = .multipart })
            #expect(result.asset?.status == .ready)
            let puts = sandbox.state.chunkPuts(uploadID: try #require(sandbox.state.uploadIDs.first))
            #expect(puts[3] == ChunkPutCounts(received: 3, stored: 1, failed: 2))
            #expect(puts[5]?.stored == 1 && (puts[5]?.received ?? 0) == 2)
            #expect(puts.filter { ![3, 5].contains($0.key) }.values.allSatisfy { $0 == ChunkPutCounts(received: 1, stored: 1, failed: 0) })
        }
    }

    /// The sandbox clock only moves when a chunk PUT is held (auto-advance): each held PUT moves it past the
    /// lifetime of every URL issued before, so all but the first chunk meet an expired URL and must refresh.
    @Test func expiredURLsAreRefreshed() async throws {
        try await withSandbox({
            $0.clock = ManualClock(mode: .autoAdvance)
            $0.uploads.chunkSize = 16384
            $0.uploads.urlLifetime = .seconds(10)
            $0.uploads.chunkDelay = .seconds(30)
            // Nothing else moves this clock: processing and the task lifecycle take no time.
            $0.uploads.assetProcessing = .zero
            $0.lifecycle = TaskLifecycle(queued: .zero, pending: .zero, processing: .zero)
        }) { sandbox, submitter, states in
            let result = try await submitter.submit(
                file: Self.ok, request: SubmissionRequest(prompt: "x"), options: options(states) { $0.source = .multipart; $0.multipart.parallelism = 1 })
            #expect(result.multipart?.totalChunks == 4)
            let puts = sandbox.state.chunkPuts(uploadID: try #require(sandbox.state.uploadIDs.first))
            #expect(puts.values.allSatisfy { $0.stored == 1 })
            #expect(puts.values.reduce(0) { $0 + $1.failed } >= 1)
            #expect(sandbox.state.presignedURLRequestCount >= 1)
            #expect(sandbox.state.storageRequestsWithAPIKey == 0)
        }
    }

    @Test func aFailedAssetIsATypedError() async throws {
        try await withSandbox({ $0.inspector = { _ in "not_media: no video stream found" } }) { _, submitter, states in
            do {
                _ = try await submitter.submit(file: Self.ok, request: SubmissionRequest(prompt: "x"), options: options(states) { $0.source = .direct })
                Issue.record("expected the asset to fail")
            } catch let error as SubmissionError {
                #expect(error.code == .assetFailed)
                #expect(error.message.contains("not_media"))
            }
        }
    }
}

/// A multipart upload begun elsewhere (here: by hand, two chunks stored and reported) and continued from the
/// server's view alone, with no saved state: only the missing chunks are sent.
@Suite(.timeLimit(.minutes(3))) struct ServerViewResumeTests {
    /// Runs `body` with a sandbox (8 KiB chunks) and a client, after "another machine" made a multipart session
    /// for the test video and stored and reported its chunks 1 and 2; `states` is an empty state directory.
    static func withHalfUpload(
        _ body: (RunningSandbox, AnalyzeClient, MultipartUploadSession, _ file: String, _ size: Int64, _ states: URL) async throws -> Void
    ) async throws {
        let file = fixture("ok_640x360_5s.mp4")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber).int64Value
        var configuration = SandboxConfiguration(apiKey: SandboxEndToEndTests.key)
        configuration.port = 0
        configuration.uploads.chunkSize = 8192
        configuration.uploads.assetProcessing = .milliseconds(20)
        let states = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: states) }
        try await Sandbox.withRunning(configuration) { sandbox in
            try await AnalyzeClient.withClient(configuration: AnalyzeClient.Configuration(apiKey: SandboxEndToEndTests.key, baseURL: sandbox.baseURL)) { client in
                let session = try await client.createMultipartUpload(CreateMultipartUploadRequest(filename: "clip.mp4", totalSize: size))
                var reported: [CompletedChunk] = []
                for url in session.uploadURLs.filter({ $0.chunkIndex <= 2 }) {
                    let range = FileRange(path: file, offset: Int64(url.chunkIndex - 1) * session.chunkSize, length: session.chunkSize, readSize: 1 << 16)
                    let etag = try await client.putChunk(url: url.url, headers: session.uploadHeaders ?? [:], file: range)
                    reported.append(CompletedChunk(chunkIndex: url.chunkIndex, proof: etag, chunkSize: session.chunkSize))
                }
                _ = try await client.reportCompletedChunks(uploadID: session.uploadID, reported)
                try await body(sandbox, client, session, file, size, states)
            }
        }
    }

    @Test func anUploadWithoutLocalStateResumesFromTheServersChunks() async throws {
        try await Self.withHalfUpload { sandbox, client, session, file, size, states in
            var options = MultipartUploadOptions()
            options.stateStore = UploadStateStore(directory: states)
            options.waitOptions = WaitOptions(minimumInterval: .milliseconds(10), timeout: .seconds(20))
            // Without the id, this machine knows nothing of it: a new session would be made.
            options.resumeUploadID = session.uploadID
            let result = try await MultipartUploader(client: client, options: options).upload(file: file)
            #expect(result.resumed && result.uploadID == session.uploadID && result.assetID == session.assetID)
            #expect(result.chunksResumed == 2 && Set(result.chunksSent) == Set(3...session.totalChunks))
            #expect(result.asset?.status == .ready)
            #expect(sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/assets/multipart-uploads" }.count == 1)

            // Unknown, or another file's, upload: a clear failure, nothing sent.
            options.resumeUploadID = "0000000000000000000000aa"
            await #expect(throws: SubmissionError.self) { try await MultipartUploader(client: client, options: options).upload(file: file) }
            let other = try await client.createMultipartUpload(CreateMultipartUploadRequest(filename: "other.mp4", totalSize: size + 1))
            options.resumeUploadID = other.uploadID
            let mismatch = await #expect(throws: SubmissionError.self) { try await MultipartUploader(client: client, options: options).upload(file: file) }
            #expect(mismatch?.message.contains("is not this file's upload") == true, "\(String(describing: mismatch))")
        }
    }

    /// A saved state from a server-view resume: no asset id yet, and chunks recorded without a proof, one of which
    /// the server does not hold. The chunk is sent again (never reported with an empty proof), and the asset id is
    /// learned from a report and saved before the upload ends.
    @Test func aStateWithoutProofsOrAssetIDStillFinishes() async throws {
        try await Self.withHalfUpload { sandbox, client, session, file, size, states in
            let identity = try FileIdentity(file: file, baseURL: sandbox.baseURL)
            var saved = UploadState(identity: identity, uploadID: session.uploadID, assetID: "", chunkSize: session.chunkSize,
                                    totalChunks: session.totalChunks, uploadHeaders: [:])
            for index in 1...3 { saved.record(.init(chunkIndex: index, etag: "", size: session.chunkSize)) }
            let store = UploadStateStore(directory: states)
            try store.save(saved)

            var options = MultipartUploadOptions()
            options.stateStore = store
            options.waitOptions = WaitOptions(minimumInterval: .milliseconds(10), timeout: .seconds(20))
            let result = try await MultipartUploader(client: client, options: options).upload(file: file)
            #expect(result.assetID == session.assetID && result.asset?.status == .ready)
            #expect(Set(result.chunksSent) == Set(3...session.totalChunks), "chunk 3 had no proof and was not on the server")
            #expect(store.load(for: identity) == nil, "the finished upload's state is removed")
        }
    }
}
