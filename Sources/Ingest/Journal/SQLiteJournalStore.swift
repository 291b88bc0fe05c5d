package import Foundation
import GRDB

/// The embedded journal: one SQLite file in WAL mode through GRDB. Several `tl` processes on one machine may
/// share it: each transaction is `IMMEDIATE`, and a writer waits up to ``busyTimeout`` for another.
package final class SQLiteJournalStore: JournalStore {
    package let dialect = SQLDialect.sqlite
    package let location: String
    private let pool: DatabasePool
    /// The CPU time the database work took on the writer's thread (SQLite runs in this process): with the
    /// machine busy, the wall time in transactions (``IngestJournal/busyMeter``) also counts waits for a core.
    package let cpuMeter = JournalMeter()

    /// How long a writer waits for another process's transaction.
    package static let busyTimeout: TimeInterval = 30

    /// Opens (creating when missing) the journal at `path`. Its folder is made `0700` and the file `0600`.
    package init(path: String) throws {
        location = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try PrivateFiles.ensureDirectory(folder)
        try PrivateFiles.ensureFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "ingest-journal"
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw JournalError(.unavailable, "cannot open the journal \(path): \(error)")
        }
        // The WAL and shared-memory files SQLite makes beside the journal get the journal's own mode.
        for suffix in ["-wal", "-shm"] { chmod(path + suffix, 0o600) }
    }

    package func transaction(_ statements: [Statement]) async throws -> [[JournalRow]] {
        do {
            return try await pool.writeWithoutTransaction { db in
                let started = Self.threadCPUTime()
                defer { cpuMeter.record(Self.threadCPUTime() - started) }
                var results: [[JournalRow]] = []
                try db.inTransaction(.immediate) {
                    results = try Self.run(statements, in: db)
                    return .commit
                }
                return results
            }
        } catch let failure as JournalGuardFailure {
            throw failure
        } catch let error as DatabaseError {
            throw JournalError(.unavailable, "the journal \(location) refused a write: \(error.message ?? error.description)")
        }
    }

    /// Runs `groups` in one transaction, each as if alone: a group that fails leaves no trace and the others commit.
    ///
    /// The usual failure is a fenced write, whose guard is the group's first statement: it changed nothing, so the
    /// groups run without a savepoint each (two statements fewer per group). Any other failure rolls the whole
    /// transaction back and runs it again with a savepoint around every group.
    package func transactions(_ groups: [[Statement]]) async throws -> [Result<[[JournalRow]], any Error>] {
        do {
            return try await pool.writeWithoutTransaction { db in
                let started = Self.threadCPUTime()
                defer { cpuMeter.record(Self.threadCPUTime() - started) }
                if let results = try Self.runWithoutSavepoints(groups, in: db) { return results }
                var results: [Result<[[JournalRow]], any Error>] = []
                try db.inTransaction(.immediate) {
                    for group in groups {
                        var rows: [[JournalRow]] = []
                        do {
                            try db.inSavepoint {
                                rows = try Self.run(group, in: db)
                                return .commit
                            }
                            results.append(.success(rows))
                        } catch let failure as JournalGuardFailure {
                            results.append(.failure(failure))
                        } catch let error as DatabaseError {
                            results.append(.failure(JournalError(.unavailable, "the journal refused a write: \(error.message ?? error.description)")))
                        }
                    }
                    return .commit
                }
                return results
            }
        } catch let error as DatabaseError {
            throw JournalError(.unavailable, "the journal \(location) refused a write: \(error.message ?? error.description)")
        }
    }

    /// The groups in one transaction without savepoints, or `nil` (rolled back) when a group failed other than at
    /// its first statement's guard.
    private static func runWithoutSavepoints(_ groups: [[Statement]], in db: Database) throws -> [Result<[[JournalRow]], any Error>]? {
        struct NeedsSavepoints: Error {}
        var results: [Result<[[JournalRow]], any Error>] = []
        do {
            try db.inTransaction(.immediate) {
                for group in groups {
                    do {
                        results.append(.success(try run(group, in: db)))
                    } catch let failure as JournalGuardFailure where failure.index == 0 {
                        results.append(.failure(failure))
                    } catch {
                        throw NeedsSavepoints()
                    }
                }
                return .commit
            }
        } catch is NeedsSavepoints {
            return nil
        }
        return results
    }

    /// The calling thread's CPU time so far.
    private static func threadCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
    }

    /// Runs each statement through the connection's statement cache: the journal's SQL is a fixed set of texts
    /// (values are always arguments), and compiling one again for every transition cost more than running it.
    private static func run(_ statements: [Statement], in db: Database) throws -> [[JournalRow]] {
        var results: [[JournalRow]] = []
        for (index, statement) in statements.enumerated() {
            let arguments = StatementArguments(statement.arguments.map(\.databaseValue))
            let rows = try Row.fetchAll(db.cachedStatement(sql: statement.sql), arguments: arguments)
            if statement.guarding == .rowsRequired, rows.isEmpty { throw JournalGuardFailure(index: index) }
            results.append(rows.map(journalRow))
        }
        return results
    }

    package func close() async {
        try? pool.close()
    }

    private static func journalRow(_ row: Row) -> JournalRow {
        var values: [String: SQLValue] = Dictionary(minimumCapacity: row.count)
        for (column, value) in row {
            switch value.storage {
            case .null: values[column] = .null
            case .int64(let number): values[column] = .integer(number)
            case .double(let number): values[column] = .real(number)
            case .string(let text): values[column] = .text(text)
            case .blob(let data): values[column] = .text(String(decoding: data, as: UTF8.self))
            }
        }
        return JournalRow(values)
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let text): text.databaseValue
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .null: .null
        }
    }
}
