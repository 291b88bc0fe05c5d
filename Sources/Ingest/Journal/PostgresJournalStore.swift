import Foundation
package import Logging
import NIOSSL
import PostgresNIO
import NIOConcurrencyHelpers

/// The shared journal for a fleet of workers: PostgreSQL through PostgresNIO's connection pool.
///
/// Times are the server's (`now()`, the transaction's start), so the workers' own clocks never decide a lease; claims take
/// rows with `FOR UPDATE SKIP LOCKED`, so two workers never wait on, or take, the same item.
package final class PostgresJournalStore: JournalStore {
    package let dialect = SQLDialect.postgres
    package let location: String
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let deadlines = Deadlines()
    private let watchdog: Task<Void, Never>
    private let logger: Logger
    /// Whether a transaction has succeeded yet: until one has, an unreachable server is said within
    /// ``firstContactSeconds`` rather than after the pool's own retries (a minute and more).
    private let reached = NIOLockedValueBox(false)
    static let firstContactSeconds: Double = 30
    /// No transaction may take longer: a server that stops answering is an error, never a hang.
    static let transactionSeconds: Double = 60
    /// How long a connection is kept open unused.
    static let idleSeconds: Int64 = 5

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`).
    /// A password missing from the URL is read from `PGPASSWORD`.
    package init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) throws {
        let address = try PostgresAddress(url, environment: environment)
        location = address.redacted
        self.logger = logger
        let tls: PostgresClient.Configuration.TLS
        switch address.sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(TLSConfiguration.makeClientConfiguration())
        default: tls = .prefer(TLSConfiguration.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: tls)
        configuration.options.maximumConnections = 8
        // The pool times each idle connection with a sleep that it cancels when the connection is leased again, and
        // a canceled sleep is kept until its time is up (about 1 KB each): with a 60 s idle timeout and a 30 s
        // keep-alive, a journal at 2,000 transactions a second held 30 MB more at 20,000 items than at 2,000. A short
        // idle timeout bounds that; a keep-alive query is of no use when an idle connection is closed within 5 s.
        configuration.options.connectionIdleTimeout = .seconds(Self.idleSeconds)
        configuration.options.keepAliveBehavior = nil
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        watchdog = Task { [deadlines] in await deadlines.run() }
    }

    package func transaction(_ statements: [Statement]) async throws -> [[JournalRow]] {
        try await bounded { try await self.run(statements) }
    }

    package func transactions(_ groups: [[Statement]]) async throws -> [Result<[[JournalRow]], any Error>] {
        try await bounded { try await self.runGroups(groups) }
    }

    /// `work`, or ``JournalError`` `journal_unavailable` when it takes longer than a transaction may.
    private func bounded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = reached.withLockedValue { $0 } ? Self.transactionSeconds : Self.firstContactSeconds
        let rows = try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            // Not a `Task.sleep` raced against the work: a canceled sleep is kept by the runtime until its time
            // is up (about 1 KB), so a 60 s sleep per transaction held a minute's worth of transactions.
            group.addTask {
                await self.deadlines.wait(until: .now + .seconds(limit))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let rows = first else {
                throw JournalError(.unavailable, "no answer from the journal \(self.location) within \(Int(limit)) s (is the server running and reachable?)")
            }
            return rows
        }
        reached.withLockedValue { $0 = true }
        return rows
    }

    /// One statement runs on its own (PostgreSQL makes it atomic): two round trips fewer than `BEGIN` and `COMMIT`
    /// around it. A guarded one whose guard finds no row has changed nothing, as the journal's statements are
    /// written (the guard is the statement's own `RETURNING`).
    private func run(_ statements: [Statement]) async throws -> [[JournalRow]] {
        if statements.count == 1 {
            return try await mapped { try await self.client.withConnection { try await Self.run(statements, on: $0, logger: self.logger) } }
        }
        return try await mapped { try await self.client.withTransaction(logger: self.logger) { try await Self.run(statements, on: $0, logger: self.logger) } }
    }

    private func runGroups(_ groups: [[Statement]]) async throws -> [Result<[[JournalRow]], any Error>] {
        try await mapped {
            try await self.client.withTransaction(logger: self.logger) { connection in
                var results: [Result<[[JournalRow]], any Error>] = []
                for group in groups {
                    try await connection.query("SAVEPOINT journal_group", logger: self.logger)
                    do {
                        let rows = try await Self.run(group, on: connection, logger: self.logger)
                        try await connection.query("RELEASE SAVEPOINT journal_group", logger: self.logger)
                        results.append(.success(rows))
                    } catch {
                        try await connection.query("ROLLBACK TO SAVEPOINT journal_group", logger: self.logger)
                        try await connection.query("RELEASE SAVEPOINT journal_group", logger: self.logger)
                        results.append(.failure(error is JournalGuardFailure ? error
                            : JournalError(.unavailable, "the journal \(self.location) failed: \(Self.describe(error))")))
                    }
                }
                return results
            }
        }
    }

    private static func run(_ statements: [Statement], on connection: PostgresConnection, logger: Logger) async throws -> [[JournalRow]] {
        var results: [[JournalRow]] = []
        for (index, statement) in statements.enumerated() {
            let sql = numbered(statement.sql)
            let binds = bindings(statement.arguments)
            var collected: [JournalRow] = []
            if let slot = PreparedStatements.slot(sql, statement.arguments) {
                do {
                    for row in try await PreparedStatements.execute(slot, binds, on: connection, logger: logger) {
                        collected.append(try journalRow(row))
                    }
                } catch let error as PSQLError {
                    PreparedStatements.prepareAfresh()
                    throw error
                }
            } else {
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                    collected.append(try journalRow(row))
                }
            }
            if statement.guarding == .rowsRequired, collected.isEmpty { throw JournalGuardFailure(index: index) }
            results.append(collected)
        }
        return results
    }

    /// `work`'s errors as journal errors (a guard failure as it is).
    private func mapped<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let failure as JournalGuardFailure {
            throw failure
        } catch let error as PostgresTransactionError {
            if let failure = error.closureError as? JournalGuardFailure { throw failure }
            throw JournalError(.unavailable, "the journal \(location) failed: \(Self.describe(error.closureError ?? error.beginError ?? error.commitError ?? error))")
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.unavailable, "the journal \(location) failed: \(Self.describe(error))")
        }
    }

    package func close() async {
        runner.cancel()
        watchdog.cancel()
        _ = await runner.value
    }

    /// Creates a new, empty database on the server `base` names (its user needs `CREATEDB`) and returns its
    /// URL: what the tests of both the journal and `tl ingest` start from.
    package static func createDatabase(base: String, logger: Logger) async throws -> String {
        let address = try PostgresAddress(base, environment: [:])
        let name = "tl_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let client = PostgresClient(configuration: PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        guard var components = URLComponents(string: base) else { throw JournalError(.badLocation, "not a URL: \(address.redacted)") }
        components.path = "/" + name
        return components.string ?? base
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// `arguments` as PostgreSQL's bound values.
    private static func bindings(_ arguments: [SQLValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: arguments.count)
        for value in arguments {
            switch value {
            case .text(let text): binds.append(text)
            case .integer(let number): binds.append(number)
            case .real(let number): binds.append(number)
            case .null: binds.appendNull()
            }
        }
        return binds
    }

    /// The journal's statements are a fixed set of texts (values are always arguments), each numbered once:
    /// numbering them character by character on every call was 4 % of `tl`'s CPU with this journal.
    private static let numberedTexts = NIOLockedValueBox<[String: String]>([:])
    static let numberedTextsLimit = 512

    /// `sql` with `$1`, `$2`, … for its `?` placeholders.
    static func numbered(_ sql: String) -> String {
        if let known = numberedTexts.withLockedValue({ $0[sql] }) { return known }
        var text = ""
        text.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        for character in sql {
            if character == "?" {
                number += 1
                text += "$\(number)"
            } else {
                text.append(character)
            }
        }
        numberedTexts.withLockedValue { texts in
            if texts.count < numberedTextsLimit { texts[sql] = text }
        }
        return text
    }

    private static func journalRow(_ row: PostgresRow) throws -> JournalRow {
        var values: [String: SQLValue] = [:]
        for cell in row {
            guard cell.bytes != nil else {
                values[cell.columnName] = .null
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8: values[cell.columnName] = .integer(try cell.decode(Int64.self))
            case .float4, .float8, .numeric: values[cell.columnName] = .real(try cell.decode(Double.self))
            case .bool: values[cell.columnName] = .integer(try cell.decode(Bool.self) ? 1 : 0)
            default: values[cell.columnName] = .text(try cell.decode(String.self))
            }
        }
        return JournalRow(values)
    }
}

/// Waits that end at a deadline or when their task is canceled, whichever comes first, all timed by one task
/// that looks every second: what bounds each transaction's time.
final class Deadlines: Sendable {
    private struct Waiter {
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var next = 0
        var waiters: [Int: Waiter] = [:]
        var canceled: Set<Int> = []
    }
    private let state = NIOLockedValueBox(State())

    /// How often ``run()`` looks: a wait ends up to this much after its deadline.
    static let tick: Duration = .seconds(1)

    /// Returns at `deadline` (within a ``tick``), or at once when the calling task is canceled.
    func wait(until deadline: ContinuousClock.Instant) async {
        let id = state.withLockedValue { state in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { state -> Bool in
                    if state.canceled.remove(id) != nil { return true }
                    state.waiters[id] = Waiter(deadline: deadline, continuation: continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.canceled.insert(id) // canceled before it was stored: it returns as soon as it is
                    return nil
                }
                return waiter
            }
            waiter?.continuation.resume()
        }
        state.withLockedValue { _ = $0.canceled.remove(id) }
    }

    /// Ends every wait whose deadline has passed, every ``tick``, until canceled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.tick)
            let now = ContinuousClock.now
            let due = state.withLockedValue { state -> [Waiter] in
                let ids = state.waiters.filter { $0.value.deadline <= now || Task.isCancelled }.map(\.key)
                return ids.compactMap { state.waiters.removeValue(forKey: $0) }
            }
            for waiter in due { waiter.continuation.resume() }
        }
    }
}

/// The parts of a `postgres://` URL.
package struct PostgresAddress: Sendable, Hashable {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var sslMode: String

    package init(_ text: String, environment: [String: String]) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else {
            throw JournalError(.badLocation, "a PostgreSQL journal is named postgres://USER@HOST[:PORT]/DATABASE")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding } ?? environment["PGPASSWORD"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(mode) else {
            throw JournalError(.badLocation, "sslmode must be disable, prefer or require, not \(mode)")
        }
        sslMode = mode
    }

    /// The address as it may be shown: never with its password.
    package var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
