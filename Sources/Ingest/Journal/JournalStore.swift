/// A value bound into, or read out of, a journal statement.
package enum SQLValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case real(Double)
    case null
}

extension SQLValue {
    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    static func optional(_ number: Double?) -> SQLValue { number.map(SQLValue.real) ?? .null }
}

/// One statement of a journal transaction.
package struct Statement: Sendable {
    /// What an empty result means.
    package enum Guard: Sendable {
        /// Nothing: an empty result is an answer.
        case none
        /// The transaction is rolled back and ``JournalGuardFailure`` thrown: a fenced write whose token is
        /// no longer the item's, or a migration step someone else applied.
        case rowsRequired
    }

    /// SQL with `?` placeholders (each store rewrites them into its own style).
    package var sql: String
    /// The values of the placeholders, in order.
    package var arguments: [SQLValue]
    package var guarding: Guard

    package init(_ sql: String, _ arguments: [SQLValue] = [], guarding: Guard = .none) {
        self.sql = sql
        self.arguments = arguments
        self.guarding = guarding
    }
}

/// A guarded statement found no row: the transaction was rolled back.
package struct JournalGuardFailure: Error {
    package var index: Int
}

/// One row of a statement's result, by column name.
package struct JournalRow: Sendable {
    package var values: [String: SQLValue]

    package init(_ values: [String: SQLValue]) { self.values = values }

    package func text(_ column: String) -> String? {
        if case .text(let text) = values[column] { return text }
        return nil
    }

    package func integer(_ column: String) -> Int64? {
        switch values[column] {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value.rounded()) ?? nil
        default: nil
        }
    }

    package func real(_ column: String) -> Double? {
        switch values[column] {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

/// The differences between the two SQL dialects that the journal's statements need.
package struct SQLDialect: Sendable {
    /// The current time as Unix seconds with a fraction, read from the database's own clock.
    package var now: String
    /// The larger of two values (`max(a, b)` or `GREATEST(a, b)`).
    package var greatest: String
    /// The primary key column of the items table.
    package var identity: String
    /// Integer and real column types.
    package var integer: String
    package var real: String
    /// The suffix of a claim's inner `SELECT` (row locks that skip rows other workers hold).
    package var claimLock: String
    /// A statement that serialises migrations across processes, if the dialect needs one.
    package var migrationLock: String?
    /// A statement that serialises batch creation across processes (the count of active batches, then the
    /// insert), if the dialect needs one.
    package var batchLock: String?
    /// Whether a `WITH` clause may hold `UPDATE … RETURNING` (PostgreSQL): then a write of several statements can
    /// be one statement, which runs without a transaction of its own to begin and commit (two round trips fewer).
    package var modifyingCTEs: Bool
    /// What refreshes the planner's statistics of the items and requests after many rows came in, if the
    /// dialect needs it (PostgreSQL: a table filled in one run has none until autovacuum looks, a minute later).
    package var refreshStatistics: [String] = []
    /// What makes the rest of a transaction plan every statement for its own values, if the dialect keeps plans
    /// (PostgreSQL's prepared statements): discovery fills the items table, and a lookup planned while the table
    /// was nearly empty would keep a scan of the whole table as the table grows (0.9 ms a file at 5,000 files).
    package var planEachExecution: String?

    package static let sqlite = SQLDialect(
        now: "((julianday('now') - 2440587.5) * 86400.0)", greatest: "max", identity: "INTEGER PRIMARY KEY AUTOINCREMENT",
        integer: "INTEGER", real: "REAL", claimLock: "", migrationLock: nil, batchLock: nil,
        modifyingCTEs: false)
    package static let postgres = SQLDialect(
        // The transaction's start (`now()`), not `clock_timestamp()`: a stable value lets the claim's index serve
        // `next_attempt_at <= now`, where a volatile one is evaluated row by row (a scan of the whole job).
        now: "(extract(epoch from now())::double precision)", greatest: "GREATEST",
        identity: "BIGSERIAL PRIMARY KEY", integer: "BIGINT", real: "DOUBLE PRECISION", claimLock: " FOR UPDATE SKIP LOCKED",
        migrationLock: "SELECT pg_advisory_xact_lock(7269657574) AS locked",
        batchLock: "SELECT pg_advisory_xact_lock(7269657575) AS locked", modifyingCTEs: true,
        refreshStatistics: ["ANALYZE ingest_items", "ANALYZE ingest_requests"],
        planEachExecution: "SET LOCAL plan_cache_mode = force_custom_plan")
}

/// Where a journal's rows live: runs statement lists as single transactions. The journal's logic
/// (``IngestJournal``) is written once over this; SQLite and PostgreSQL each implement it.
package protocol JournalStore: Sendable {
    /// The dialect the statements are written in.
    var dialect: SQLDialect { get }
    /// What the store is, for messages (a file path, or a PostgreSQL address without its password).
    var location: String { get }
    /// Runs `statements` in one transaction and returns each one's rows. A ``Statement/Guard/rowsRequired``
    /// statement that finds no row rolls everything back and throws ``JournalGuardFailure``.
    func transaction(_ statements: [Statement]) async throws -> [[JournalRow]]
    /// Runs several callers' statement lists in one transaction (one commit, so one flush to disk), each in a
    /// savepoint of its own: a list whose guard fails, or whose statement fails, is rolled back alone and its
    /// result is that error; the others commit. Throws only when the transaction itself fails.
    func transactions(_ groups: [[Statement]]) async throws -> [Result<[[JournalRow]], any Error>]
    /// Closes the store's connections.
    func close() async
}
