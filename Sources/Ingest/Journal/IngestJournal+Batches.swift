/// A pending request of a ready asset, waiting to be packed into a batch.
public struct PackCandidate: Sendable, Hashable {
    public var itemID: Int64
    public var promptIndex: Int
    public var customID: String
    public var assetID: String
    /// The seconds it analyses (the probed duration, or the window).
    public var seconds: Double
}

/// A worker's hold on one batch row.
public struct BatchLease: Sendable, Hashable {
    public var rowID: Int64
    public var owner: String
    public var token: Int64
}

/// One batch as the journal has it.
public struct JournalBatch: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Committed; the create may or may not have reached the platform: reconcile before creating.
        case intent
        /// Created; its items are followed.
        case active
        /// Every item's outcome is stored, or the unfinished ones were put back in line.
        case finished
    }

    /// The deterministic key: its `Idempotency-Key`.
    public var key: String
    public var batchID: String?
    public var state: State
    public var requestCount: Int
    public var contentSeconds: Double
    public var lease: BatchLease
}

/// One request of a batch.
public struct BatchMember: Sendable, Hashable {
    public var itemID: Int64
    public var promptIndex: Int
    public var customID: String
    public var state: RequestState
    public var taskID: String?
    public var assetID: String
    /// The seconds it analyses.
    public var seconds: Double
}

/// What a batch's results say about one of its requests.
public struct BatchOutcome: Sendable, Hashable {
    public var customID: String
    public var taskID: String
    /// `done` or `failed`.
    public var state: RequestState
    public var taskStatus: String
    public var result: String?
    public var error: String?

    public init(customID: String, taskID: String, state: RequestState, taskStatus: String, result: String? = nil, error: String? = nil) {
        self.customID = customID
        self.taskID = taskID
        self.state = state
        self.taskStatus = taskStatus
        self.result = result
        self.error = error
    }
}

extension IngestJournal {
    /// Pending requests of ready assets no worker holds, oldest item first: what the next batch is packed from
    /// (an item's other prompts may already be in a batch: a batch may end between an item's requests).
    public func batchCandidates(job: String, limit: Int) async throws -> [PackCandidate] {
        let rows = try await store.transaction([Statement("""
            SELECT r.item_id, r.prompt_index, r.custom_id, i.asset_id, i.billable_seconds
            FROM ingest_requests r JOIN ingest_items i ON i.id = r.item_id
            WHERE i.job = ? AND i.state IN ('asset_ready', 'submitting', 'submitted') AND i.lease_owner IS NULL
              AND r.state = 'pending' AND r.batch_key IS NULL
              AND i.asset_id IS NOT NULL
            ORDER BY r.item_id, r.prompt_index LIMIT ?
            """, [.text(job), .integer(Int64(limit))])])
        return rows[0].compactMap { row in
            guard let item = row.integer("item_id"), let index = row.integer("prompt_index"), let customID = row.text("custom_id"),
                  let asset = row.text("asset_id")
            else { return nil }
            return PackCandidate(itemID: item, promptIndex: Int(index), customID: customID, assetID: asset, seconds: row.real("billable_seconds") ?? 0)
        }
    }

    /// Batches not finished in the whole journal (every job): what the platform's per-account limit counts.
    public func activeBatchCount() async throws -> Int {
        let rows = try await store.transaction([Statement("SELECT COUNT(*) AS n FROM ingest_batches WHERE state IN ('intent', 'active')")])
        return Int(rows[0].first?.integer("n") ?? 0)
    }

    /// Commits a batch intent over `members`, held by `owner`: in one transaction, only when fewer than
    /// `maxActive` batches are unfinished across the journal (so a fleet never exceeds the platform's limit) and
    /// only when every member is still pending and unpacked. Returns `nil` when either is not so.
    public func insertBatch(job: String, key: String, members: [PackCandidate], owner: String, leaseSeconds: Double,
                            maxActive: Int) async throws -> JournalBatch? {
        guard !members.isEmpty else { return nil }
        var statements: [Statement] = []
        if let lock = d.batchLock { statements.append(Statement(lock)) }
        statements.append(Statement(
            "SELECT 1 AS room FROM ingest_jobs WHERE name = ? AND (SELECT COUNT(*) FROM ingest_batches WHERE state IN ('intent', 'active')) < ?",
            [.text(job), .integer(Int64(maxActive))], guarding: .rowsRequired))
        let content = members.reduce(0) { $0 + $1.seconds }
        statements.append(Statement("""
            INSERT INTO ingest_batches (job, batch_key, state, request_count, content_seconds, lease_owner, lease_expires_at, lease_token,
                                        created_at, updated_at)
            VALUES (?, ?, 'intent', ?, ?, ?, \(now) + ?, 1, \(now), \(now)) ON CONFLICT (batch_key) DO NOTHING RETURNING id
            """, [.text(job), .text(key), .integer(Int64(members.count)), .real(content), .text(owner), .real(leaseSeconds)],
            guarding: .rowsRequired))
        for member in members {
            statements.append(Statement("""
                UPDATE ingest_requests SET state = 'intent', batch_key = ?, updated_at = \(now)
                WHERE item_id = ? AND prompt_index = ? AND state = 'pending' AND batch_key IS NULL RETURNING item_id
                """, [.text(key), .integer(member.itemID), .integer(Int64(member.promptIndex))], guarding: .rowsRequired))
        }
        statements.append(Statement("""
            UPDATE ingest_items SET state = 'submitting', updated_at = \(now)
            WHERE id IN (SELECT item_id FROM ingest_requests WHERE batch_key = ?) AND state = 'asset_ready'
            """, [.text(key)]))
        let rows: [[JournalRow]]
        do {
            rows = try await store.transaction(statements)
        } catch is JournalGuardFailure {
            return nil
        }
        guard let id = rows[d.batchLock == nil ? 1 : 2].first?.integer("id") else { return nil }
        return JournalBatch(key: key, batchID: nil, state: .intent, requestCount: members.count, contentSeconds: content,
                            lease: BatchLease(rowID: id, owner: owner, token: 1))
    }

    /// Claims up to `limit` unfinished batches of `job` that are due and that no live lease holds.
    public func claimBatches(job: String, owner: String, limit: Int, leaseSeconds: Double) async throws -> [JournalBatch] {
        let rows = try await store.transaction([Statement("""
            UPDATE ingest_batches SET lease_owner = ?, lease_expires_at = \(now) + ?, lease_token = lease_token + 1
            WHERE id IN (
                SELECT id FROM ingest_batches
                WHERE job = ? AND state IN ('intent', 'active') AND next_poll_at <= \(now)
                  AND (lease_expires_at IS NULL OR lease_expires_at < \(now))
                ORDER BY next_poll_at, id LIMIT ?\(d.claimLock))
            RETURNING \(Self.batchColumns)
            """, [.text(owner), .real(leaseSeconds), .text(job), .integer(Int64(limit))])])
        return rows[0].compactMap(Self.batch)
    }

    /// Extends the batch leases still held; returns those.
    public func heartbeat(batches leases: [BatchLease], leaseSeconds: Double) async throws -> [BatchLease] {
        guard !leases.isEmpty else { return [] }
        let rows = try await store.transaction(leases.map { lease in
            Statement("UPDATE ingest_batches SET lease_expires_at = \(now) + ? WHERE id = ? AND lease_owner = ? AND lease_token = ? RETURNING id",
                      [.real(leaseSeconds), .integer(lease.rowID), .text(lease.owner), .integer(lease.token)])
        })
        return zip(leases, rows).filter { !$0.1.isEmpty }.map(\.0)
    }

    /// The requests of batch `key`, with their assets.
    public func members(ofBatch key: String) async throws -> [BatchMember] {
        let rows = try await store.transaction([Statement("""
            SELECT r.item_id, r.prompt_index, r.custom_id, r.state, r.task_id, i.asset_id, i.billable_seconds
            FROM ingest_requests r JOIN ingest_items i ON i.id = r.item_id WHERE r.batch_key = ? ORDER BY r.item_id, r.prompt_index
            """, [.text(key)])])
        return rows[0].compactMap { row in
            guard let item = row.integer("item_id"), let index = row.integer("prompt_index"), let customID = row.text("custom_id"),
                  let state = row.text("state").flatMap(RequestState.init(rawValue:)), let asset = row.text("asset_id")
            else { return nil }
            return BatchMember(itemID: item, promptIndex: Int(index), customID: customID, state: state, taskID: row.text("task_id"),
                               assetID: asset, seconds: row.real("billable_seconds") ?? 0)
        }
    }

    /// Records that batch `key` exists on the platform as `batchID`, with the task ids known so far.
    public func activate(_ batch: JournalBatch, batchID: String, taskIDs: [String: String]) async throws {
        var statements = [fence(batch, "state = 'active', batch_id = ?", [.text(batchID)])]
        for (customID, taskID) in taskIDs {
            statements.append(Statement("""
                UPDATE ingest_requests SET state = 'submitted', task_id = ?, updated_at = \(now)
                WHERE batch_key = ? AND custom_id = ? AND state IN ('intent', 'submitted')
                """, [.text(taskID), .text(batch.key), .text(customID)]))
        }
        statements.append(Statement("""
            UPDATE ingest_requests SET state = 'submitted', updated_at = \(now) WHERE batch_key = ? AND state = 'intent'
            """, [.text(batch.key)]))
        statements.append(Statement("""
            UPDATE ingest_items SET state = 'submitted', updated_at = \(now)
            WHERE id IN (SELECT item_id FROM ingest_requests WHERE batch_key = ?) AND state = 'submitting'
            """, [.text(batch.key)]))
        try await runFenced(statements, batch)
    }

    /// Undoes an intent whose create is known not to have happened (refused, or over the platform's limit):
    /// its requests and items go back in line as they were.
    public func abandon(_ batch: JournalBatch) async throws {
        try await runFenced([
            fence(batch, "state = 'finished'", []),
            backInLine(batch),
            Statement("UPDATE ingest_requests SET state = 'pending', batch_key = NULL, updated_at = \(now) WHERE batch_key = ? AND state = 'intent'",
                      [.text(batch.key)]),
            Statement("DELETE FROM ingest_batches WHERE id = ?", [.integer(batch.lease.rowID)]),
        ], batch)
    }

    /// Stores the outcomes of finished requests of `batch`; items whose every request is finished become done
    /// (or failed, when one failed). With `closing`, the batch ended (completed, expired or canceled): its
    /// unfinished requests are put back in line under new `custom_id`s, for a new batch, and the row is
    /// finished. Otherwise it is let go of until its next poll, `pollSeconds` from now.
    public func record(_ outcomes: [BatchOutcome], of batch: JournalBatch, closing: Bool, pollSeconds: Double) async throws {
        var statements = [closing ? fence(batch, "state = 'finished', lease_owner = NULL, lease_expires_at = NULL", [])
                                  : fence(batch, releaseBatch, [.real(pollSeconds)])]
        for outcome in outcomes {
            statements.append(Statement("""
                UPDATE ingest_requests SET state = ?, task_id = ?, task_status = ?, result = ?, error = ?, updated_at = \(now)
                WHERE batch_key = ? AND custom_id = ? AND state IN ('intent', 'submitted')
                """, [.text(outcome.state.rawValue), .text(outcome.taskID), .text(outcome.taskStatus), .optional(outcome.result),
                      .optional(outcome.error), .text(batch.key), .text(outcome.customID)]))
        }
        if closing {
            statements.append(backInLine(batch))
            statements.append(Statement("""
                UPDATE ingest_requests SET state = 'pending', generation = generation + 1,
                    custom_id = (SELECT item_key FROM ingest_items WHERE id = item_id) || '-p' || prompt_index || '-g' || (generation + 1),
                    batch_key = NULL, task_id = NULL, task_status = NULL, updated_at = \(now)
                WHERE batch_key = ? AND state IN ('intent', 'submitted')
                """, [.text(batch.key)]))
        }
        statements.append(Statement("""
            UPDATE ingest_items SET
                state = CASE WHEN EXISTS (SELECT 1 FROM ingest_requests r WHERE r.item_id = ingest_items.id AND r.state = 'failed')
                             THEN 'failed' ELSE 'done' END,
                last_error = CASE WHEN EXISTS (SELECT 1 FROM ingest_requests r WHERE r.item_id = ingest_items.id AND r.state = 'failed')
                                  THEN 'a task of the batch failed' ELSE NULL END,
                failed_from = 'submitted', updated_at = \(now)
            WHERE state IN ('submitting', 'submitted')
              AND id IN (SELECT item_id FROM ingest_requests WHERE batch_key = ?)
              AND NOT EXISTS (SELECT 1 FROM ingest_requests r WHERE r.item_id = ingest_items.id AND r.state NOT IN ('done', 'failed'))
            """, [.text(batch.key)]))
        try await runFenced(statements, batch)
    }

    /// Items with an unfinished request in `batch`: back to waiting for a batch (run before those requests are
    /// put back in line, while they still point at the batch).
    private func backInLine(_ batch: JournalBatch) -> Statement {
        Statement("""
            UPDATE ingest_items SET state = 'asset_ready', updated_at = \(now)
            WHERE state IN ('submitting', 'submitted')
              AND id IN (SELECT item_id FROM ingest_requests WHERE batch_key = ? AND state IN ('intent', 'submitted'))
            """, [.text(batch.key)])
    }

    /// Lets go of a batch until `seconds` from now.
    public func release(_ batch: JournalBatch, after seconds: Double) async throws {
        try await runFenced([fence(batch, releaseBatch, [.real(seconds)])], batch)
    }

    /// Lets go of a batch until `?` seconds from now, or at once when a webhook said it finished meanwhile.
    private var releaseBatch: String {
        "lease_owner = NULL, lease_expires_at = NULL, next_poll_at = CASE WHEN nudged = 1 THEN \(now) ELSE \(now) + ? END, nudged = 0"
    }

    /// The guarded first statement of every write under a batch lease.
    private func fence(_ batch: JournalBatch, _ sets: String, _ arguments: [SQLValue]) -> Statement {
        Statement("UPDATE ingest_batches SET \(sets), updated_at = \(now) WHERE id = ? AND lease_owner = ? AND lease_token = ? RETURNING id",
                  arguments + [.integer(batch.lease.rowID), .text(batch.lease.owner), .integer(batch.lease.token)], guarding: .rowsRequired)
    }

    private func runFenced(_ statements: [Statement], _ batch: JournalBatch) async throws {
        do {
            _ = try await store.transaction(statements)
        } catch is JournalGuardFailure {
            throw JournalError(.fenced, "batch \(batch.key) is held by another worker now; nothing was written")
        }
    }

    /// The batch's columns that ``batch(_:)`` reads (named, as ``itemColumns`` are).
    static let batchColumns = "id, batch_key, batch_id, state, request_count, content_seconds, lease_owner, lease_token"

    static func batch(_ row: JournalRow) -> JournalBatch? {
        guard let id = row.integer("id"), let key = row.text("batch_key"), let state = row.text("state").flatMap(JournalBatch.State.init(rawValue:)),
              let owner = row.text("lease_owner"), let token = row.integer("lease_token")
        else { return nil }
        return JournalBatch(key: key, batchID: row.text("batch_id"), state: state, requestCount: Int(row.integer("request_count") ?? 0),
                            contentSeconds: row.real("content_seconds") ?? 0, lease: BatchLease(rowID: id, owner: owner, token: token))
    }
}

extension IngestJournal {
    /// Makes the items waiting on task `taskID` due now (a verified webhook said it finished): the next poll
    /// reads its result instead of waiting out the poll interval. Returns how many items. Not fenced: it
    /// changes only when an item is next looked at.
    @discardableResult
    public func pollSoon(taskID: String) async throws -> Int {
        let rows = try await store.transaction([Statement("""
            UPDATE ingest_items SET next_attempt_at = 0, nudged = 1
            WHERE state IN ('submitting', 'submitted') AND id IN (SELECT item_id FROM ingest_requests WHERE task_id = ?) RETURNING id
            """, [.text(taskID)])])
        return rows[0].count
    }

    /// Makes batch `batchID` due for its next look now (its completion webhook arrived).
    @discardableResult
    public func pollSoon(batchID: String) async throws -> Int {
        let rows = try await store.transaction([Statement(
            "UPDATE ingest_batches SET next_poll_at = 0, nudged = 1 WHERE batch_id = ? AND state = 'active' RETURNING id", [.text(batchID)])])
        return rows[0].count
    }
}
