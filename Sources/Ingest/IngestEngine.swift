public import AnalyzeAPI
import Foundation
import Metrics
import NIOConcurrencyHelpers
import PlatformRules
public import Logging
public import MediaProbe
public import Preflight
public import Submission

/// How an ingest runs.
public struct IngestConfiguration: Sendable {
    /// What every file is asked.
    public var job: JobSpec
    /// Items worked on at once (each uploads, creates or polls one at a time).
    public var concurrency: Int = 4
    /// How long a claim holds an item without a heartbeat.
    public var leaseSeconds: Double = 60
    /// Seconds between two polls of an item's unfinished tasks.
    public var pollSeconds: Double = 2
    /// Failed attempts before an item is given up (``ItemState/failed``).
    public var maximumAttempts: Int = 6
    /// The first retry's delay; each further one doubles, up to 5 minutes.
    public var retryBaseSeconds: Double = 2
    /// The preflight limits.
    public var policy: Policy = .platformDefault
    /// How files are probed.
    public var probeOptions: ProbeOptions = ProbeOptions()
    /// Batches mode: the most requests in one batch (the platform's 1,000 when `nil`).
    public var batchSize: Int?
    /// Batches mode: the most unfinished batches at once across the journal (the platform's 5 per account).
    public var maximumActiveBatches: Int = PlatformRules.current.batches.maxActive
    /// Files up to this many bytes go up in one direct `POST /assets`, which is one request where a multipart
    /// upload of the same small file takes four; larger files go as multipart uploads, whose progress is kept in
    /// the journal. The platform's direct-upload limit caps it, and 0 sends every file as multipart.
    ///
    /// A direct upload cut off (a crash, a dropped answer) is sent again whole, and the platform may keep the
    /// first copy as an asset no task uses; a multipart upload continues where it stopped.
    public var directUploadMaxBytes: Int64 = IngestConfiguration.defaultDirectUploadMaxBytes
    /// The default of ``directUploadMaxBytes``: 16 MB.
    public static let defaultDirectUploadMaxBytes: Int64 = 16_000_000
    /// How assets are uploaded (the resume state always goes to the journal); its ``MultipartUploadOptions/waitOptions`` also paces the
    /// wait for a directly uploaded asset.
    public var multipart: MultipartUploadOptions = MultipartUploadOptions()
    /// This worker's name in leases: unique per process.
    public var owner: String = IngestConfiguration.defaultOwner()
    /// Called with what happens, from any task.
    public var onEvent: (@Sendable (IngestEvent) -> Void)?
    public var logger: Logger = Logger(label: "ingest", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A configuration for `job` with the defaults.
    public init(job: JobSpec) {
        self.job = job
    }

    /// `host:pid:random`, unique per process.
    public static func defaultOwner() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// What happened to an item (for a progress display, logs and metrics).
public enum IngestEvent: Sendable {
    case discovered(new: Int, total: Int)
    case state(path: String, ItemState)
    case taskCreated(path: String, customID: String, taskID: String, reconciled: Bool)
    case retrying(path: String, error: String, afterSeconds: Double)
    case rateLimited(seconds: Double)
    case leaseLost(path: String)
    case batchCreated(batchKey: String, batchID: String, requests: Int, reconciled: Bool)
    case batchEnded(batchID: String, status: String)
    case uploaded(path: String, bytes: Int64)
}

/// Durable, exactly-once ingest of a library: walks the paths, checks every file, uploads each good one once
/// as an asset, creates one task per prompt exactly once, and stores every result, all through the journal,
/// so that any number of workers can be killed and restarted at any moment.
///
/// Exactly once: before `POST /analyze/tasks` the request's `custom_id` (also its `Idempotency-Key`) is
/// committed as an intent. A create whose outcome is unknown (a timeout, a dropped connection, a 5xx, a
/// crash) is reconciled before anything is sent again: the task is looked for among the asset's tasks
/// (`GET /analyze/tasks?asset_id=`) by its `custom_id`. Every file is sent as an asset for that reason: a
/// base64 task cannot be found by its video.
public struct IngestEngine: Sendable {
    public let journal: IngestJournal
    public let client: AnalyzeClient
    public let configuration: IngestConfiguration
    private let backoff = BackoffGate()

    public init(journal: IngestJournal, client: AnalyzeClient, configuration: IngestConfiguration) {
        self.journal = journal
        self.client = client
        self.configuration = configuration
    }

    private var job: JobSpec { configuration.job }

    // MARK: - Discovery

    /// Fingerprints every file under `paths` (folders recursively, video files by extension; files named
    /// directly whatever their name) and records them in the journal.
    ///
    /// - Returns: How many files were seen and how many are new items; unreadable files are listed.
    /// - Throws: ``IngestError`` `path_missing` for a path that does not exist.
    @discardableResult
    public func discover(paths: [String]) async throws -> Discovery {
        var files: [DiscoveredFile] = []
        var skipped: [(path: String, reason: String)] = []
        for path in try FileWalker.files(under: paths) {
            do {
                files.append(DiscoveredFile(path: path, fingerprint: try ContentFingerprint.of(file: path)))
            } catch let error as IngestError {
                skipped.append((path, error.message))
            }
        }
        let new = try await journal.discover(job: job, files: files)
        emit(.discovered(new: new, total: files.count))
        return Discovery(seen: files.count, new: new, skipped: skipped)
    }

    /// What ``discover(paths:)`` found.
    public struct Discovery: Sendable {
        public var seen: Int
        public var new: Int
        public var skipped: [(path: String, reason: String)]
    }

    /// What `--watch` takes: new files under `paths`, each once its size and modification time have not
    /// changed for `settleSeconds` (a file still being copied is never probed half-written).
    public struct Watch: Sendable {
        public var paths: [String]
        public var settleSeconds: Double
        /// Seconds between two looks at the paths.
        public var scanSeconds: Double

        public init(paths: [String], settleSeconds: Double = 5, scanSeconds: Double = 1) {
            self.paths = paths
            self.settleSeconds = settleSeconds
            self.scanSeconds = scanSeconds
        }
    }

    private func watchLoop(_ watch: Watch) async {
        var stability = StabilityTracker(settleSeconds: watch.settleSeconds)
        while !Task.isCancelled {
            let clock = ContinuousClock.now
            if let found = try? FileWalker.files(under: watch.paths) {
                let ready = stability.observe(found.compactMap { path in
                    FileWalker.signature(of: path).map { (path, $0) }
                }, at: clock)
                var files: [DiscoveredFile] = []
                for path in ready {
                    if let fingerprint = try? ContentFingerprint.of(file: path) {
                        files.append(DiscoveredFile(path: path, fingerprint: fingerprint))
                    } else {
                        stability.forget(path)
                    }
                }
                if !files.isEmpty, let new = try? await journal.discover(job: job, files: files) {
                    emit(.discovered(new: new, total: files.count))
                }
            }
            try? await Task.sleep(for: .seconds(watch.scanSeconds))
        }
    }

    // MARK: - Working

    /// Works on the job's items until none is left that is not finished, or the task is canceled. On
    /// cancellation the writes in progress finish and every lease is released.
    ///
    /// - Returns: The job's status at the end.
    /// - Throws: ``IngestError`` `probe_unavailable` (FFmpeg missing), or a ``JournalError`` the journal raised
    ///   outside an item (its items are then released).
    public func run() async throws -> JobStatus {
        try await run(watching: nil)
    }

    /// Like ``run()``, and with `watch` it never finishes on its own: it keeps taking new files from the
    /// watched paths (each once it is stable) until canceled.
    public func run(watching watch: Watch?) async throws -> JobStatus {
        let holder = LeaseHolder(leaseSeconds: configuration.leaseSeconds)
        let watcher = watch.map { watch in Task { await self.watchLoop(watch) } }
        defer { watcher?.cancel() }
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(max(0.05, configuration.leaseSeconds / 3)))
                let held = await holder.leases()
                let sent = ContinuousClock.now
                if !held.isEmpty, let kept = try? await journal.heartbeat(held, leaseSeconds: configuration.leaseSeconds) {
                    await holder.kept(kept, since: sent)
                    let lost = Set(held).subtracting(kept)
                    if !lost.isEmpty { await holder.lost(lost) }
                }
                let batches = await holder.batchLeases()
                if !batches.isEmpty { _ = try? await journal.heartbeat(batches: batches, leaseSeconds: configuration.leaseSeconds) }
            }
        }
        defer { heartbeat.cancel() }
        let slots = Slots()
        do {
            try await withThrowingDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    try slots.checkFailure()
                    // Every item let go of since the last claim frees its slot now, so under load a claim takes
                    // as many items as finished during the one before it (one claim per item was the limit).
                    let free = max(0, configuration.concurrency - slots.running)
                    let claimedAt = ContinuousClock.now
                    let claimed = free == 0 ? [] : try await journal.claim(
                        job: job.name, owner: configuration.owner, limit: free, leaseSeconds: configuration.leaseSeconds,
                        states: job.mode == .batches ? Self.beforeBatches : ItemState.claimable)
                    for item in claimed {
                        await holder.hold(item.lease, since: claimedAt)
                        slots.take()
                        group.addTask {
                            let failure = await Self.failure { try await self.work(item, holder: holder) }
                            await holder.drop(item.lease)
                            slots.give(failure)
                        }
                    }
                    var started = claimed.count
                    if job.mode == .batches, slots.running < configuration.concurrency {
                        var batches = try await journal.claimBatches(
                            job: job.name, owner: configuration.owner, limit: configuration.concurrency - slots.running,
                            leaseSeconds: configuration.leaseSeconds)
                        if slots.running + batches.count < configuration.concurrency, let packed = try await packIfReady() {
                            batches.append(packed)
                        }
                        for batch in batches {
                            await holder.hold(batch: batch.lease)
                            slots.take()
                            group.addTask {
                                let failure = await Self.failure {
                                    try await self.follow(batch, fresh: batch.lease.token == 1 && batch.batchID == nil)
                                }
                                await holder.drop(batch: batch.lease)
                                slots.give(failure)
                            }
                        }
                        started += batches.count
                    }
                    if slots.running > 0, started == 0 || slots.running >= configuration.concurrency {
                        // Wait for an item to be let go of before claiming more.
                        await slots.waitForGive()
                        continue
                    }
                    if started == 0 {
                        // Not the job's status: its counts read every item, and this runs every poll interval.
                        if watch == nil, try await !journal.hasItems(job: job.name) { break }
                        // Items are waiting for their next poll or retry, or are held by other workers.
                        try await Task.sleep(for: .seconds(min(configuration.pollSeconds, 1)))
                    }
                }
                try slots.checkFailure()
                group.cancelAll()
            }
        } catch {
            await releaseAll()
            throw error
        }
        await releaseAll()
        return try await Task { try await journal.status(job: job.name) }.value
    }

    /// What `work` threw, if anything.
    private static func failure(_ work: () async throws -> Void) async -> (any Error)? {
        do {
            try await work()
            return nil
        } catch {
            return error
        }
    }

    /// Lets go of every item this worker holds, also when the run was canceled (the journal's drivers refuse
    /// to start work in a canceled task, so the release runs in a task of its own).
    private func releaseAll() async {
        let journal = journal, owner = configuration.owner
        await Task { _ = try? await journal.releaseAll(owner: owner) }.value
    }

    /// Carries one claimed item as far as it goes now; lets go of it (with a delay when it waits for
    /// something) before returning.
    private func work(_ claimed: IngestItem, holder: LeaseHolder) async throws {
        var item = claimed
        var fresh: Set<Int> = []
        do {
            // Each step's last write lets go of the item when it stops there (a terminal state, a wait, or a
            // ready asset in batches mode), so no write is spent on letting go alone.
            while !item.state.isTerminal {
                if await holder.isLost(item.lease) { throw JournalError(.fenced, "the lease was taken over") }
                switch item.state {
                case .discovered: item = try await check(item)
                case .checked, .uploading:
                    (item, fresh) = try await upload(item)
                    if job.mode == .batches { return }
                case .assetReady, .submitting, .submitted:
                    if job.mode == .batches {
                        try await journal.apply(ItemUpdate().releasing(), under: item.lease)
                        return
                    }
                    try await advanceTasks(item, freshIntents: fresh, holder: holder)
                    return
                case .rejected, .done, .failed: return
                }
            }
        } catch let error as JournalError where error.code == .fenced {
            emit(.leaseLost(path: item.path))
        } catch let error as IngestError where error.code == .probeUnavailable {
            throw error
        } catch is CancellationError {
            return
        } catch {
            if Task.isCancelled { return }
            try await failAttempt(item, Self.describe(error))
        }
    }

    /// Records a failed attempt: retried after a growing delay, or given up after ``IngestConfiguration/maximumAttempts``.
    private func failAttempt(_ item: IngestItem, _ message: String) async throws {
        do {
            if item.attempts + 1 >= configuration.maximumAttempts {
                try await journal.apply(ItemUpdate().givenUp(message, from: item.state).failedAttempt(message).releasing(), under: item.lease)
                emit(.state(path: item.path, .failed))
            } else {
                let delay = retryDelay(attempts: item.attempts)
                try await journal.apply(ItemUpdate().failedAttempt(message).releasing(after: delay), under: item.lease)
                emit(.retrying(path: item.path, error: message, afterSeconds: delay))
            }
        } catch let error as JournalError where error.code == .fenced {
            emit(.leaseLost(path: item.path))
        }
    }

    // MARK: - Batches

    /// The item states a batches-mode worker takes items in: up to the ready asset.
    static let beforeBatches: [ItemState] = [.discovered, .checked, .uploading]

    /// Commits the next batch's intent when it is worth sending: full, or the last of the job (nothing is
    /// left to check or upload), and the journal has room under the active-batch limit.
    private func packIfReady() async throws -> JournalBatch? {
        let packer = BatchPacker(maximumRequests: configuration.batchSize)
        if try await journal.backoffRemaining(job: job.name) != nil { return nil }
        guard try await journal.activeBatchCount() < configuration.maximumActiveBatches else { return nil }
        // Counted before the candidates are read: an item whose asset became ready between the two reads would
        // otherwise be left out of a batch taken for the job's last, and go in a second one.
        let last = try await !journal.hasItems(job: job.name, states: Self.beforeBatches)
        let candidates = try await journal.batchCandidates(job: job.name, limit: packer.maximumRequests)
        guard !candidates.isEmpty else { return nil }
        let (members, full) = packer.pack(candidates)
        if !full, !last { return nil }
        return try await journal.insertBatch(
            job: job.name, key: BatchPacker.key(job: job.name, members: members), members: members, owner: configuration.owner,
            leaseSeconds: configuration.leaseSeconds, maxActive: configuration.maximumActiveBatches)
    }

    /// Creates a batch intent (reconciling first unless it was just packed), then follows it: stores each
    /// finished item's result; when it ends, its unfinished items go back in line for a new batch.
    private func follow(_ claimed: JournalBatch, fresh: Bool) async throws {
        var batch = claimed
        do {
            if batch.state == .intent {
                guard let id = try await createOrReconcile(batch, fresh: fresh) else { return }
                batch.batchID = id
                batch.state = .active
            }
            guard let id = batch.batchID else { return }
            let status = try await client.retrieveBatch(id)
            let ended = status.status.isTerminal
            guard ended || status.finishedItems > 0 else {
                try await journal.release(batch, after: configuration.pollSeconds)
                return
            }
            let endedEarly = status.status == .expired || status.status == .canceled
            let outcomes: [BatchOutcome] = try await client.batchResults(id).compactMap { item in
                guard let customID = item.customID, item.status.isTerminal else { return nil }
                if item.status == .ready {
                    let result = try item.data.map { String(decoding: try WireCoding.encoder().encode($0), as: UTF8.self) } ?? "null"
                    return BatchOutcome(customID: customID, taskID: item.taskID, state: .done, taskStatus: item.status.rawValue, result: result)
                }
                // Canceled because the batch expired or was canceled: sent again in a new batch, not failed. The
                // item's own code says so even when the batch's status was read a moment before it ended.
                if item.status == .canceled, endedEarly || ["batch_expired", "batch_canceled"].contains(item.error?.code ?? "") {
                    return nil
                }
                let message = item.error.map { "\($0.code.map { "\($0): " } ?? "")\($0.message)" } ?? "the task is \(item.status.rawValue)"
                return BatchOutcome(customID: customID, taskID: item.taskID, state: .failed, taskStatus: item.status.rawValue, error: message)
            }
            try await journal.record(outcomes, of: batch, closing: ended, pollSeconds: configuration.pollSeconds)
            if ended { emit(.batchEnded(batchID: id, status: status.status.rawValue)) }
        } catch let error as JournalError where error.code == .fenced {
            emit(.leaseLost(path: "batch \(batch.key)"))
        } catch is CancellationError {
            return
        } catch {
            if Task.isCancelled { return }
            emit(.retrying(path: "batch \(batch.batchID ?? batch.key)", error: Self.describe(error), afterSeconds: configuration.retryBaseSeconds))
            try? await journal.release(batch, after: configuration.retryBaseSeconds)
        }
    }

    /// The platform's id of `batch`: found by reconciliation (an intent someone committed before, whose create
    /// may have happened), or created now. `nil` when it was let go of, undone or refused.
    private func createOrReconcile(_ batch: JournalBatch, fresh: Bool) async throws -> String? {
        let members = try await journal.members(ofBatch: batch.key)
        guard let first = members.first else {
            try await journal.abandon(batch)
            return nil
        }
        if !fresh, let found = try await reconcile(assetID: first.assetID, customID: first.customID), let batchID = found.batchID {
            let items = try await client.batchResults(batchID)
            try await journal.activate(batch, batchID: batchID, taskIDs: Self.taskIDs(items.map { ($0.customID, $0.taskID) }))
            emit(.batchCreated(batchKey: batch.key, batchID: batchID, requests: members.count, reconciled: true))
            return batchID
        }
        let request = CreateAnalyzeBatchRequest(
            modelName: job.modelName ?? PlatformRules.current.batches.model, analysisMode: "general",
            defaults: BatchSettings(responseFormat: job.responseFormat, temperature: job.temperature, maxTokens: job.maxTokens),
            requests: members.map { member in
                BatchItemRequest(assetID: member.assetID, customID: member.customID,
                                 overrides: BatchSettings(prompt: PromptV2(inputText: job.prompts[member.promptIndex])))
            })
        do {
            let created = try await client.createBatch(request, contentSeconds: members.map(\.seconds), idempotencyKey: batch.key,
                                                       retryPolicy: RetryPolicy.none)
            try await journal.activate(batch, batchID: created.id, taskIDs: Self.taskIDs(created.items.map { ($0.customID, $0.taskID) }))
            emit(.batchCreated(batchKey: batch.key, batchID: created.id, requests: members.count, reconciled: false))
            return created.id
        } catch let error as APIError where error.code == .rateLimited || error.code == .conflict {
            // Known not created (too many requests, or the account's active batches are full): undone, and
            // every worker waits before packing again.
            let seconds = max(1, error.retryAfter.map { Double($0.components.seconds) } ?? 10)
            try await journal.backOff(job: job.name, seconds: seconds)
            try await journal.abandon(batch)
            emit(.rateLimited(seconds: seconds))
            return nil
        } catch let error as APIError where !error.isTransient {
            let message = Self.describe(error)
            try await journal.record(members.map { member in
                BatchOutcome(customID: member.customID, taskID: "", state: .failed, taskStatus: "refused", error: message)
            }, of: batch, closing: true, pollSeconds: 0)
            return nil
        }
        // Any other error: the outcome is unknown; the intent stays for the next follower to reconcile.
    }

    private static func taskIDs(_ pairs: [(String?, String)]) -> [String: String] {
        pairs.reduce(into: [:]) { map, pair in if let customID = pair.0 { map[customID] = pair.1 } }
    }

    // MARK: - Steps

    /// Probes and checks the file: rejected with its codes, or checked with its report.
    private func check(_ item: IngestItem) async throws -> IngestItem {
        try verifyContent(item)
        let report: Report
        do {
            report = try await Preflight.evaluate(path: item.path, policy: configuration.policy, options: configuration.probeOptions)
        } catch let error as ProbeError {
            throw IngestError(.probeUnavailable, "\(item.path) could not be checked: \(error.message)", path: item.path)
        }
        var next = item
        next.report = try IngestJournal.encode(report)
        next.billableSeconds = report.billableSeconds
        if report.ok {
            next.state = .checked
            try await journal.apply(ItemUpdate.to(.checked).report(next.report).billableSeconds(report.billableSeconds).succeeded(), under: item.lease)
        } else {
            next.state = .rejected
            next.codes = report.violations.map(\.code.rawValue)
            try await journal.apply(ItemUpdate.to(.rejected).report(next.report).codes(next.codes).releasing(), under: item.lease)
        }
        emit(.state(path: item.path, next.state))
        return next
    }

    /// Uploads the file as an asset, directly when it is small and no multipart upload of it has begun, else as
    /// a multipart upload resumed from the journal's state; then records the asset.
    private func upload(_ item: IngestItem) async throws -> (IngestItem, Set<Int>) {
        try verifyContent(item)
        let assetID: String
        let bytesSent: Int64
        let limit = min(configuration.directUploadMaxBytes, configuration.policy.maxDirectUploadBytes)
        if item.uploadState == nil, item.size <= limit {
            let uploaded = try await client.uploadAsset(file: item.path)
            if uploaded.status != .ready {
                _ = try await client.readyAsset(uploaded.id, file: item.path, options: configuration.multipart.waitOptions)
            }
            assetID = uploaded.id
            bytesSent = item.size
        } else {
            var options = configuration.multipart
            options.stateStore = JournalUploadStore(journal: journal, lease: item.lease, saved: item.uploadState, size: item.size)
            let result = try await MultipartUploader(client: client, options: options).upload(file: item.path)
            (assetID, bytesSent) = (result.assetID, result.bytesSent)
        }
        var update = ItemUpdate.to(.assetReady).assetID(assetID).uploadState(nil).succeeded()
        var next = item
        var fresh: Set<Int> = []
        if job.mode == .batches {
            update = update.releasing()
        } else {
            // The creates follow at once: their intents are committed with the asset, one write fewer.
            update = update.state(.submitting)
            for index in next.requests.indices where next.requests[index].state == .pending {
                update = update.request(next.requests[index].promptIndex, state: .intent)
                next.requests[index].state = .intent
                fresh.insert(next.requests[index].promptIndex)
            }
        }
        try await journal.apply(update, under: item.lease)
        emit(.uploaded(path: item.path, bytes: bytesSent))
        emit(.state(path: item.path, .assetReady))
        next.state = job.mode == .batches ? .assetReady : .submitting
        next.assetID = assetID
        next.uploadState = nil
        return (next, fresh)
    }

    /// Creates the tasks not yet created (reconciling unknown outcomes first), or, when all are created, polls
    /// them. Lets go of the item before it returns: until the next poll, the end of a 429's wait, or a retry.
    ///
    /// The task ids of one pass are written together at its end, with the release: a crash before that leaves
    /// intents, which the next pass reconciles, never a second create.
    private func advanceTasks(_ item: IngestItem, freshIntents: Set<Int>, holder: LeaseHolder) async throws {
        guard let assetID = item.assetID else {
            try await journal.apply(ItemUpdate.to(.checked).releasing(), under: item.lease)
            return
        }
        var requests = item.requests
        guard requests.contains(where: { $0.state == .pending || $0.state == .intent }) else { return try await poll(item) }
        if let remaining = try await backoff.remaining(journal: journal, job: job.name) {
            try await journal.apply(ItemUpdate().releasing(after: remaining), under: item.lease)
            return
        }
        // Requests never sent (or sent again by `tl ingest retry`): their intents first, in one write.
        let pending = requests.indices.filter { requests[$0].state == .pending }
        if !pending.isEmpty {
            var intents = ItemUpdate.to(.submitting)
            for index in pending {
                intents = intents.request(requests[index].promptIndex, state: .intent)
                requests[index].state = .intent
            }
            try await journal.apply(intents, under: item.lease)
        }
        let fresh = freshIntents.union(pending.map { requests[$0].promptIndex })
        var update = ItemUpdate.to(.submitted)
        var unknown: String?
        for index in requests.indices where requests[index].state == .intent {
            let request = requests[index]
            if !fresh.contains(request.promptIndex), let found = try await reconcile(assetID: assetID, customID: request.customID) {
                update = update.request(request.promptIndex, state: .submitted, taskID: found.id, taskStatus: found.status.rawValue)
                emit(.taskCreated(path: item.path, customID: request.customID, taskID: found.id, reconciled: true))
                requests[index].state = .submitted
                continue
            }
            guard await holder.mayAct(item.lease) else {
                throw JournalError(.fenced, "the lease may have run out while this worker was paused; its item is left to whoever holds it now")
            }
            do {
                let reference = try await client.createTask(createRequest(for: request, assetID: assetID), idempotencyKey: request.customID,
                                                            retryPolicy: RetryPolicy.none)
                update = update.request(request.promptIndex, state: .submitted, taskID: reference.id, taskStatus: reference.status.rawValue)
                emit(.taskCreated(path: item.path, customID: request.customID, taskID: reference.id, reconciled: false))
                requests[index].state = .submitted
            } catch let error as APIError where error.code == .rateLimited {
                // Known not created: every worker waits, and this create is sent again after the wait.
                let seconds = max(1, error.retryAfter.map { Double($0.components.seconds) } ?? 2)
                try await journal.backOff(job: job.name, seconds: seconds)
                await backoff.set(seconds)
                emit(.rateLimited(seconds: seconds))
                try await journal.apply(update.releasing(after: seconds), under: item.lease)
                return
            } catch let error as APIError where !error.isTransient {
                // Refused: this request will never be taken as it is.
                update = update.request(request.promptIndex, state: .failed, error: Self.describe(error))
                requests[index].state = .failed
            } catch let error as APIError {
                // The outcome is unknown: the intent stays, and the next attempt reconciles it.
                unknown = Self.describe(error)
            }
        }
        var next = item
        next.requests = requests
        if requests.allSatisfy({ $0.state == .done || $0.state == .failed }) {
            return try await finish(next, update)
        }
        if let unknown {
            let delay = retryDelay(attempts: item.attempts)
            if item.attempts + 1 >= configuration.maximumAttempts {
                try await journal.apply(update.givenUp(unknown, from: .submitting).failedAttempt(unknown).releasing(), under: item.lease)
                emit(.state(path: item.path, .failed))
            } else {
                try await journal.apply(update.state(.submitting).failedAttempt(unknown).releasing(after: delay), under: item.lease)
                emit(.retrying(path: item.path, error: unknown, afterSeconds: delay))
            }
            return
        }
        try await journal.apply(update.releasing(after: configuration.pollSeconds), under: item.lease)
        emit(.state(path: item.path, .submitted))
    }

    /// Polls the item's created tasks; stores each finished one's result, and lets go of the item.
    private func poll(_ item: IngestItem) async throws {
        var requests = item.requests
        var update = ItemUpdate.to(.submitted)
        for index in requests.indices where requests[index].state == .submitted {
            guard let taskID = requests[index].taskID else { continue }
            let task = try await client.retrieveTask(taskID)
            guard task.status.isTerminal else { continue }
            if task.status == .ready {
                let result = try task.result.map { String(decoding: try WireCoding.encoder().encode($0), as: UTF8.self) } ?? "null"
                update = update.request(requests[index].promptIndex, state: .done, taskStatus: task.status.rawValue, result: result)
                requests[index].state = .done
            } else {
                let message = task.error.map { "\($0.code.map { "\($0): " } ?? "")\($0.message)" } ?? "the task is \(task.status.rawValue)"
                update = update.request(requests[index].promptIndex, state: .failed, taskStatus: task.status.rawValue, error: message)
                requests[index].state = .failed
            }
        }
        var next = item
        next.requests = requests
        if requests.contains(where: { $0.state != .done && $0.state != .failed }) {
            try await journal.apply(update.releasing(after: configuration.pollSeconds), under: item.lease)
            return
        }
        try await finish(next, update)
    }

    /// The item's every request is finished: done, or failed when one failed; let go of in the same write.
    private func finish(_ item: IngestItem, _ update: ItemUpdate) async throws {
        let failed = item.requests.filter { $0.state == .failed }
        if failed.isEmpty {
            try await journal.apply(update.state(.done).succeeded().releasing(), under: item.lease)
            emit(.state(path: item.path, .done))
        } else {
            let message = "\(failed.count) of \(item.requests.count) task\(item.requests.count == 1 ? "" : "s") failed"
            try await journal.apply(update.givenUp(message, from: .submitted).releasing(), under: item.lease)
            emit(.state(path: item.path, .failed))
        }
    }

    private func retryDelay(attempts: Int) -> Double {
        min(300, configuration.retryBaseSeconds * pow(2, Double(attempts)))
    }

    /// The task of `customID` on `assetID`, if the platform has one (the earliest, should there be several).
    private func reconcile(assetID: String, customID: String) async throws -> AnalyzeTask? {
        var found: AnalyzeTask?
        for try await task in client.allTasks(pageLimit: 50, assetID: assetID) where task.customID == customID {
            if found == nil || (task.createdAt ?? .distantFuture) < (found?.createdAt ?? .distantFuture) { found = task }
        }
        return found
    }

    private func createRequest(for request: RequestRecord, assetID: String) -> CreateAsyncAnalyzeRequest {
        CreateAsyncAnalyzeRequest(
            video: .assetID(assetID), prompt: job.prompts[request.promptIndex], temperature: job.temperature,
            maxTokens: job.maxTokens.map(MaxTokens.count), responseFormat: job.responseFormat, modelName: job.modelName,
            customID: request.customID)
    }

    /// The file at the item's path must still be the item's content (it may have been replaced or be still
    /// growing); otherwise the item waits, and a new item is discovered for the new content.
    private func verifyContent(_ item: IngestItem) throws {
        let now = try ContentFingerprint.of(file: item.path)
        guard now.text == item.fingerprint else {
            throw IngestError(.fileUnreadable, "\(item.path) changed since it was discovered; run ingest again to take the new content", path: item.path)
        }
    }

    /// Reports `event` to ``IngestConfiguration/onEvent`` and through swift-metrics:
    /// `ingest_transitions_total{state}`, `ingest_tasks_created_total{reconciled}`, `ingest_retries_total`,
    /// `ingest_rate_limited_total`, `ingest_leases_lost_total`, `ingest_batches_created_total` and
    /// `ingest_uploaded_bytes_total`.
    private func emit(_ event: IngestEvent) {
        switch event {
        case .state(_, let state): Counter(label: "ingest_transitions_total", dimensions: [("state", state.rawValue)]).increment()
        case .taskCreated(_, _, _, let reconciled):
            Counter(label: "ingest_tasks_created_total", dimensions: [("reconciled", String(reconciled))]).increment()
        case .retrying: Counter(label: "ingest_retries_total").increment()
        case .rateLimited: Counter(label: "ingest_rate_limited_total").increment()
        case .leaseLost: Counter(label: "ingest_leases_lost_total").increment()
        case .batchCreated: Counter(label: "ingest_batches_created_total").increment()
        case .uploaded(_, let bytes): Counter(label: "ingest_uploaded_bytes_total").increment(by: Int64(bytes))
        case .discovered, .batchEnded: break
        }
        configuration.onEvent?(event)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.description
        case let error as SubmissionError: "\(error.code.rawValue): \(error.message)"
        case let error as IngestError: error.description
        case let error as JournalError: error.description
        default: String(describing: error)
        }
    }
}

/// The job's shared backoff as this worker last read it from the journal: read at most once a second, so a
/// create does not cost a journal read.
actor BackoffGate {
    private var until: ContinuousClock.Instant?
    private var readAt: ContinuousClock.Instant?

    func remaining(journal: IngestJournal, job: String) async throws -> Double? {
        let now = ContinuousClock.now
        if readAt == nil || now - readAt! >= .seconds(1) {
            let seconds = try await journal.backoffRemaining(job: job)
            readAt = now
            until = seconds.map { now + .seconds($0) }
        }
        guard let until, until > now else { return nil }
        let left = until - now
        return Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
    }

    /// This worker got a 429 itself: it knows without reading.
    func set(_ seconds: Double) {
        let now = ContinuousClock.now
        until = max(until ?? now, now + .seconds(seconds))
        readAt = now
    }
}

/// The leases this worker holds, for the heartbeat, and those it has lost.
actor LeaseHolder {
    private var held: Set<Lease> = []
    private var lostLeases: Set<Lease> = []
    private var batches: Set<BatchLease> = []
    /// By this worker's own monotonic clock, how long each lease surely lasts: from just before the claim or
    /// the last heartbeat that kept it, plus the lease's length.
    private var validUntil: [Lease: ContinuousClock.Instant] = [:]
    let leaseSeconds: Double

    init(leaseSeconds: Double) {
        self.leaseSeconds = leaseSeconds
    }

    func hold(_ lease: Lease, since: ContinuousClock.Instant) {
        held.insert(lease)
        validUntil[lease] = since + .seconds(leaseSeconds)
    }

    func kept(_ leases: [Lease], since: ContinuousClock.Instant) {
        for lease in leases where held.contains(lease) { validUntil[lease] = since + .seconds(leaseSeconds) }
    }

    /// Whether a side effect outside the journal (a create) may start under `lease`: not lost, and surely held
    /// for a third of a lease more. A worker that was paused (SIGSTOP, a VM migration) past its lease finds the
    /// time gone when it wakes, and does not send a create that its item's new owner may already have made.
    func mayAct(_ lease: Lease) -> Bool {
        guard !lostLeases.contains(lease), let until = validUntil[lease] else { return false }
        return until - ContinuousClock.now > .seconds(leaseSeconds / 3)
    }

    func hold(batch lease: BatchLease) { batches.insert(lease) }
    func drop(batch lease: BatchLease) { batches.remove(lease) }
    func batchLeases() -> [BatchLease] { Array(batches) }

    func drop(_ lease: Lease) {
        held.remove(lease)
        lostLeases.remove(lease)
        validUntil[lease] = nil
    }
    func leases() -> [Lease] { Array(held) }
    func lost(_ leases: Set<Lease>) { lostLeases.formUnion(leases) }
    func isLost(_ lease: Lease) -> Bool { lostLeases.contains(lease) }
}

/// The items and batches a worker works on now, counted as each one ends (not as a task group's results are
/// collected), and a wait for the next to end. The first error a worker's task ended with stops the run.
final class Slots: Sendable {
    private struct State {
        var running = 0
        var givenSinceWait = false
        var waiter: CheckedContinuation<Void, Never>?
        var failure: (any Error)?
    }
    private let state = NIOLockedValueBox(State())

    var running: Int { state.withLockedValue { $0.running } }

    func take() { state.withLockedValue { $0.running += 1 } }

    /// One ended, with `failure` when it threw.
    func give(_ failure: (any Error)?) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.running -= 1
            if state.failure == nil, let failure { state.failure = failure }
            state.givenSinceWait = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Rethrows the first error a task ended with.
    func checkFailure() throws {
        if let failure = state.withLockedValue({ $0.failure }) { throw failure }
    }

    /// Returns once one has ended since the last wait returned (at once if one has), or when the task is canceled.
    func waitForGive() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.givenSinceWait || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            state.withLockedValue { $0.givenSinceWait = false }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
