public import Foundation
public import Logging

/// The ingest journal: jobs, items and their tasks, leases with fencing tokens, and the shared backoff.
///
/// Every method is one transaction. The logic is written once, over a ``JournalStore``: SQLite
/// (``sqlite(path:)``, the embedded default) and PostgreSQL (``postgres(url:logger:)``, for a fleet) run the
/// same statements, and one conformance suite tests both.
public struct IngestJournal: Sendable {
    let store: any JournalStore
    /// Transactions asked of this journal, and the time callers spent in them, waits for a turn included.
    public let meter = JournalMeter()
    /// The database's own time: transactions as run (a group commit is one), and the time they took. Per
    /// item, this is what the journal costs (`tl ingest run -f json` reports both).
    public let busyMeter: JournalMeter
    /// The CPU time of the database work, for SQLite (which runs in this process; `nil` for PostgreSQL, whose
    /// work is the server's). Per item, this is the journal's cost when the machine is busy and waits for a
    /// core inflate ``busyMeter``.
    public let cpuMeter: JournalMeter?
    var d: SQLDialect { store.dialect }
    var now: String { store.dialect.now }

    init(store: any JournalStore) {
        busyMeter = meter
        cpuMeter = nil
        self.store = MeteredStore(base: store, meter: meter)
    }

    init(grouping base: any JournalStore, cpuMeter: JournalMeter?) {
        let busy = JournalMeter()
        self.busyMeter = busy
        self.cpuMeter = cpuMeter
        self.store = MeteredStore(base: GroupCommitStore(base: MeteredStore(base: base, meter: busy)), meter: meter)
    }

    /// The SQLite journal at `path` (created `0600` in a `0700` folder when missing).
    ///
    /// SQLite has one writer at a time, so concurrent transactions are group-committed (``GroupCommitStore``):
    /// many share one flush to disk. PostgreSQL needs no such help: its concurrent commits, on connections of
    /// their own, already share WAL flushes, and grouping them on one connection measured slower.
    public static func sqlite(path: String) throws -> IngestJournal {
        let store = try SQLiteJournalStore(path: path)
        return IngestJournal(grouping: store, cpuMeter: store.cpuMeter)
    }

    /// The PostgreSQL journal at `url` (`postgres://USER@HOST[:PORT]/DATABASE`; the password from the URL or
    /// `PGPASSWORD`).
    public static func postgres(url: String, logger: Logger = Logger(label: "ingest-journal", factory: { _ in SwiftLogNoOpLogHandler() })) throws -> IngestJournal {
        IngestJournal(store: try PostgresJournalStore(url: url, logger: logger))
    }

    /// The journal a `--journal` value names: a `postgres://` URL, else a SQLite file path (`sqlite:` prefix
    /// optional); `nil` is the default SQLite file.
    public static func open(_ location: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> IngestJournal {
        guard let location, !location.isEmpty else { return try sqlite(path: defaultPath(environment: environment)) }
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") { return try postgres(url: location) }
        let path = location.hasPrefix("sqlite:") ? String(location.dropFirst("sqlite:".count)) : location
        guard !path.isEmpty else { throw JournalError(.badLocation, "sqlite: needs a file path") }
        return try sqlite(path: path)
    }

    /// `$XDG_DATA_HOME/videopreflight/ingest.sqlite`, else `~/.local/share/videopreflight/ingest.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg + "/videopreflight/ingest.sqlite" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/videopreflight/ingest.sqlite"
    }

    /// Where the journal is, for messages (never with a password).
    public var location: String { store.location }

    /// Closes the journal's connections.
    public func close() async { await store.close() }

    // MARK: - Schema

    /// Brings the schema to ``JournalSchema/currentVersion``. Safe to run from several processes at once.
    ///
    /// - Throws: ``JournalError`` (`journal_too_new` when a newer build wrote it).
    public func migrate() async throws {
        // PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a concurrent one: the lock comes first.
        _ = try await store.transaction((d.migrationLock.map { [Statement($0)] } ?? []) + [Statement(JournalSchema.versionTable(d))])
        let found = try await schemaVersion()
        guard found <= JournalSchema.currentVersion else {
            throw JournalError(.tooNew, "the journal \(location) has schema version \(found); this tl knows up to \(JournalSchema.currentVersion)")
        }
        for version in (found + 1)...max(found + 1, JournalSchema.currentVersion) where version <= JournalSchema.currentVersion {
            var statements: [Statement] = []
            if let lock = d.migrationLock { statements.append(Statement(lock)) }
            statements.append(Statement(
                "INSERT INTO ingest_schema (version, applied_at) VALUES (?, \(now)) ON CONFLICT (version) DO NOTHING RETURNING version",
                [.integer(Int64(version))], guarding: .rowsRequired))
            statements += JournalSchema.migrations[version - 1](d).map { Statement($0) }
            do {
                _ = try await store.transaction(statements)
            } catch is JournalGuardFailure {
                continue // another process applied it first
            }
        }
    }

    /// The schema version the journal has (0 when new).
    public func schemaVersion() async throws -> Int {
        let rows = try await store.transaction([Statement("SELECT COALESCE(MAX(version), 0) AS version FROM ingest_schema")])
        return Int(rows[0].first?.integer("version") ?? 0)
    }

    // MARK: - Jobs

    /// Creates the job, or checks that the existing one asks the same (same prompts and settings).
    ///
    /// - Throws: ``JournalError`` `job_mismatch` when a job of that name asks something else.
    public func openJob(_ spec: JobSpec) async throws {
        let text = try Self.encode(spec)
        let rows = try await store.transaction([
            // The token makes this journal's custom_ids its own: the same job name and file in another journal
            // (or after `forget`) never meet this one's tasks on the platform.
            Statement("INSERT INTO ingest_jobs (name, token, spec, created_at) VALUES (?, ?, ?, \(now)) ON CONFLICT (name) DO NOTHING",
                      [.text(spec.name), .text(UUID().uuidString.lowercased()), .text(text)]),
            Statement("SELECT spec FROM ingest_jobs WHERE name = ?", [.text(spec.name)]),
        ])
        guard let stored = rows[1].first?.text("spec"), let existing = try? Self.decode(JobSpec.self, stored) else {
            throw JournalError(.unavailable, "the job \(spec.name) could not be read back from \(location)")
        }
        guard existing == spec else {
            throw JournalError(.jobMismatch,
                "the job \(spec.name) was started with other settings (\(Self.summary(existing))); run it with those, name another --job, or `tl ingest forget --job \(spec.name)`")
        }
    }

    /// The job named `name`, if any.
    public func job(named name: String) async throws -> JobSpec? {
        let rows = try await store.transaction([Statement("SELECT spec FROM ingest_jobs WHERE name = ?", [.text(name)])])
        return try rows[0].first?.text("spec").map { try Self.decode(JobSpec.self, $0) }
    }

    /// Every job's name, oldest first.
    public func jobNames() async throws -> [String] {
        let rows = try await store.transaction([Statement("SELECT name FROM ingest_jobs ORDER BY created_at, name")])
        return rows[0].compactMap { $0.text("name") }
    }

    /// Removes a job with all its items and results. Returns whether it existed.
    public func forget(job: String) async throws -> Bool {
        let rows = try await store.transaction([Statement("DELETE FROM ingest_jobs WHERE name = ? RETURNING name", [.text(job)])])
        return !rows[0].isEmpty
    }

    // MARK: - Discovery

    /// Records files of `job`: a new fingerprint is a new item (with one request per prompt); a known one only
    /// has its path updated. Returns how many items are new.
    @discardableResult
    public func discover(job: JobSpec, files: [DiscoveredFile]) async throws -> Int {
        let tokens = try await store.transaction([Statement("SELECT token FROM ingest_jobs WHERE name = ?", [.text(job.name)])])
        guard let token = tokens[0].first?.text("token") else {
            throw JournalError(.unknownJob, "no job \(job.name) in \(location); open it first")
        }
        var new = 0
        for start in stride(from: 0, to: files.count, by: 200) {
            var statements = d.planEachExecution.map { [Statement($0)] } ?? []
            for file in files[start..<min(start + 200, files.count)] {
                let fingerprint = file.fingerprint.text
                statements.append(Statement("""
                    INSERT INTO ingest_items (job, fingerprint, item_key, path, size, state, discovered_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'discovered', \(now), \(now)) ON CONFLICT (job, fingerprint) DO NOTHING RETURNING id
                    """, [.text(job.name), .text(fingerprint), .text(file.fingerprint.itemKey(job: token)), .text(file.path),
                          .integer(file.fingerprint.size)]))
                statements.append(Statement(
                    "UPDATE ingest_items SET path = ? WHERE job = ? AND fingerprint = ? AND path <> ?",
                    [.text(file.path), .text(job.name), .text(fingerprint), .text(file.path)]))
                for index in job.prompts.indices {
                    statements.append(Statement("""
                        INSERT INTO ingest_requests (item_id, prompt_index, generation, custom_id, state, updated_at)
                        SELECT id, ?, 0, item_key || ?, 'pending', \(now) FROM ingest_items WHERE job = ? AND fingerprint = ?
                        ON CONFLICT (item_id, prompt_index) DO NOTHING
                        """, [.integer(Int64(index)), .text("-p\(index)-g0"), .text(job.name), .text(fingerprint)]))
                }
            }
            let results = try await store.transaction(statements).dropFirst(d.planEachExecution == nil ? 0 : 1)
            let perFile = 2 + job.prompts.count
            new += stride(from: results.startIndex, to: results.endIndex, by: perFile).filter { !results[$0].isEmpty }.count
        }
        if new > 0, !d.refreshStatistics.isEmpty {
            // Without statistics PostgreSQL takes the new table for one of a few rows, and a claim then read every
            // unfinished item of the job and sorted them (5.7 ms a claim at 4,000 items, 1,400 pages).
            _ = try await store.transaction(d.refreshStatistics.map { Statement($0) })
        }
        return new
    }

    // MARK: - Leases

    /// Claims up to `limit` due items of `job` for `owner`, each under a new lease of `seconds` with the next
    /// fencing token. Items another live lease holds are skipped; an expired lease is taken over.
    public func claim(job: String, owner: String, limit: Int, leaseSeconds: Double,
                      states claimable: [ItemState] = ItemState.claimable) async throws -> [IngestItem] {
        guard limit > 0 else { return [] }
        let mark = UUID().uuidString
        let claim = claimStatement(job: job, owner: owner, limit: limit, leaseSeconds: leaseSeconds, states: claimable, mark: mark)
        // Each item with its requests, a row per request (and one for an item without any). PostgreSQL reads them
        // in the claim's own statement; SQLite by the claim's mark.
        let select = "SELECT \(Self.itemColumns.map { "i.\($0)" }.joined(separator: ", ")), \(Self.requestColumns) FROM"
        let join = "LEFT JOIN ingest_requests r ON r.item_id = i.id"
        let order = "ORDER BY i.id, r.prompt_index"
        let statements = d.modifyingCTEs
            ? [Statement("WITH i AS (\(claim.sql) RETURNING \(Self.itemColumns.joined(separator: ", "))) \(select) i \(join) \(order)", claim.arguments)]
            : [claim, Statement("\(select) ingest_items i \(join) WHERE i.lease_owner = ? AND i.lease_claim = ? \(order)",
                                [.text(owner), .text(mark)])]
        var items: [IngestItem] = []
        var current: Int64?
        for row in try await store.transaction(statements).last ?? [] {
            if row.integer("id") != current {
                current = row.integer("id")
                guard let item = Self.item(row) else { continue }
                items.append(item)
            }
            guard items.last?.id == current, let request = Self.request(row, prefix: "r_") else { continue }
            items[items.count - 1].requests.append(request)
        }
        return items
    }

    /// The item's columns that ``item(_:)`` reads, named rather than `*`: a statement PostgreSQL has prepared
    /// must not change the shape of its result, as `*` would when a newer migration adds a column.
    static let itemColumns = ["id", "job", "fingerprint", "path", "size", "state", "report", "codes", "billable_seconds",
                              "upload_state", "asset_id", "attempts", "last_error", "lease_owner", "lease_token"]

    /// A request's columns beside its item's, each named with the prefix `r_`.
    static let requestColumns = ["prompt_index", "generation", "custom_id", "state", "task_id", "task_status", "result", "error"]
        .map { "r.\($0) AS r_\($0)" }.joined(separator: ", ")

    /// The claim itself: up to `limit` due, unheld items in `states`, oldest due first, read in the order of the
    /// `ingest_items_due` index (migration 3), so that a claim reads the items it takes and not the whole job.
    /// The items are marked with `mark` (migration 4), by which the same transaction reads their requests.
    func claimStatement(job: String, owner: String, limit: Int, leaseSeconds: Double, states: [ItemState], mark: String) -> Statement {
        Statement("""
            UPDATE ingest_items SET lease_owner = ?, lease_claim = ?, lease_expires_at = \(now) + ?, lease_token = lease_token + 1
            WHERE id IN (
                SELECT id FROM ingest_items
                WHERE job = ? AND \(Self.unfinished(in: states)) AND next_attempt_at <= \(now)
                  AND (lease_expires_at IS NULL OR lease_expires_at < \(now))
                ORDER BY next_attempt_at, id LIMIT ?\(d.claimLock))
            """, [.text(owner), .text(mark), .real(leaseSeconds), .text(job), .integer(Int64(limit))])
    }

    /// Extends the leases still held; returns those (a lease another worker took over is missing).
    public func heartbeat(_ leases: [Lease], leaseSeconds: Double) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        let rows = try await store.transaction(leases.map { lease in
            Statement("UPDATE ingest_items SET lease_expires_at = \(now) + ? WHERE id = ? AND lease_owner = ? AND lease_token = ? RETURNING id",
                      [.real(leaseSeconds), .integer(lease.itemID), .text(lease.owner), .integer(lease.token)])
        })
        return zip(leases, rows).filter { !$0.1.isEmpty }.map(\.0)
    }

    /// Applies `update` under `lease`, in one transaction.
    ///
    /// - Throws: ``JournalError`` `lease_lost` when the item's token is no longer the lease's: another worker
    ///   took it over, and nothing was written.
    public func apply(_ update: ItemUpdate, under lease: Lease) async throws {
        var sets = update.assignments.map { "\($0.column) = ?" } + update.expressions + ["updated_at = \(now)"]
        var arguments = update.assignments.map(\.value)
        if let after = update.releaseAfter {
            sets += ["lease_owner = NULL", "lease_expires_at = NULL",
                     "next_attempt_at = CASE WHEN nudged = 1 THEN \(now) ELSE \(now) + ? END", "nudged = 0"]
            arguments.append(.real(after))
        }
        var statements = [Statement(
            "UPDATE ingest_items SET \(sets.joined(separator: ", ")) WHERE id = ? AND lease_owner = ? AND lease_token = ? RETURNING id",
            arguments + [.integer(lease.itemID), .text(lease.owner), .integer(lease.token)], guarding: .rowsRequired)]
        // With modifying CTEs the requests are updated only when the fenced item update took (`item`, below).
        let (item, itemArguments): (String, [SQLValue]) = d.modifyingCTEs ? ("(SELECT id FROM item)", []) : ("?", [.integer(lease.itemID)])
        for change in update.requestUpdates {
            let columns = change.assignments.map { "\($0.column) = ?" } + ["updated_at = \(now)"]
            statements.append(Statement(
                "UPDATE ingest_requests SET \(columns.joined(separator: ", ")) WHERE item_id = \(item) AND prompt_index = ?",
                change.assignments.map(\.value) + itemArguments + [.integer(Int64(change.promptIndex))]))
        }
        if d.modifyingCTEs, statements.count > 1 {
            // One statement: the item first, each request after it, the item's id as the guard's row.
            let parts = ["item AS (\(statements[0].sql))"] + statements.dropFirst().indices.map { "r\($0) AS (\(statements[$0].sql))" }
            statements = [Statement("WITH \(parts.joined(separator: ", ")) SELECT id FROM item", statements.flatMap(\.arguments),
                                    guarding: .rowsRequired)]
        }
        do {
            _ = try await store.transaction(statements)
        } catch is JournalGuardFailure {
            throw JournalError(.fenced, "item \(lease.itemID) is held by another worker now (token \(lease.token) is stale); nothing was written")
        }
    }

    /// Lets go of every item `owner` holds (a clean stop). Returns how many.
    @discardableResult
    public func releaseAll(owner: String) async throws -> Int {
        let rows = try await store.transaction([Statement(
            "UPDATE ingest_items SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ? RETURNING id", [.text(owner)])])
        return rows[0].count
    }

    // MARK: - Backoff

    /// Makes every worker of `job` wait at least `seconds` before its next request (a 429's `Retry-After`).
    public func backOff(job: String, seconds: Double) async throws {
        _ = try await store.transaction([Statement(
            "UPDATE ingest_jobs SET backoff_until = \(d.greatest)(COALESCE(backoff_until, 0), \(now) + ?) WHERE name = ?",
            [.real(seconds), .text(job)])])
    }

    /// Seconds until `job` may send again, or `nil` when it is not backing off.
    public func backoffRemaining(job: String) async throws -> Double? {
        let rows = try await store.transaction([Statement(
            "SELECT backoff_until - \(now) AS remaining FROM ingest_jobs WHERE name = ?", [.text(job)])])
        guard let remaining = rows[0].first?.real("remaining"), remaining > 0 else { return nil }
        return remaining
    }

    // MARK: - Reading

    /// Counts per state, throughput, ETA and the newest errors.
    public func status(job: String) async throws -> JobStatus {
        let rows = try await store.transaction([
            Statement("SELECT state, COUNT(*) AS n FROM ingest_items WHERE job = ? GROUP BY state", [.text(job)]),
            Statement("""
                SELECT r.state AS state, COUNT(*) AS n FROM ingest_requests r JOIN ingest_items i ON i.id = r.item_id
                WHERE i.job = ? AND i.state <> 'rejected' GROUP BY r.state
                """, [.text(job)]),
            Statement("""
                SELECT COUNT(*) AS n FROM ingest_items
                WHERE job = ? AND state IN ('done', 'rejected', 'failed') AND updated_at > \(now) - 300
                """, [.text(job)]),
            Statement("""
                SELECT path, state, attempts, last_error FROM ingest_items WHERE job = ? AND last_error IS NOT NULL
                ORDER BY updated_at DESC LIMIT 5
                """, [.text(job)]),
            Statement("SELECT backoff_until - \(now) AS remaining FROM ingest_jobs WHERE name = ?", [.text(job)]),
            Statement("SELECT MIN(discovered_at) - \(now) AS age FROM ingest_items WHERE job = ?", [.text(job)]),
        ])
        var items = Dictionary(uniqueKeysWithValues: ItemState.allCases.map { ($0.rawValue, 0) })
        for row in rows[0] { if let state = row.text("state") { items[state] = Int(row.integer("n") ?? 0) } }
        var requests = Dictionary(uniqueKeysWithValues: RequestState.allCases.map { ($0.rawValue, 0) })
        for row in rows[1] { if let state = row.text("state") { requests[state] = Int(row.integer("n") ?? 0) } }
        let finishedRecently = Double(rows[2].first?.integer("n") ?? 0)
        let age = -(rows[5].first?.real("age") ?? 0)
        let rate = finishedRecently / max(1, min(300, age))
        let open = ItemState.claimable.reduce(0) { $0 + (items[$1.rawValue] ?? 0) }
        let backoff = rows[4].first?.real("remaining").flatMap { $0 > 0 ? $0 : nil }
        return JobStatus(
            job: job, items: items, requests: requests, itemsPerSecond: rate,
            etaSeconds: open == 0 ? 0 : (rate > 0 ? Double(open) / rate : nil), backoffSeconds: backoff,
            recentErrors: rows[3].map { row in
                JobStatus.RecentError(path: row.text("path") ?? "", state: row.text("state") ?? "",
                                      attempts: Int(row.integer("attempts") ?? 0), error: row.text("last_error") ?? "")
            })
    }

    /// Whether `job` has an item in one of `states` (by default, any not yet done, rejected or failed): one row of
    /// the due index, however large the job.
    public func hasItems(job: String, states: [ItemState] = ItemState.claimable) async throws -> Bool {
        let rows = try await store.transaction([Statement(
            "SELECT 1 AS found FROM ingest_items WHERE job = ? AND \(Self.unfinished(in: states)) LIMIT 1", [.text(job)])])
        return !rows[0].isEmpty
    }

    /// The condition for unfinished items in `states`: no state list when every unfinished state is asked for,
    /// so that the condition is the due index's own predicate.
    static func unfinished(in states: [ItemState]) -> String {
        guard Set(states) != Set(ItemState.claimable) else { return JournalSchema.unfinished }
        return "state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ", "))) AND \(JournalSchema.unfinished)"
    }

    /// One record per item and prompt, in discovery order.
    public func results(job: String) async throws -> [ResultRecord] {
        let rows = try await store.transaction([Statement("""
            SELECT i.path, i.fingerprint, i.state AS item_state, i.codes, i.last_error, r.prompt_index, r.custom_id,
                   r.task_id, r.state AS request_state, r.result, r.error
            FROM ingest_items i LEFT JOIN ingest_requests r ON r.item_id = i.id
            WHERE i.job = ? ORDER BY i.id, r.prompt_index
            """, [.text(job)])])
        return rows[0].map { row in
            let itemState = row.text("item_state") ?? ""
            let requestState = row.text("request_state")
            let status: String
            let error: String?
            if itemState == ItemState.rejected.rawValue {
                status = "rejected"
                error = row.text("codes")
            } else if itemState == ItemState.failed.rawValue, requestState != RequestState.done.rawValue {
                status = "failed"
                error = row.text("error") ?? row.text("last_error")
            } else {
                status = requestState ?? itemState
                error = row.text("error")
            }
            return ResultRecord(
                path: row.text("path") ?? "", fingerprint: row.text("fingerprint") ?? "", itemState: itemState,
                promptIndex: row.integer("prompt_index").map(Int.init), customID: row.text("custom_id"),
                taskID: row.text("task_id"), status: status, result: row.text("result"), error: error)
        }
    }

    /// Every task id of `job` with its `custom_id` (what a reconciliation compares against).
    public func taskIDs(job: String) async throws -> [(customID: String, taskID: String)] {
        let rows = try await store.transaction([Statement("""
            SELECT r.custom_id, r.task_id FROM ingest_requests r JOIN ingest_items i ON i.id = r.item_id
            WHERE i.job = ? AND r.task_id IS NOT NULL
            """, [.text(job)])])
        return rows[0].compactMap { row in row.text("custom_id").flatMap { id in row.text("task_id").map { (id, $0) } } }
    }

    // MARK: - Retry

    /// Puts failed items (and their failed tasks, under a new `custom_id`) and/or rejected items back in line.
    /// Returns how many items.
    public func retry(job: String, failed: Bool, rejected: Bool) async throws -> Int {
        var statements: [Statement] = []
        if failed {
            statements.append(Statement("""
                UPDATE ingest_requests SET state = 'pending', generation = generation + 1,
                    custom_id = (SELECT item_key FROM ingest_items WHERE id = item_id) || '-p' || prompt_index || '-g' || (generation + 1),
                    task_id = NULL, task_status = NULL, result = NULL, error = NULL, updated_at = \(now)
                WHERE state = 'failed' AND item_id IN (SELECT id FROM ingest_items WHERE job = ? AND state = 'failed')
                """, [.text(job)]))
            statements.append(Statement("""
                UPDATE ingest_items SET state = CASE WHEN asset_id IS NULL THEN 'discovered' ELSE 'asset_ready' END,
                    attempts = 0, next_attempt_at = 0, last_error = NULL, failed_from = NULL, updated_at = \(now)
                WHERE job = ? AND state = 'failed' RETURNING id
                """, [.text(job)]))
        }
        if rejected {
            statements.append(Statement("""
                UPDATE ingest_items SET state = 'discovered', codes = NULL, report = NULL, attempts = 0, next_attempt_at = 0,
                    updated_at = \(now)
                WHERE job = ? AND state = 'rejected' RETURNING id
                """, [.text(job)]))
        }
        guard !statements.isEmpty else { return 0 }
        let rows = try await store.transaction(statements)
        return rows.dropFirst(failed ? 1 : 0).reduce(0) { $0 + $1.count }
    }

    // MARK: - Rows

    private static func item(_ row: JournalRow) -> IngestItem? {
        guard let id = row.integer("id"), let state = row.text("state").flatMap(ItemState.init(rawValue:)),
              let owner = row.text("lease_owner"), let token = row.integer("lease_token")
        else { return nil }
        return IngestItem(
            id: id, job: row.text("job") ?? "", fingerprint: row.text("fingerprint") ?? "", path: row.text("path") ?? "",
            size: row.integer("size") ?? 0, state: state, report: row.text("report"),
            codes: row.text("codes").map { $0.split(separator: ",").map(String.init) } ?? [],
            billableSeconds: row.real("billable_seconds"), uploadState: row.text("upload_state"),
            assetID: row.text("asset_id"), attempts: Int(row.integer("attempts") ?? 0), lastError: row.text("last_error"),
            requests: [], lease: Lease(itemID: id, owner: owner, token: token))
    }

    /// The request in `row`, whose columns are named with `prefix`.
    static func request(_ row: JournalRow, prefix: String = "") -> RequestRecord? {
        guard let index = row.integer(prefix + "prompt_index"), let state = row.text(prefix + "state").flatMap(RequestState.init(rawValue:))
        else { return nil }
        return RequestRecord(
            promptIndex: Int(index), generation: Int(row.integer(prefix + "generation") ?? 0), customID: row.text(prefix + "custom_id") ?? "",
            state: state, taskID: row.text(prefix + "task_id"), taskStatus: row.text(prefix + "task_status"),
            result: row.text(prefix + "result"), error: row.text(prefix + "error"))
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    private static func summary(_ spec: JobSpec) -> String {
        var parts = ["\(spec.prompts.count) prompt\(spec.prompts.count == 1 ? "" : "s")", "mode \(spec.mode.rawValue)"]
        if let model = spec.modelName { parts.append("model \(model)") }
        return parts.joined(separator: ", ")
    }
}
