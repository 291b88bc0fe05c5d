/// The journal's tables, as versioned migrations written once for both dialects.
///
/// Each migration is applied in one transaction that first records its version, so two processes that open a
/// new journal at once apply it once (SQLite serialises the `IMMEDIATE` transactions; PostgreSQL takes an
/// advisory lock first).
enum JournalSchema {
    /// The newest version this build knows.
    static var currentVersion: Int { migrations.count }

    static func versionTable(_ d: SQLDialect) -> String {
        "CREATE TABLE IF NOT EXISTS ingest_schema (version \(d.integer) PRIMARY KEY, applied_at \(d.real) NOT NULL)"
    }

    /// Migration *n* (from 1) is `migrations[n - 1]`.
    static let migrations: [@Sendable (SQLDialect) -> [String]] = [
        { d in [
            """
            CREATE TABLE ingest_jobs (
                name TEXT PRIMARY KEY,
                token TEXT NOT NULL,
                spec TEXT NOT NULL,
                created_at \(d.real) NOT NULL,
                backoff_until \(d.real)
            )
            """,
            """
            CREATE TABLE ingest_items (
                id \(d.identity),
                job TEXT NOT NULL REFERENCES ingest_jobs (name) ON DELETE CASCADE,
                fingerprint TEXT NOT NULL,
                item_key TEXT NOT NULL,
                path TEXT NOT NULL,
                size \(d.integer) NOT NULL,
                state TEXT NOT NULL,
                report TEXT,
                codes TEXT,
                billable_seconds \(d.real),
                upload_state TEXT,
                asset_id TEXT,
                attempts \(d.integer) NOT NULL DEFAULT 0,
                next_attempt_at \(d.real) NOT NULL DEFAULT 0,
                last_error TEXT,
                failed_from TEXT,
                lease_owner TEXT,
                lease_expires_at \(d.real),
                lease_token \(d.integer) NOT NULL DEFAULT 0,
                discovered_at \(d.real) NOT NULL,
                updated_at \(d.real) NOT NULL,
                UNIQUE (job, fingerprint)
            )
            """,
            "CREATE INDEX ingest_items_claim ON ingest_items (job, state, next_attempt_at)",
            "CREATE INDEX ingest_items_owner ON ingest_items (lease_owner)",
            """
            CREATE TABLE ingest_requests (
                item_id \(d.integer) NOT NULL REFERENCES ingest_items (id) ON DELETE CASCADE,
                prompt_index \(d.integer) NOT NULL,
                generation \(d.integer) NOT NULL DEFAULT 0,
                custom_id TEXT NOT NULL,
                state TEXT NOT NULL,
                task_id TEXT,
                task_status TEXT,
                result TEXT,
                error TEXT,
                updated_at \(d.real) NOT NULL,
                PRIMARY KEY (item_id, prompt_index)
            )
            """,
            "CREATE INDEX ingest_requests_task ON ingest_requests (task_id)",
        ] },
        // 2: batches mode, and webhook nudges. A batch row is committed (as an intent) before `POST /analyze/batches`, with its
        // requests pointing at it, and is followed under a lease of its own.
        { d in [
            """
            CREATE TABLE ingest_batches (
                id \(d.identity),
                job TEXT NOT NULL REFERENCES ingest_jobs (name) ON DELETE CASCADE,
                batch_key TEXT NOT NULL UNIQUE,
                batch_id TEXT,
                state TEXT NOT NULL,
                request_count \(d.integer) NOT NULL,
                content_seconds \(d.real) NOT NULL,
                lease_owner TEXT,
                lease_expires_at \(d.real),
                lease_token \(d.integer) NOT NULL DEFAULT 0,
                next_poll_at \(d.real) NOT NULL DEFAULT 0,
                nudged \(d.integer) NOT NULL DEFAULT 0,
                created_at \(d.real) NOT NULL,
                updated_at \(d.real) NOT NULL
            )
            """,
            "CREATE INDEX ingest_batches_claim ON ingest_batches (job, state, next_poll_at)",
            "ALTER TABLE ingest_requests ADD COLUMN batch_key TEXT",
            // Set by a verified webhook: the next release makes the item due at once, not after its poll delay.
            "ALTER TABLE ingest_items ADD COLUMN nudged \(d.integer) NOT NULL DEFAULT 0",
            "CREATE INDEX ingest_requests_batch ON ingest_requests (batch_key)",
        ] },
        // 3: the claim's own order. Over (job, state, next_attempt_at) a claim of one item sorted every due item
        // of the job: 32 ms a claim on PostgreSQL at 10,000 items, and a claim follows every item's release. Over
        // the unfinished items in claim order it reads the few it takes (0.5 ms). The claim repeats the index's
        // predicate so that both planners may use it.
        { _ in [
            "CREATE INDEX ingest_items_due ON ingest_items (job, next_attempt_at, id) WHERE \(JournalSchema.unfinished)",
        ] },
        // 4: each claim marks the items it takes, so that reading their requests in the same transaction reads
        // those items' requests only, not those of every item the worker holds (up to its concurrency).
        { _ in [
            "ALTER TABLE ingest_items ADD COLUMN lease_claim TEXT",
        ] },
    ]

    /// The partial index's predicate: items not in a terminal state.
    static let unfinished = "state NOT IN ('done', 'rejected', 'failed')"
}
