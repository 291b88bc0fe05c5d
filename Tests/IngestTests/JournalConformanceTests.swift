import Foundation
@testable import Ingest
import Testing

/// One suite, two drivers: every test runs against SQLite and PostgreSQL alike.
@Suite("Journal conformance")
struct JournalConformanceTests {
    static let job = JobSpec(name: "library", prompts: ["Summarise.", "List the people."])

    private func journalWithItems(_ kind: JournalKind, count: Int) async throws -> IngestJournal {
        let (journal, _) = try await JournalFixture.make(kind)
        try await journal.openJob(Self.job)
        try await journal.discover(job: Self.job, files: (0..<count).map { JournalFixture.file($0) })
        return journal
    }

    @Test("Migrations: applied once, again a no-op, and from several processes at once", arguments: JournalFixture.kinds)
    func migrations(kind: JournalKind) async throws {
        let (journal, location) = try await JournalFixture.make(kind)
        #expect(try await journal.schemaVersion() == JournalSchema.currentVersion)
        try await journal.migrate()
        #expect(try await journal.schemaVersion() == JournalSchema.currentVersion)
        await journal.close()

        // A new store, opened by three "processes" at once: each migration is applied exactly once.
        let fresh = kind == .sqlite
            ? FileManager.default.temporaryDirectory.appendingPathComponent("vp-mig-\(UUID().uuidString)/j.sqlite").path
            : try await JournalFixture.freshDatabase()
        _ = location
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let journal = try IngestJournal.open(fresh)
                    try await journal.migrate()
                    await journal.close()
                }
            }
            try await group.waitForAll()
        }
        let reopened = try IngestJournal.open(fresh)
        #expect(try await reopened.schemaVersion() == JournalSchema.currentVersion)
        let rows = try await reopened.store.transaction([Statement("SELECT COUNT(*) AS n FROM ingest_schema")])
        #expect(rows[0].first?.integer("n") == Int64(JournalSchema.currentVersion))
        await reopened.close()
    }

    @Test("Unfinished items: any item not done, rejected or failed, of this job only", arguments: JournalFixture.kinds)
    func unfinishedItems(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 3)
        #expect(try await journal.hasItems(job: Self.job.name))
        #expect(try await !journal.hasItems(job: "another"))
        let states: [ItemState] = [.done, .rejected, .failed]
        for (item, state) in zip(try await journal.claim(job: Self.job.name, owner: "w", limit: 3, leaseSeconds: 60), states) {
            #expect(try await journal.hasItems(job: Self.job.name))
            try await journal.apply(ItemUpdate.to(state).releasing(), under: item.lease)
        }
        #expect(try await !journal.hasItems(job: Self.job.name))
        await journal.close()
    }

    @Test("A journal from a newer version is refused, not changed", arguments: JournalFixture.kinds)
    func newerSchema(kind: JournalKind) async throws {
        let (journal, _) = try await JournalFixture.make(kind)
        _ = try await journal.store.transaction([Statement("INSERT INTO ingest_schema (version, applied_at) VALUES (99, 0)")])
        await #expect { try await journal.migrate() } throws: { ($0 as? JournalError)?.code == .tooNew }
        await journal.close()
    }

    @Test("A job reopened with other settings is refused", arguments: JournalFixture.kinds)
    func jobMismatch(kind: JournalKind) async throws {
        let (journal, _) = try await JournalFixture.make(kind)
        try await journal.openJob(Self.job)
        try await journal.openJob(Self.job)
        var other = Self.job
        other.prompts = ["Something else."]
        await #expect { try await journal.openJob(other) } throws: { ($0 as? JournalError)?.code == .jobMismatch }
        #expect(try await journal.job(named: "library") == Self.job)
        #expect(try await journal.jobNames() == ["library"])
        await journal.close()
    }

    @Test("Items are content: a renamed file is the same item, changed content a new one", arguments: JournalFixture.kinds)
    func identity(kind: JournalKind) async throws {
        let (journal, _) = try await JournalFixture.make(kind)
        try await journal.openJob(Self.job)
        #expect(try await journal.discover(job: Self.job, files: [JournalFixture.file(1), JournalFixture.file(2)]) == 2)
        #expect(try await journal.discover(job: Self.job, files: [JournalFixture.file(1, path: "/moved/one.mp4")]) == 0)
        #expect(try await journal.discover(job: Self.job, files: [JournalFixture.file(1, size: 1001)]) == 1)
        let records = try await journal.results(job: "library")
        #expect(records.count == 6) // three items, two prompts each
        #expect(records.contains { $0.path == "/moved/one.mp4" })
        #expect(!records.contains { $0.path == "/videos/1.mp4" && $0.fingerprint.hasPrefix("1000:") })
        // custom_ids are deterministic: the same content of the same job has the same ids on any machine.
        let token = try #require(try await journal.store.transaction([Statement("SELECT token FROM ingest_jobs WHERE name = 'library'")])[0].first?.text("token"))
        let key = JournalFixture.file(1).fingerprint.itemKey(job: token)
        #expect(records.contains { $0.customID == key + "-p0-g0" })
        #expect(records.contains { $0.customID == key + "-p1-g0" })
        #expect(records.allSatisfy { ($0.customID ?? "").count <= 64 })
        // Another journal's job of the same name gives the same file other ids.
        let (other, _) = try await JournalFixture.make(kind)
        try await other.openJob(Self.job)
        try await other.discover(job: Self.job, files: [JournalFixture.file(1)])
        #expect(try await other.results(job: "library").allSatisfy { !($0.customID ?? "").hasPrefix(key) })
        await other.close()
        await journal.close()
    }

    @Test("Claims are disjoint across workers, bounded by the limit", arguments: JournalFixture.kinds)
    func disjointClaims(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 60)
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let items = try await journal.claim(job: "library", owner: "w\(worker)", limit: 4, leaseSeconds: 60)
                        #expect(items.count <= 4)
                        #expect(items.allSatisfy { $0.requests.count == 2 && $0.lease.owner == "w\(worker)" })
                        if items.isEmpty { return mine }
                        mine += items.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 60)
        #expect(Set(all).count == 60)
        await journal.close()
    }

    @Test("An expired lease is taken over with a higher token; the old holder's writes are refused", arguments: JournalFixture.kinds)
    func fencing(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 1)
        // The lease runs out by the database's clock, set back by hand: no sleep whose length a loaded machine
        // could stretch past the lease.
        let first = try #require(try await journal.claim(job: "library", owner: "a", limit: 1, leaseSeconds: 600).first)
        #expect(try await journal.claim(job: "library", owner: "b", limit: 1, leaseSeconds: 30).isEmpty)
        try await journal.apply(ItemUpdate.to(.checked), under: first.lease)
        _ = try await journal.store.transaction([Statement("UPDATE ingest_items SET lease_expires_at = 0")])
        let second = try #require(try await journal.claim(job: "library", owner: "b", limit: 1, leaseSeconds: 30).first)
        #expect(second.id == first.id)
        #expect(second.state == .checked)
        #expect(second.lease.token == first.lease.token + 1)
        // The paused worker wakes up: its write, its heartbeat and its request update are all refused.
        await #expect { try await journal.apply(ItemUpdate.to(.rejected).request(0, state: .failed, error: "late"), under: first.lease) } throws: {
            ($0 as? JournalError)?.code == .fenced
        }
        #expect(try await journal.heartbeat([first.lease], leaseSeconds: 30).isEmpty)
        #expect(try await journal.heartbeat([second.lease], leaseSeconds: 30) == [second.lease])
        try await journal.apply(ItemUpdate.to(.assetReady).assetID("asset-1").request(0, state: .intent), under: second.lease)
        try await journal.apply(ItemUpdate().releasing(), under: second.lease)
        let third = try #require(try await journal.claim(job: "library", owner: "c", limit: 1, leaseSeconds: 30).first)
        #expect(third.state == .assetReady)
        #expect(third.assetID == "asset-1")
        #expect(third.requests.first?.state == .intent)
        #expect(third.requests.first?.error == nil)
        await journal.close()
    }

    @Test("Group commit: concurrent writes share a transaction, and a fenced one fails alone", arguments: JournalFixture.kinds)
    func groupCommit(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 40)
        let items = try await journal.claim(job: "library", owner: "a", limit: 40, leaseSeconds: 60)
        #expect(items.count == 40)
        let before = journal.meter.transactions
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, item) in items.enumerated() {
                group.addTask {
                    // Every other write carries a stale token: refused, while its neighbours commit.
                    var lease = item.lease
                    if index % 2 == 1 { lease.token -= 1 }
                    do {
                        try await journal.apply(ItemUpdate.to(.checked).releasing(), under: lease)
                        return true
                    } catch let error as JournalError where error.code == .fenced {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 20)
        #expect(journal.meter.transactions - before == 40)
        let status = try await journal.status(job: "library")
        #expect(status.items["checked"] == 20)
        #expect(status.items["discovered"] == 20)
        await journal.close()
    }

    @Test("Groups in one transaction: one that fails anywhere leaves no trace, and the others commit", arguments: JournalFixture.kinds)
    func groupsFailAlone(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 4)
        func setError(_ id: Int, _ text: String) -> Statement {
            Statement("UPDATE ingest_items SET last_error = ? WHERE id = ? RETURNING id", [.text(text), .integer(Int64(id))], guarding: .rowsRequired)
        }
        let ids = try await journal.store.transaction([Statement("SELECT id FROM ingest_items ORDER BY id")])[0].compactMap { $0.integer("id") }.map(Int.init)
        #expect(ids.count == 4)
        let results = try await journal.store.transactions([
            [setError(ids[0], "a")],
            [setError(-1, "refused at its first statement")],
            // Its first statement changes a row; the second's guard fails: the first must be undone.
            [setError(ids[1], "undone"), Statement("SELECT id FROM ingest_items WHERE id = -1", guarding: .rowsRequired)],
            // A constraint error after a change: undone too.
            [setError(ids[2], "undone"), Statement("INSERT INTO ingest_jobs (name, token, spec, created_at) SELECT name, token, spec, created_at FROM ingest_jobs")],
            [setError(ids[3], "d")],
        ])
        #expect(results.map { (try? $0.get()) != nil } == [true, false, false, false, true])
        let errors = try await journal.store.transaction([Statement("SELECT id, last_error FROM ingest_items ORDER BY id")])[0]
        #expect(errors.map { $0.text("last_error") } == ["a", nil, nil, "d"])
        await journal.close()
    }

    @Test("The journal's CPU is measured where the database runs in this process (SQLite), and only there", arguments: JournalFixture.kinds)
    func cpuMeter(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 20)
        let items = try await journal.claim(job: "library", owner: "a", limit: 20, leaseSeconds: 60)
        for item in items { try await journal.apply(ItemUpdate.to(.checked).releasing(), under: item.lease) }
        if kind == .sqlite {
            let meter = try #require(journal.cpuMeter)
            #expect(meter.transactions >= 2 && meter.transactions <= journal.busyMeter.transactions)
            #expect(meter.seconds > 0 && meter.seconds <= journal.busyMeter.seconds)
        } else {
            #expect(journal.cpuMeter == nil)
        }
        await journal.close()
    }

    @Test("Items discovered in one go: their claim is planned on the due index without sorting, with no ANALYZE but discovery's",
          .enabled(if: JournalFixture.postgresAvailable))
    func discoveryRefreshesStatistics() async throws {
        // PostgreSQL: a table filled within one run has no statistics of its own until autovacuum looks.
        let journal = try await journalWithItems(.postgres, count: 3000)
        let claim = journal.claimStatement(job: Self.job.name, owner: "a", limit: 16, leaseSeconds: 60, states: ItemState.claimable, mark: "m")
        let rows = try await journal.store.transaction([Statement("EXPLAIN " + claim.sql, claim.arguments)])[0]
        let plan = rows.compactMap { $0.text("QUERY PLAN") }.joined(separator: "\n")
        #expect(plan.contains("ingest_items_due"), "\(plan)")
        #expect(!plan.contains("Sort"), "\(plan)")
        await journal.close()
    }

    @Test("Discovery looks files up by their key, never by reading the job, though its statements are prepared while the table is nearly empty",
          .enabled(if: JournalFixture.postgresAvailable))
    func discoveryLooksUpByKey() async throws {
        // PostgreSQL keeps a prepared statement's generic plan, made after its fifth run: on a table of a few rows,
        // that plan read every item of the job through an index on the job, kept as discovery filled the table.
        let (journal, url) = try await JournalFixture.make(.postgres)
        try await journal.openJob(Self.job)
        try await journal.discover(job: Self.job, files: (0..<3000).map { JournalFixture.file($0) })
        await journal.close() // a connection's counts reach the statistics when it ends
        let reader = try IngestJournal.open(url)
        var read: Int64?
        for _ in 0..<50 {
            let row = try await reader.store.transaction([Statement("""
                SELECT n_tup_ins, COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) AS rows_read
                FROM pg_stat_user_tables WHERE relname = 'ingest_items'
                """)])[0].first
            if let row, (row.integer("n_tup_ins") ?? 0) >= 3000 {
                read = row.integer("rows_read")
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let rows = try #require(read, "the server's statistics never showed the 3,000 inserts")
        // While the table is a few pages, reading the job is the planner's right choice, and the first few hundred
        // files are looked up so (about 600,000 rows in all); after that, by key. A plan kept from the first files
        // reads the whole job for every later one: 3,000² / 2 = 4.5 million rows.
        #expect(rows < 1_500_000, "\(rows) rows of ingest_items read while discovering 3,000 files")
        await reader.close()
    }

    @Test("A prepared text bound with a value, then NULL, then a value of another type again, returns each as bound",
          .enabled(if: JournalFixture.postgresAvailable))
    func preparedStatementsKeepTheirTypes() async throws {
        let (journal, _) = try await JournalFixture.make(.postgres)
        // More than five runs of each, so that PostgreSQL has planned it once for all.
        let sql = "SELECT ? AS a, ? AS b"
        for round in 0..<8 {
            let values: [(SQLValue, SQLValue)] = [(.text("t\(round)"), .integer(Int64(round))), (.null, .real(Double(round) + 0.5)),
                                                  (.text("x"), .null), (.integer(7), .text("y"))]
            for (a, b) in values {
                let row = try #require(try await journal.store.transaction([Statement(sql, [a, b])])[0].first)
                #expect(row.values["a"] == a && row.values["b"] == b, "\(row.values) for \(a), \(b)")
            }
        }
        await journal.close()
    }

    @Test("A statement whose preparation failed is prepared afresh once the cause is gone, on the same connection",
          .enabled(if: JournalFixture.postgresAvailable))
    func failedPreparationIsNotKept() async throws {
        // PostgresNIO keeps a failed preparation's error for that statement's name on its connection for good.
        let (journal, _) = try await JournalFixture.make(.postgres)
        let read = Statement("SELECT v FROM ingest_later WHERE v > ?", [.integer(0)])
        await #expect(throws: JournalError.self) { try await journal.store.transaction([read]) }
        _ = try await journal.store.transaction([Statement("CREATE TABLE ingest_later (v BIGINT)")])
        _ = try await journal.store.transaction([Statement("INSERT INTO ingest_later (v) VALUES (?)", [.integer(4)])])
        let rows = try await journal.store.transaction([read])
        #expect(rows[0].first?.integer("v") == 4)
        await journal.close()
    }

    @Test("A claim reads the unfinished items in claim order (the due index), never sorting the whole job", arguments: JournalFixture.kinds)
    func claimUsesTheDueIndex(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 0)
        // 3,000 items, most of them finished, as late in a run: a claim must not read past those either.
        _ = try await journal.store.transaction([Statement("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
            INSERT INTO ingest_items (job, fingerprint, item_key, path, size, state, discovered_at, updated_at)
            SELECT ?, 'f' || i, 'k' || i, '/v' || i, 1, CASE WHEN i % 4 = 0 THEN 'discovered' ELSE 'done' END, 0, 0 FROM n
            """, [.text(Self.job.name)])])
        _ = try await journal.store.transaction([Statement(kind == .sqlite ? "ANALYZE" : "ANALYZE ingest_items")])
        let claim = journal.claimStatement(job: Self.job.name, owner: "a", limit: 1, leaseSeconds: 60, states: ItemState.claimable, mark: "m")
        let explain = kind == .sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN "
        let rows = try await journal.store.transaction([Statement(explain + claim.sql, claim.arguments)])[0]
        let plan = rows.map { ($0.text("detail") ?? "") + ($0.text("QUERY PLAN") ?? "") }.joined(separator: "\n")
        #expect(plan.contains("ingest_items_due"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE") && !plan.contains("Sort"), "\(plan)")
        // The index's predicate is the terminal states, as the model has them.
        let terminal = ItemState.allCases.filter(\.isTerminal).map { "'\($0.rawValue)'" }.sorted()
        let listed = JournalSchema.unfinished.split(separator: "(")[1].dropLast().split(separator: ", ").map(String.init).sorted()
        #expect(listed == terminal)
        await journal.close()
    }

    @Test("A heartbeat keeps a lease; a release with a delay hides the item until then", arguments: JournalFixture.kinds)
    func heartbeatAndDelay(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 1)
        // Claimed for 1 s, then extended to ten minutes: a heartbeat needs only the token, so even one that
        // comes late (on a loaded machine) keeps the lease, and 1.5 s later it is still held.
        let item = try #require(try await journal.claim(job: "library", owner: "a", limit: 1, leaseSeconds: 1).first)
        #expect(try await journal.heartbeat([item.lease], leaseSeconds: 600) == [item.lease])
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await journal.claim(job: "library", owner: "b", limit: 1, leaseSeconds: 30).isEmpty)
        #expect(try await journal.heartbeat([item.lease], leaseSeconds: 600) == [item.lease])
        try await journal.apply(ItemUpdate().failedAttempt("boom").releasing(after: 600), under: item.lease)
        #expect(try await journal.claim(job: "library", owner: "b", limit: 1, leaseSeconds: 30).isEmpty)
        // Its retry time comes (set by hand on the database's clock): claimable again.
        _ = try await journal.store.transaction([Statement("UPDATE ingest_items SET next_attempt_at = 0")])
        let again = try #require(try await journal.claim(job: "library", owner: "b", limit: 1, leaseSeconds: 30).first)
        #expect(again.attempts == 1)
        #expect(again.lastError == "boom")
        #expect(try await journal.releaseAll(owner: "b") == 1)
        await journal.close()
    }

    @Test("A 429's backoff is shared by every worker of the job", arguments: JournalFixture.kinds)
    func sharedBackoff(kind: JournalKind) async throws {
        let (journal, location) = try await JournalFixture.make(kind)
        try await journal.openJob(Self.job)
        #expect(try await journal.backoffRemaining(job: "library") == nil)
        try await journal.backOff(job: "library", seconds: 600)
        try await journal.backOff(job: "library", seconds: 1) // a shorter wait never shortens a longer one
        let other = try IngestJournal.open(location)
        let remaining = try #require(try await other.backoffRemaining(job: "library"))
        #expect(remaining > 300 && remaining <= 600)
        await other.close()
        await journal.close()
    }

    @Test("Status, results, retry and forget", arguments: JournalFixture.kinds)
    func lifecycle(kind: JournalKind) async throws {
        let journal = try await journalWithItems(kind, count: 3)
        let items = try await journal.claim(job: "library", owner: "a", limit: 3, leaseSeconds: 30)
        try await journal.apply(ItemUpdate.to(.rejected).codes(["video_too_short"]).releasing(), under: items[0].lease)
        try await journal.apply(
            ItemUpdate.to(.done).assetID("a1").request(0, state: .done, taskID: "t1", result: "{\"data\":\"x\"}")
                .request(1, state: .done, taskID: "t2", result: "{}").releasing(),
            under: items[1].lease)
        try await journal.apply(
            ItemUpdate().givenUp("1 of 2 tasks failed", from: .submitted).assetID("a2")
                .request(0, state: .done, taskID: "t3", result: "{}").request(1, state: .failed, taskID: "t4", error: "video_not_supported").releasing(),
            under: items[2].lease)

        let status = try await journal.status(job: "library")
        #expect(status.items["rejected"] == 1 && status.items["done"] == 1 && status.items["failed"] == 1 && status.items["discovered"] == 0)
        #expect(status.requests["done"] == 3 && status.requests["failed"] == 1)
        #expect(status.etaSeconds == 0)
        #expect(status.recentErrors.map(\.error) == ["1 of 2 tasks failed"])

        let records = try await journal.results(job: "library")
        #expect(records.map(\.status) == ["rejected", "rejected", "done", "done", "done", "failed"])
        #expect(records[0].error == "video_too_short")
        #expect(records[2].taskID == "t1" && records[2].result == "{\"data\":\"x\"}")
        #expect(records[5].error == "video_not_supported")

        // Retry: the failed item goes back to its asset with a new custom_id for the failed task only.
        #expect(try await journal.retry(job: "library", failed: true, rejected: false) == 1)
        let retried = try #require(try await journal.claim(job: "library", owner: "b", limit: 5, leaseSeconds: 30).first)
        #expect(retried.state == .assetReady && retried.attempts == 0 && retried.lastError == nil)
        #expect(retried.requests[0].state == .done && retried.requests[0].generation == 0)
        #expect(retried.requests[1].state == .pending && retried.requests[1].generation == 1 && retried.requests[1].taskID == nil)
        #expect(retried.requests[1].customID.hasSuffix("-p1-g1"))
        _ = try await journal.releaseAll(owner: "b")
        #expect(try await journal.retry(job: "library", failed: false, rejected: true) == 1)
        #expect(try await journal.status(job: "library").items["discovered"] == 1)

        #expect(try await journal.forget(job: "library"))
        #expect(!(try await journal.forget(job: "library")))
        #expect(try await journal.results(job: "library").isEmpty)
        await journal.close()
    }
}
