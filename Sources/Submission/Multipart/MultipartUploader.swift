public import AnalyzeAPI
import Foundation
import PlatformRules

/// How a ``MultipartUploader`` behaves.
public struct MultipartUploadOptions: Sendable {
    /// Chunk `PUT`s in flight at once.
    public var parallelism: Int = 4
    /// Finished chunks reported to the API per request.
    public var reportBatchSize: Int = 16
    /// Attempts per chunk. Presigned URLs are single use, so every attempt takes a fresh URL; failed attempts
    /// are spaced by the client's ``RetryPolicy`` backoff (jittered), or the server's `Retry-After`.
    public var maximumChunkAttempts: Int = 6
    /// A presigned URL expiring sooner than this is not used; a fresh one is fetched instead.
    public var urlRefreshMargin: Duration = .seconds(60)
    /// Where the resume state goes; `nil` disables resuming.
    public var stateStore: (any UploadStateStoring)? = UploadStateStore.standard()
    /// An incomplete upload session on the server to continue when there is no saved state for the file
    /// (it was lost, or the upload began on another machine): the session's `uploaded_chunks` say which
    /// chunks are stored, and only the others are sent. Its `total_size` must be the file's size.
    public var resumeUploadID: String?
    /// Whether to wait for the asset to become `ready` after the upload completes.
    public var waitForReady: Bool = true
    /// How to poll the asset.
    public var waitOptions: WaitOptions = WaitOptions(minimumInterval: .seconds(1), maximumInterval: .seconds(10))
    /// Called once the upload session is known (created, or resumed from a saved state), before any
    /// chunk is sent: so a caller can say at once which asset the file becomes and how much resumes.
    public var onStart: (@Sendable (UploadStart) -> Void)?

    /// The defaults.
    public init() {}
}

/// The session a multipart upload goes into, known before its first chunk.
public struct UploadStart: Sendable, Hashable {
    /// The upload session.
    public var uploadID: String
    /// The asset the upload becomes; empty for a session resumed from the server's view, whose asset id
    /// is learned from the first completion report.
    public var assetID: String
    /// Chunks already stored by an earlier, interrupted run (0 for a new session).
    public var chunksResumed: Int
    /// Chunks in all.
    public var totalChunks: Int
}

/// Progress of one multipart upload.
public struct UploadProgress: Sendable, Hashable {
    /// Bytes stored (resumed chunks included).
    public var bytesSent: Int64
    /// The file's size.
    public var totalBytes: Int64
    /// Chunks stored.
    public var chunksDone: Int
    /// Chunks in all.
    public var totalChunks: Int
}

/// What a multipart upload did.
public struct MultipartUploadResult: Sendable {
    /// The asset the upload became.
    public var assetID: String
    /// The upload session.
    public var uploadID: String
    /// The asset as last seen (`ready` when ``MultipartUploadOptions/waitForReady`` is set).
    public var asset: Asset?
    /// Chunks `PUT` by this run, in the order they finished.
    public var chunksSent: [Int]
    /// Chunks taken from a saved state instead of being sent again.
    public var chunksResumed: Int
    /// Chunks in all.
    public var totalChunks: Int
    /// Whether an earlier, interrupted run was resumed.
    public var resumed: Bool
    /// Bytes `PUT` by this run (the chunks in ``chunksSent``).
    public var bytesSent: Int64 = 0
    /// From the start of the call (session created or resumed) until the session was complete: the upload
    /// itself, without the wait for the asset to become ready.
    public var transferDuration: Duration = .zero
}

/// Uploads a local file in chunks to presigned URLs: bounded parallel `PUT`s read straight from file ranges,
/// fresh URLs for missing, expired or refused chunks, batched completion reports, a resume state saved after
/// every chunk, and a wait for the asset to become `ready`.
///
/// Running the same upload again (same file, size, modification time and API) after a crash sends only the
/// chunks the state file does not list.
public struct MultipartUploader: Sendable {
    /// The client the API calls and chunk `PUT`s go through.
    public let client: AnalyzeClient
    /// How the uploader behaves.
    public var options: MultipartUploadOptions

    /// An uploader over `client`.
    public init(client: AnalyzeClient, options: MultipartUploadOptions = MultipartUploadOptions()) {
        self.client = client
        self.options = options
    }

    /// Uploads `file` (announced as `filename`, its last path component by default).
    ///
    /// - Throws: ``SubmissionError`` (`file_unreadable`, `upload_failed`, `asset_failed`, `asset_timed_out`,
    ///   `state_unusable`) or `APIError`.
    public func upload(
        file: String, filename: String? = nil, onProgress: (@Sendable (UploadProgress) -> Void)? = nil
    ) async throws -> MultipartUploadResult {
        let started = ContinuousClock.now
        let identity = try FileIdentity(file: file, baseURL: client.configuration.baseURL)
        guard identity.size > 0 else { throw SubmissionError(.fileUnreadable, "\(file) is empty", path: file) }
        let store = options.stateStore
        var resumed = false
        var state: UploadState?
        var serverHas: Set<Int> = []
        var sessionCompleted = false
        var freshURLs: [PresignedURL] = []

        if let saved = await store?.load(for: identity), options.resumeUploadID == nil || options.resumeUploadID == saved.uploadID {
            do {
                let status = try await client.multipartUploadStatus(uploadID: saved.uploadID)
                switch status.status {
                case "active":
                    state = saved
                    resumed = true
                    serverHas = Set(status.uploadedChunks.filter(\.isCompleted).map(\.chunkIndex))
                case "completed":
                    state = saved
                    resumed = true
                    sessionCompleted = true
                default:
                    await store?.remove(for: identity)
                }
            } catch let error as APIError where error.code == .notFound {
                await store?.remove(for: identity)
            }
        }

        if state == nil, let uploadID = options.resumeUploadID {
            let (fromServer, stored) = try await serverState(uploadID: uploadID, identity: identity, file: file)
            try await store?.save(fromServer)
            state = fromServer
            serverHas = stored
            resumed = true
        }

        if state == nil {
            let name = filename ?? URL(fileURLWithPath: file).lastPathComponent
            let session = try await client.createMultipartUpload(CreateMultipartUploadRequest(filename: name, totalSize: identity.size))
            guard let plan = ChunkPlan(totalSize: identity.size, chunkSize: session.chunkSize), plan.count == session.totalChunks else {
                throw SubmissionError(.uploadFailed,
                    "the server's plan (\(session.totalChunks) chunks of \(session.chunkSize) bytes) does not fit \(identity.size) bytes",
                    path: file)
            }
            let created = UploadState(identity: identity, uploadID: session.uploadID, assetID: session.assetID,
                                      chunkSize: session.chunkSize, totalChunks: session.totalChunks,
                                      uploadHeaders: session.uploadHeaders ?? [:])
            try await store?.save(created)
            state = created
            freshURLs = session.uploadURLs
        }
        guard let start = state, let plan = ChunkPlan(totalSize: identity.size, chunkSize: start.chunkSize), plan.count == start.totalChunks else {
            throw SubmissionError(.uploadFailed, "the saved upload state does not fit the file", path: file)
        }

        options.onStart?(UploadStart(uploadID: start.uploadID, assetID: start.assetID,
                                     chunksResumed: resumed ? start.finished.count : 0, totalChunks: plan.count))
        let coordinator = UploadCoordinator(
            client: client, state: start, plan: plan, store: store, urls: freshURLs,
            refreshMargin: options.urlRefreshMargin, lookahead: 2 * max(1, options.parallelism), onProgress: onProgress)
        await coordinator.announce()
        var sent: [Int] = []
        var assetID = start.assetID
        if !sessionCompleted {
            // Chunks stored in an earlier run that the server has not recorded yet are reported first. One
            // without a proof (taken from the server's view) cannot be: it was sent again above, as missing.
            let unreported = start.finished.filter { !serverHas.contains($0.chunkIndex) && !$0.etag.isEmpty }
            for batch in stride(from: 0, to: unreported.count, by: max(1, options.reportBatchSize)) {
                let slice = unreported[batch..<min(batch + max(1, options.reportBatchSize), unreported.count)]
                _ = try await client.reportCompletedChunks(uploadID: start.uploadID, slice.map(Self.completed))
            }
            do {
                // A chunk recorded without a proof that the server does not hold (any more) is sent again.
                let done = start.finishedIndexes.filter { index in
                    serverHas.contains(index) || start.finished.contains { $0.chunkIndex == index && !$0.etag.isEmpty }
                }
                let outcome = try await sendPending(plan: plan, done: Set(done), coordinator: coordinator, file: file)
                sent = outcome.sent
                if assetID.isEmpty, let reported = outcome.assetID { assetID = reported }
            } catch {
                await coordinator.stopBackgroundWork()
                throw error
            }
            await coordinator.stopBackgroundWork()
            let status = try await client.multipartUploadStatus(uploadID: start.uploadID)
            guard status.status == "completed" else {
                throw SubmissionError(.uploadFailed,
                    "every chunk was stored and reported, but the upload session is \(status.status) (\(status.chunksCompleted) of \(plan.count) chunks recorded)",
                    path: file)
            }
        }
        guard !assetID.isEmpty else {
            // Nothing more can be learned by running again: forget the state, say where to look.
            await store?.remove(for: identity)
            throw SubmissionError(.uploadFailed,
                "upload \(start.uploadID) completed, but the server never said which asset it became; find it with tl assets list --filename",
                path: file)
        }
        await store?.remove(for: identity)
        let transferDuration = ContinuousClock.now - started
        let sentSet = Set(sent)
        let bytesSent = plan.chunks.filter { sentSet.contains($0.index) }.reduce(Int64(0)) { $0 + $1.length }

        var asset: Asset?
        if options.waitForReady {
            asset = try await client.readyAsset(assetID, file: file, options: options.waitOptions)
        }
        return MultipartUploadResult(
            assetID: assetID, uploadID: start.uploadID, asset: asset, chunksSent: sent,
            chunksResumed: start.finished.count, totalChunks: plan.count, resumed: resumed,
            bytesSent: bytesSent, transferDuration: transferDuration)
    }

    /// PUTs every chunk not in `done`, `parallelism` at a time, reporting finished ones in batches.
    /// The asset id is the first a completion report names (a session resumed from the server's view knows no other).
    private func sendPending(
        plan: ChunkPlan, done: Set<Int>, coordinator: UploadCoordinator, file: String
    ) async throws -> (sent: [Int], assetID: String?) {
        let pending = plan.chunks.filter { !done.contains($0.index) }
        let batchSize = max(1, options.reportBatchSize)
        let parallelism = max(1, options.parallelism)
        let uploadID = await coordinator.uploadID
        let client = self.client
        var sent: [Int] = []
        var toReport: [CompletedChunk] = []
        /// A child task's outcome: a stored chunk, or a finished report.
        enum Step: Sendable { case stored(CompletedChunk), reported(String?) }
        var assetID: String?
        try await withThrowingTaskGroup(of: Step.self) { group in
            var next = pending.makeIterator()
            for _ in 0..<parallelism {
                guard let chunk = next.next() else { break }
                group.addTask { .stored(try await self.send(chunk, coordinator: coordinator, file: file)) }
            }
            // Reports run beside the uploads, one at a time: a slot is refilled as soon as its chunk is stored,
            // never held up for a report's round trip.
            var reporting = false
            func reportIfDue() {
                guard !reporting, toReport.count >= batchSize else { return }
                let batch = Array(toReport.prefix(batchSize))
                toReport.removeFirst(batch.count)
                reporting = true
                group.addTask { .reported(try await client.reportCompletedChunks(uploadID: uploadID, batch).assetID) }
            }
            while let step = try await group.next() {
                switch step {
                case .stored(let finished):
                    sent.append(finished.chunkIndex)
                    toReport.append(finished)
                    if let chunk = next.next() {
                        group.addTask { .stored(try await self.send(chunk, coordinator: coordinator, file: file)) }
                    }
                case .reported(let reported):
                    reporting = false
                    if assetID == nil, let reported {
                        assetID = reported
                        await coordinator.learnAssetID(reported)
                    }
                }
                reportIfDue()
            }
        }
        for start in stride(from: 0, to: toReport.count, by: batchSize) {
            let reported = try await client.reportCompletedChunks(uploadID: uploadID, Array(toReport[start..<min(start + batchSize, toReport.count)]))
            if assetID == nil, let id = reported.assetID {
                assetID = id
                await coordinator.learnAssetID(id)
            }
        }
        return (sent, assetID)
    }

    /// The state of incomplete session `uploadID` as the server has it: its plan from the incomplete-uploads
    /// list, its stored chunks from its status. The server keeps no proof (ETag) a client could report again,
    /// so stored chunks are recorded without one; they are never reported again, since the server has them.
    private func serverState(uploadID: String, identity: FileIdentity, file: String) async throws -> (UploadState, Set<Int>) {
        var page = 1
        var found: IncompleteUpload?
        while found == nil {
            let listed = try await client.listIncompleteUploads(page: page, pageLimit: client.configuration.requestPolicy.rules.pageLimit.upperBound)
            found = listed.data.first { $0.uploadID == uploadID }
            if listed.data.isEmpty || page >= listed.pageInfo.totalPage { break }
            page += 1
        }
        guard let session = found, session.status == "active" else {
            throw SubmissionError(.uploadFailed,
                "the server has no incomplete upload \(uploadID) (it finished, expired or never existed); start a new upload", path: file)
        }
        guard session.totalSize == identity.size else {
            throw SubmissionError(.uploadFailed,
                "upload \(uploadID) is for \(session.totalSize) bytes, but \(file) has \(identity.size): it is not this file's upload", path: file)
        }
        guard let plan = ChunkPlan(totalSize: identity.size, chunkSize: session.chunkSize), plan.count == session.totalChunks else {
            throw SubmissionError(.uploadFailed, "upload \(uploadID)'s plan (\(session.totalChunks) chunks of \(session.chunkSize) bytes) does not fit the file", path: file)
        }
        let status = try await client.multipartUploadStatus(uploadID: uploadID)
        let stored = Set(status.uploadedChunks.filter(\.isCompleted).map(\.chunkIndex))
        var state = UploadState(identity: identity, uploadID: uploadID, assetID: "", chunkSize: session.chunkSize,
                                totalChunks: session.totalChunks, uploadHeaders: [:])
        for chunk in plan.chunks where stored.contains(chunk.index) {
            state.record(.init(chunkIndex: chunk.index, etag: "", size: chunk.length))
        }
        return (state, stored)
    }

    /// One chunk: a fresh single-use URL per attempt, the PUT, and after a transient failure (connection, 408,
    /// 429, 5xx) a jittered pause from the client's retry policy; a refused URL (403/404/410) is replaced at
    /// once. Up to ``MultipartUploadOptions/maximumChunkAttempts`` attempts.
    private func send(_ chunk: ChunkPlan.Chunk, coordinator: UploadCoordinator, file: String) async throws -> CompletedChunk {
        let range = FileRange(path: file, offset: chunk.offset, length: chunk.length, readSize: 1 << 20)
        let headers = await coordinator.uploadHeaders
        var lastError: APIError?
        for attempt in 1...max(1, options.maximumChunkAttempts) {
            let url = try await coordinator.takeURL(for: chunk.index)
            do {
                let etag = try await client.putChunk(url: url.url, headers: headers, file: range, singleAttempt: true)
                let finished = CompletedChunk(chunkIndex: chunk.index, proof: etag, chunkSize: chunk.length)
                try await coordinator.finished(finished)
                return finished
            } catch let error as APIError {
                lastError = error
                switch error.code {
                case .fileUnreadable:
                    throw SubmissionError(.fileUnreadable, error.detail ?? "\(file) cannot be read", path: file, underlying: error)
                case .forbidden, .notFound:
                    // The storage refused the URL (expired, already used): the next attempt takes a fresh one.
                    continue
                case _ where error.status == 410:
                    continue
                default:
                    guard error.isTransient, attempt < options.maximumChunkAttempts else { break }
                    let policy = client.configuration.retryPolicy
                    guard (error.retryAfter ?? .zero) <= policy.maximumServerDelay else { break }
                    let backoff = policy.backoff(retry: attempt, unit: Double.random(in: 0..<1))
                    try await client.configuration.clock.sleep(for: max(backoff, error.retryAfter ?? .zero))
                    continue
                }
                break
            }
        }
        throw SubmissionError(.uploadFailed,
            "chunk \(chunk.index) could not be stored after \(options.maximumChunkAttempts) attempts: \(lastError.map(String.init(describing:)) ?? "no answer")",
            path: file, underlying: lastError)
    }

    static func completed(_ chunk: UploadState.FinishedChunk) -> CompletedChunk {
        CompletedChunk(chunkIndex: chunk.chunkIndex, proof: chunk.etag, chunkSize: chunk.size)
    }
}

/// The shared, mutable side of one upload: the state (saved before a chunk counts as done), the pool of presigned URLs
/// (each used once), and progress.
actor UploadCoordinator {
    private let client: AnalyzeClient
    private var state: UploadState
    private let plan: ChunkPlan
    private let store: (any UploadStateStoring)?
    private var urls: [Int: PresignedURL] = [:]
    private var fetching: [Int: Task<Void, any Error>] = [:]
    /// State changes recorded, and the latest of them known to be saved (see ``finished(_:)``).
    private var recorded = 0
    private var persisted = 0
    private var saving: Task<Int, any Error>?
    /// URL fetches started ahead of need (``prefetch(after:)``), cancelled when the upload ends.
    private var background: [Task<Void, any Error>] = []
    private let refreshMargin: Duration
    private let onProgress: (@Sendable (UploadProgress) -> Void)?
    /// How far ahead of the chunk being started URLs are fetched (0: only on demand).
    private let lookahead: Int

    init(client: AnalyzeClient, state: UploadState, plan: ChunkPlan, store: (any UploadStateStoring)?, urls: [PresignedURL],
         refreshMargin: Duration, lookahead: Int = 0, onProgress: (@Sendable (UploadProgress) -> Void)?) {
        self.client = client
        self.state = state
        self.plan = plan
        self.store = store
        self.refreshMargin = refreshMargin
        self.lookahead = lookahead
        self.onProgress = onProgress
        for url in urls { self.urls[url.chunkIndex] = url }
    }

    var uploadID: String { state.uploadID }
    var uploadHeaders: [String: String] { state.uploadHeaders }

    /// Reports the progress as it stands (resumed chunks count as sent).
    func announce() {
        let bytes = state.finished.reduce(Int64(0)) { $0 + $1.size }
        onProgress?(UploadProgress(bytesSent: bytes, totalBytes: plan.totalSize, chunksDone: state.finished.count, totalChunks: plan.count))
    }

    /// A usable URL for chunk `index`, removed from the pool (URLs are single use). Fetches a batch of fresh
    /// ones (at most 50, covering the next chunks that lack one) when there is none or it expires soon.
    func takeURL(for index: Int) async throws -> PresignedURL {
        var fresh = false
        while true {
            if let url = urls.removeValue(forKey: index) {
                // A URL just fetched is used even when it expires soon: asking again would not help.
                let expiresSoon = url.expiresAt.map { $0.timeIntervalSince(client.configuration.clock.currentDate()) < refreshMargin.seconds } ?? false
                if fresh || !expiresSoon {
                    prefetch(after: index)
                    return url
                }
            }
            if let inFlight = fetching[index] {
                // A failed background fetch is not this chunk's failure: it asks for itself below.
                if (try? await inFlight.value) != nil {
                    fresh = true
                    if urls[index] != nil { continue }
                }
            }
            // One request for this chunk and the ones after it that lack a URL. It covers index...last
            // contiguously, so the window, not the number of chunks wanted, stays within the 50-URL limit.
            let done = state.finishedIndexes
            var last = index
            for candidate in (index + 1)..<min(index + PresignedURLsRequest.maximumCount, plan.count + 1)
            where !done.contains(candidate) && urls[candidate] == nil && fetching[candidate] == nil {
                last = candidate
            }
            let fetch = startFetch(first: index, count: last - index + 1)
            try await fetch.value
            fetchEnded(fetch, covered: index..<(last + 1))
            fresh = true
            guard urls[index] != nil else {
                throw SubmissionError(.uploadFailed, "the server gave no presigned URL for chunk \(index)")
            }
        }
    }

    /// Keeps URLs ahead of the uploads: when the chunk ``lookahead`` places after `index` has no URL and none
    /// is on its way, fetches a batch in the background, so no chunk waits a round trip for its URL (on a real
    /// network, 50–200 ms each time the initial list runs out).
    private func prefetch(after index: Int) {
        let ahead = index + lookahead
        let done = state.finishedIndexes
        guard lookahead > 0, ahead <= plan.count, urls[ahead] == nil, fetching[ahead] == nil, !done.contains(ahead) else { return }
        var first = index + 1
        while first < ahead, urls[first] != nil || fetching[first] != nil || done.contains(first) { first += 1 }
        _ = startFetch(first: first, count: min(PresignedURLsRequest.maximumCount, plan.count - first + 1))
    }

    /// Asks for the URLs of chunks `first..<first + count` in a task that adds them to the pool; the chunks are
    /// marked as being fetched until it ends, and it is cancelled with ``stopBackgroundWork()``.
    private func startFetch(first: Int, count: Int) -> Task<Void, any Error> {
        let api = client
        let uploadID = state.uploadID
        let fetch = Task { [weak self] in
            let batch = try await api.presignedURLs(uploadID: uploadID, start: first, count: count)
            await self?.add(batch)
        }
        let covered = first..<(first + count)
        for index in covered { fetching[index] = fetch }
        background.append(fetch)
        Task { [weak self] in
            _ = try? await fetch.value
            await self?.fetchEnded(fetch, covered: covered)
        }
        return fetch
    }

    private func fetchEnded(_ fetch: Task<Void, any Error>, covered: Range<Int>) {
        for index in covered where fetching[index] == fetch { fetching[index] = nil }
        background.removeAll { $0 == fetch }
    }

    /// Cancels URL fetches still running in the background (the upload is over, or has failed).
    func stopBackgroundWork() {
        for task in background { task.cancel() }
        background.removeAll()
    }

    private func add(_ batch: PresignedURLBatch) {
        for url in batch.uploadURLs { urls[url.chunkIndex] = url }
        if let headers = batch.uploadHeaders { state.uploadHeaders = headers }
    }

    /// Keeps the asset id a completion report named (a session resumed from the server's view starts
    /// without one), in the saved state too, so that a later run knows it.
    func learnAssetID(_ id: String) async {
        guard state.assetID.isEmpty else { return }
        state.assetID = id
        try? await store?.save(state)
    }

    /// Records a stored chunk and returns once a saved state includes it.
    ///
    /// Saves are group commits: one runs at a time, off the actor (a save includes an `fsync`, which takes
    /// milliseconds on a busy or slow disk), and chunks that finish meanwhile are recorded and saved together
    /// by the next one. So chunks never wait in line for each other's saves, and a chunk is still only
    /// counted as done (for resume) once it is on disk.
    func finished(_ chunk: CompletedChunk) async throws {
        state.record(.init(chunkIndex: chunk.chunkIndex, etag: chunk.proof, size: chunk.chunkSize))
        recorded += 1
        announce()
        guard let store else { return }
        let mine = recorded
        while persisted < mine {
            // Join the save in flight, or start one with everything recorded so far.
            let save: Task<Int, any Error>
            if let running = saving {
                save = running
            } else {
                let generation = recorded, snapshot = state
                save = Task.detached {
                    try await store.save(snapshot)
                    return generation
                }
                saving = save
            }
            defer { if saving == save { saving = nil } }
            persisted = max(persisted, try await save.value)
        }
    }
}
