import AnalyzeAPI
import Foundation
@testable import Ingest
import Sandbox
import Submission
import Synchronization
import Testing

/// The engine end to end: real files probed by FFmpeg, real HTTP over loopback to an in-process sandbox, a
/// real journal. The sandbox's own counts prove what was created.
@Suite(.timeLimit(.minutes(3))) struct IngestEngineTests {
    static let key = "sk-ingest-0123456789"
    static let media = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("TestMedia")

    /// A library: `good` distinct passing videos (one sample, each with its own trailing bytes), two that
    /// fail preflight, and a copy of the first good one under another name.
    static func library(good: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vp-lib-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let sample = try Data(contentsOf: media.appendingPathComponent("ok_640x360_5s.mp4"))
        for index in 0..<good {
            let name = index % 2 == 0 ? "good\(index).mp4" : "sub/good\(index).mp4"
            try (sample + Data("vp-unique-\(index)".utf8)).write(to: folder.appendingPathComponent(name))
        }
        try (sample + Data("vp-unique-0".utf8)).write(to: folder.appendingPathComponent("copy-of-good0.mp4"))
        try FileManager.default.copyItem(at: media.appendingPathComponent("res_359x360.mp4"), to: folder.appendingPathComponent("small.mp4"))
        try FileManager.default.copyItem(at: media.appendingPathComponent("empty.mp4"), to: folder.appendingPathComponent("empty.mp4"))
        try Data("not a video".utf8).write(to: folder.appendingPathComponent("notes.txt")) // not a video extension: not taken
        return folder
    }

    static let job = JobSpec(name: "lib", prompts: ["Summarise.", "Who speaks?"])

    func withEngine<T: Sendable>(
        kind: JournalKind = .sqlite,
        sandbox configure: (inout SandboxConfiguration) -> Void = { _ in },
        engine adjust: @escaping @Sendable (inout IngestConfiguration) -> Void = { _ in },
        _ body: (RunningSandbox, IngestJournal, @Sendable () -> IngestEngine) async throws -> T
    ) async throws -> T {
        var configuration = SandboxConfiguration(apiKey: Self.key)
        configuration.port = 0
        configuration.lifecycle = TaskLifecycle(queued: .milliseconds(20), pending: .milliseconds(20), processing: .milliseconds(50))
        configuration.uploads.assetProcessing = .milliseconds(20)
        configuration.uploads.chunkSize = 16 * 1024
        configure(&configuration)
        let (journal, _) = try await JournalFixture.make(kind)
        defer { Task { await journal.close() } }
        return try await Sandbox.withRunning(configuration) { sandbox in
            var client = AnalyzeClient.Configuration(apiKey: Self.key, baseURL: sandbox.baseURL)
            client.retryPolicy.initialBackoff = .milliseconds(5)
            client.retryPolicy.maximumBackoff = .milliseconds(20)
            return try await AnalyzeClient.withClient(configuration: client) { client in
                try await journal.openJob(Self.job)
                let make: @Sendable () -> IngestEngine = {
                    var settings = IngestConfiguration(job: Self.job)
                    settings.pollSeconds = 0.05
                    settings.retryBaseSeconds = 0.05
                    settings.leaseSeconds = 10
                    let fast = WaitOptions(minimumInterval: .milliseconds(10), maximumInterval: .milliseconds(50), timeout: .seconds(30))
                    settings.multipart.waitOptions = fast
                    adjust(&settings)
                    return IngestEngine(journal: journal, client: client, configuration: settings)
                }
                return try await body(sandbox, journal, make)
            }
        }
    }

    @Test("A library end to end: one task per good file and prompt, rejections with their codes, again a no-op", arguments: JournalFixture.kinds)
    func endToEnd(kind: JournalKind) async throws {
        let folder = try Self.library(good: 4)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withEngine(kind: kind) { sandbox, journal, engine in
            let discovery = try await engine().discover(paths: [folder.path])
            #expect(discovery.seen == 7)
            #expect(discovery.new == 6) // the copy is the same item
            let status = try await engine().run()
            #expect(status.items["done"] == 4)
            #expect(status.items["rejected"] == 2)
            #expect(status.items["failed"] == 0)
            let created = sandbox.state.tasksByCustomID
            #expect(created.count == 8)
            #expect(created.values.allSatisfy { $0 == 1 })
            #expect(sandbox.state.assetCount == 4)

            let records = try await journal.results(job: "lib")
            let done = records.filter { $0.status == "done" }
            #expect(done.count == 8)
            #expect(done.allSatisfy { $0.result?.contains("Sandbox analysis") == true && $0.taskID != nil })
            let rejected = Dictionary(grouping: records.filter { $0.status == "rejected" }, by: \.path).mapValues { $0[0].error }
            #expect(rejected[folder.appendingPathComponent("small.mp4").path] == "resolution_too_small")
            #expect(rejected[folder.appendingPathComponent("empty.mp4").path] == "empty_file")

            // Again: nothing new is sent.
            let requestsBefore = sandbox.state.requestCount
            #expect(try await engine().discover(paths: [folder.path]).new == 0)
            _ = try await engine().run()
            #expect(sandbox.state.requestCount == requestsBefore)

            // A changed file is a new item; the old one keeps its results.
            let changed = folder.appendingPathComponent("good0.mp4")
            let handle = try FileHandle(forWritingTo: changed)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("more".utf8))
            try handle.close()
            #expect(try await engine().discover(paths: [folder.path]).new == 1)
            let after = try await engine().run()
            #expect(after.items["done"] == 5)
            #expect(sandbox.state.tasksByCustomID.count == 10)
        }
    }

    @Test("Files up to the direct-upload limit go up in one request each, larger ones as multipart uploads", arguments: [true, false])
    func directOrMultipart(direct: Bool) async throws {
        let folder = try Self.library(good: 3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("good0.mp4").path)[.size] as? Int64)
        try await withEngine(engine: { $0.directUploadMaxBytes = direct ? size : size - 1 }) { sandbox, _, engine in
            try await engine().discover(paths: [folder.path])
            let status = try await engine().run()
            #expect(status.items["done"] == 3)
            let posts = sandbox.state.requests.filter { $0.method == "POST" && $0.status / 100 == 2 }
            #expect(posts.filter { $0.path == "/assets" }.count == (direct ? 3 : 0))
            #expect(posts.filter { $0.path == "/assets/multipart-uploads" }.count == (direct ? 0 : 3))
            #expect(sandbox.state.assetCount == 3)
            #expect(sandbox.state.tasksByCustomID.count == 6)
        }
    }

    @Test("Exactly once under faults: creates dropped after they took effect, on a platform that ignores Idempotency-Key")
    func exactlyOnceUnderFaults() async throws {
        // Which request draws which fault follows the order requests arrive in, which scheduling changes: with
        // 24 creates each dropped with probability 1/4 (half the faults drop), a run without one is 1 in 1,000.
        let folder = try Self.library(good: 12)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withEngine(sandbox: {
            $0.honorsIdempotencyKeys = false
            $0.faults = FaultInjection(rate: 0.5, kinds: [.dropAfterCreate, .serverError, .dropConnection, .rateLimited], seed: 11)
        }, engine: { $0.maximumAttempts = 60 }) { sandbox, journal, engine in
            try await engine().discover(paths: [folder.path])
            let status = try await engine().run()
            #expect(status.items["done"] == 12, "\(status)")
            #expect(status.items["rejected"] == 2)
            let created = sandbox.state.tasksByCustomID
            #expect(created.count == 24)
            #expect(created.filter { $0.value != 1 }.isEmpty, "duplicates: \(created.filter { $0.value != 1 })")
            // The faults did strike creates: some were answered by reconciliation rather than by their own answer.
            let drops = sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/analyze/tasks" && $0.status == 0 }
            #expect(!drops.isEmpty)
            let stored = try await journal.taskIDs(job: "lib")
            #expect(Set(stored.map(\.taskID)).count == 24)
        }
    }

    @Test("A worker that lost its lease stops: its writes are refused and the new owner finishes the item")
    func lostLease() async throws {
        let folder = try Self.library(good: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withEngine { sandbox, journal, engine in
            try await engine().discover(paths: [folder.path])
            let stale = try #require(try await journal.claim(job: "lib", owner: "paused", limit: 10, leaseSeconds: 0.2).first { $0.path.hasSuffix("good0.mp4") })
            try await Task.sleep(for: .milliseconds(400))
            let status = try await engine().run()
            #expect(status.items["done"] == 1)
            await #expect { try await journal.apply(ItemUpdate.to(.failed), under: stale.lease) } throws: {
                ($0 as? JournalError)?.code == .fenced
            }
            #expect(sandbox.state.tasksByCustomID.values.allSatisfy { $0 == 1 })
        }
    }
}

@Suite(.timeLimit(.minutes(3))) struct IngestWatchTests {
    @Test("--watch takes a file only once it has settled: a file that grows for a while is one item, of its whole content")
    func growingFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vp-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = try Data(contentsOf: IngestEngineTests.media.appendingPathComponent("ok_640x360_5s.mp4"))
        try await IngestEngineTests().withEngine { sandbox, journal, engine in
            let watcher = engine()
            // The settle time is well above the copy's pauses, even on a loaded machine.
            let watching = Task { try await watcher.run(watching: IngestEngine.Watch(paths: [folder.path], settleSeconds: 4, scanSeconds: 0.1)) }
            defer { watching.cancel() }
            // Copied in pieces over about a second and a half, each piece far sooner than the settle time.
            let target = folder.appendingPathComponent("arriving.mp4")
            #expect(FileManager.default.createFile(atPath: target.path, contents: nil))
            let handle = try FileHandle(forWritingTo: target)
            let pieces = stride(from: 0, to: sample.count, by: sample.count / 6 + 1).map { sample[$0..<min($0 + sample.count / 6 + 1, sample.count)] }
            for piece in pieces {
                try handle.write(contentsOf: piece)
                try await Task.sleep(for: .milliseconds(250))
            }
            try handle.close()
            var status = try await journal.status(job: "lib")
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while (status.items["done"] ?? 0) < 1, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                status = try await journal.status(job: "lib")
            }
            #expect(status.items["done"] == 1)
            #expect(status.items.values.reduce(0, +) == 1, "\(status.items)")
            let records = try await journal.results(job: "lib")
            #expect(records.first?.fingerprint == (try ContentFingerprint.of(file: target.path)).text)
            #expect(records.first?.fingerprint.hasPrefix("\(sample.count):") == true)

            // A second file dropped in later is taken too, while the first stays done.
            try (sample + Data("later".utf8)).write(to: folder.appendingPathComponent("later.mp4"))
            while (status.items["done"] ?? 0) < 2, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                status = try await journal.status(job: "lib")
            }
            #expect(status.items["done"] == 2)
            #expect(sandbox.state.tasksByCustomID.count == 4)
        }
    }
}

@Suite("Batches mode", .timeLimit(.minutes(3))) struct IngestBatchTests {
    static func candidates(_ count: Int, seconds: Double) -> [PackCandidate] {
        (0..<count).map { PackCandidate(itemID: Int64($0), promptIndex: 0, customID: "c\($0)", assetID: "a\($0)", seconds: seconds) }
    }

    @Test("Packing stops at 1,000 requests and at 2,000 content hours, counted from the probed durations")
    func packingEdges() {
        let packer = BatchPacker()
        let many = packer.pack(Self.candidates(1001, seconds: 60))
        #expect(many.members.count == 1000 && many.full)
        let exactly = packer.pack(Self.candidates(1000, seconds: 60))
        #expect(exactly.members.count == 1000 && exactly.full)
        let few = packer.pack(Self.candidates(999, seconds: 60))
        #expect(few.members.count == 999 && !few.full)
        // Three hours each: 666 make 1,998 h; the 667th would make 2,001 h.
        let long = packer.pack(Self.candidates(700, seconds: 3 * 3600))
        #expect(long.members.count == 666 && long.full)
        // Exactly 2,000 h is allowed and full.
        let edge = packer.pack(Self.candidates(1000, seconds: 2 * 3600))
        #expect(edge.members.count == 1000 && edge.full)
        // A request longer than a batch may hold goes alone.
        let huge = packer.pack(Self.candidates(3, seconds: 2001 * 3600))
        #expect(huge.members.count == 1 && huge.full)
        #expect(BatchPacker(maximumRequests: 4).pack(Self.candidates(10, seconds: 1)).members.count == 4)
        #expect(BatchPacker(maximumRequests: 5000).maximumRequests == 1000)
        #expect(BatchPacker.key(job: "j", members: Array(Self.candidates(3, seconds: 1).reversed())) == BatchPacker.key(job: "j", members: Self.candidates(3, seconds: 1)))
    }

    static let job = JobSpec(name: "lib", prompts: ["Summarise.", "Who speaks?"], mode: .batches)

    func run(kind: JournalKind = .sqlite, good: Int, sandbox configure: (inout SandboxConfiguration) -> Void = { _ in },
             engines: Int = 1, adjust: @escaping @Sendable (inout IngestConfiguration) -> Void,
             check: (RunningSandbox, IngestJournal, [JobStatus]) async throws -> Void) async throws {
        let folder = try IngestEngineTests.library(good: good)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = SandboxConfiguration(apiKey: IngestEngineTests.key)
        configuration.port = 0
        configuration.lifecycle = TaskLifecycle(queued: .milliseconds(20), pending: .milliseconds(20), processing: .milliseconds(100))
        configuration.uploads.assetProcessing = .milliseconds(20)
        configure(&configuration)
        let (journal, _) = try await JournalFixture.make(kind)
        defer { Task { await journal.close() } }
        try await Sandbox.withRunning(configuration) { sandbox in
            var client = AnalyzeClient.Configuration(apiKey: IngestEngineTests.key, baseURL: sandbox.baseURL)
            client.retryPolicy.initialBackoff = .milliseconds(5)
            client.retryPolicy.maximumBackoff = .milliseconds(20)
            try await AnalyzeClient.withClient(configuration: client) { client in
                try await journal.openJob(Self.job)
                let statuses = try await withThrowingTaskGroup(of: JobStatus.self) { group in
                    for _ in 0..<engines {
                        group.addTask {
                            var settings = IngestConfiguration(job: Self.job)
                            settings.pollSeconds = 0.05
                            settings.retryBaseSeconds = 0.05
                            settings.leaseSeconds = 10
                            settings.multipart.waitOptions = WaitOptions(minimumInterval: .milliseconds(10), maximumInterval: .milliseconds(50), timeout: .seconds(30))
                            adjust(&settings)
                            let engine = IngestEngine(journal: journal, client: client, configuration: settings)
                            try await engine.discover(paths: [folder.path])
                            return try await engine.run()
                        }
                    }
                    return try await group.reduce(into: [JobStatus]()) { $0.append($1) }
                }
                try await check(sandbox, journal, statuses)
            }
        }
    }

    @Test("Ready assets are packed into batches; every result is stored, each request created once", arguments: JournalFixture.kinds)
    func endToEnd(kind: JournalKind) async throws {
        try await run(kind: kind, good: 6, adjust: { $0.batchSize = 4 }) { sandbox, journal, statuses in
            #expect(statuses[0].items["done"] == 6, "\(statuses[0])")
            #expect(statuses[0].items["rejected"] == 2)
            #expect(sandbox.state.tasksByCustomID.count == 12)
            #expect(sandbox.state.tasksByCustomID.values.allSatisfy { $0 == 1 })
            let creates = sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/analyze/batches" }
            #expect(creates.count == 3, "\(creates.map { "\($0.status) \($0.idempotencyKey ?? "")" })") // 12 requests, 4 a batch
            #expect(sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/analyze/tasks" }.isEmpty)
            let records = try await journal.results(job: "lib").filter { $0.status == "done" }
            #expect(records.count == 12 && records.allSatisfy { $0.result?.contains("Sandbox analysis") == true })
            #expect(try await journal.activeBatchCount() == 0)
        }
    }

    @Test("An item the platform fails inside a batch fails alone; the others are done")
    func perItemFailure() async throws {
        try await run(good: 4, sandbox: {
            // The sandbox measures the asset of good1 as three hours long: its batch item fails with
            // video_duration_too_long, as the platform's would.
            $0.durationProbe = { url in
                let data = (try? Data(contentsOf: url)) ?? Data()
                return data.suffix(11) == Data("vp-unique-1".utf8) ? 3 * 3600 : 5
            }
        }, adjust: { _ in }) { sandbox, journal, statuses in
            #expect(statuses[0].items["done"] == 3, "\(statuses[0])")
            #expect(statuses[0].items["failed"] == 1)
            let failed = try await journal.results(job: "lib").filter { $0.status == "failed" }
            #expect(failed.count == 2)
            #expect(failed.allSatisfy { $0.path.hasSuffix("good1.mp4") && $0.error?.contains("video_duration_too_long") == true }, "\(failed)")
            // One batch: a create sent again after a slow answer (a loaded machine) reuses its key.
            let keys = Set(sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/analyze/batches" }.compactMap(\.idempotencyKey))
            #expect(keys.count == 1)
        }
    }

    @Test("Items of an expired batch are sent again in a new one, under new custom_ids, until every one is done")
    func expiryAndResubmission() async throws {
        try await run(good: 3, sandbox: {
            $0.batchLifetime = .milliseconds(700)
            $0.batchItemsAtOnce = 1
            $0.lifecycle = TaskLifecycle(queued: .milliseconds(10), pending: .milliseconds(10), processing: .milliseconds(250))
        }, adjust: { _ in }) { sandbox, journal, statuses in
            let all = try await journal.results(job: "lib")
            #expect(statuses[0].items["done"] == 3, "\(statuses[0]) \(all.filter { $0.status != "done" }.map { "\($0.status) \($0.error ?? "")" })")
            let records = all.filter { $0.status == "done" }
            #expect(records.count == 6)
            // Some were resubmitted (a later generation), and no custom_id was created twice.
            #expect(records.contains { $0.customID?.hasSuffix("-g0") == false })
            #expect(sandbox.state.tasksByCustomID.values.allSatisfy { $0 == 1 })
            #expect(sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/analyze/batches" }.count >= 2)
        }
    }

    @Test("Two workers share the five-active-batches limit: the platform never refuses a sixth")
    func sharedActiveLimit() async throws {
        try await run(good: 8, sandbox: {
            $0.lifecycle = TaskLifecycle(queued: .milliseconds(20), pending: .milliseconds(20), processing: .milliseconds(300))
        }, engines: 2, adjust: { $0.batchSize = 1; $0.concurrency = 6 }) { sandbox, journal, statuses in
            #expect(statuses.allSatisfy { $0.items["done"] == 8 }, "\(statuses)")
            let creates = sandbox.state.requests.filter { $0.method == "POST" && $0.path == "/analyze/batches" }
            #expect(creates.count == 16)
            #expect(creates.allSatisfy { $0.status == 201 }, "\(creates.map(\.status))")
            #expect(sandbox.state.tasksByCustomID.values.allSatisfy { $0 == 1 })
        }
    }
}

/// The worker's slots: what lets one claim take every item let go of since the last one.
@Suite(.timeLimit(.minutes(1))) struct SlotsTests {
    struct Stop: Error, Equatable { let n: Int }

    @Test("Items let go of before the wait are counted at once; the wait returns without blocking")
    func givenBeforeWait() async throws {
        let slots = Slots()
        for _ in 0..<5 { slots.take() }
        for _ in 0..<3 { slots.give(nil) }
        #expect(slots.running == 2)
        await slots.waitForGive()
        try slots.checkFailure()
    }

    @Test("The wait blocks until an item is let go of, and a wait after it blocks again")
    func waitsForGive() async throws {
        let slots = Slots()
        slots.take()
        slots.take()
        let returned = Mutex(0)
        let waiter = Task {
            await slots.waitForGive()
            returned.withLock { $0 += 1 }
            await slots.waitForGive()
            returned.withLock { $0 += 1 }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(returned.withLock { $0 } == 0, "nothing was let go of yet")
        slots.give(nil)
        while returned.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(returned.withLock { $0 } == 1, "the second wait needs a second give")
        slots.give(nil)
        await waiter.value
        #expect(slots.running == 0)
    }

    @Test("A canceled wait returns; the first failure is kept and rethrown")
    func cancelAndFailure() async throws {
        let slots = Slots()
        slots.take()
        let waiter = Task { await slots.waitForGive() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
        slots.take()
        slots.give(Stop(n: 1))
        slots.give(Stop(n: 2))
        #expect(throws: Stop(n: 1)) { try slots.checkFailure() }
    }
}

/// What bounds a PostgreSQL transaction's time: one timer task for every wait, instead of a sleep per transaction.
@Suite(.timeLimit(.minutes(1))) struct DeadlinesTests {
    @Test("A wait ends at its deadline, and at once when its task is canceled (also before it began)")
    func deadlineAndCancel() async throws {
        let deadlines = Deadlines()
        let timer = Task { await deadlines.run() }
        defer { timer.cancel() }
        let clock = ContinuousClock()
        let started = clock.now
        await deadlines.wait(until: .now + .milliseconds(300))
        #expect(clock.now - started >= .milliseconds(300))

        let canceled = Task { await deadlines.wait(until: .now + .seconds(3600)) }
        try await Task.sleep(for: .milliseconds(50))
        canceled.cancel()
        await canceled.value

        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await deadlines.wait(until: .now + .seconds(3600))
        }
        await early.value
    }
}

@Suite struct PostgresPlaceholderTests {
    @Test("? placeholders become $1, $2, … in order, the same from the cache as the first time")
    func numbering() {
        let sql = "UPDATE t SET a = ?, b = ? WHERE id = ? AND s <> '-p' RETURNING id"
        let expected = "UPDATE t SET a = $1, b = $2 WHERE id = $3 AND s <> '-p' RETURNING id"
        #expect(PostgresJournalStore.numbered(sql) == expected)
        #expect(PostgresJournalStore.numbered(sql) == expected)
        #expect(PostgresJournalStore.numbered("SELECT 1") == "SELECT 1")
    }
}

@Suite struct PreparedStatementTests {
    @Test("Every number has a slot type of its own, whose number it is")
    func slots() {
        var seen = Set<ObjectIdentifier>()
        for number in 1...1024 {
            let slot = PreparedStatements.slotType(number)
            #expect(slot.number == number)
            seen.insert(ObjectIdentifier(slot))
        }
        #expect(seen.count == 1024)
    }

    @Test("A text and its arguments' kinds name one statement; DDL and transaction control are never prepared")
    func registry() throws {
        let sql = "UPDATE t_registry SET a = $1 WHERE id = $2"
        let first = try #require(PreparedStatements.slot(sql, [.text("a"), .integer(1)]))
        let again = try #require(PreparedStatements.slot(sql, [.text("b"), .integer(2)]))
        let withNull = try #require(PreparedStatements.slot(sql, [.null, .integer(2)]))
        #expect(ObjectIdentifier(first) == ObjectIdentifier(again))
        #expect(ObjectIdentifier(first) != ObjectIdentifier(withNull))
        #expect(PreparedStatements.text(first.number) == sql)
        #expect(PreparedStatements.slot("ANALYZE ingest_items", []) == nil)
        #expect(PreparedStatements.slot("SET LOCAL plan_cache_mode = force_custom_plan", []) == nil)
        #expect(PreparedStatements.slot("CREATE INDEX i ON t (a)", []) == nil)
        #expect(PreparedStatements.isPlannable("\n  WITH i AS (UPDATE t SET a = 1 RETURNING id) SELECT id FROM i"))
        #expect(PreparedStatements.isPlannable("select 1"))
    }
}
