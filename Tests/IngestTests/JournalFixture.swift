import Foundation
@testable import Ingest
import Logging
import Testing

/// Runs one piece of work at a time.
actor PostgresGate {
    static let shared = PostgresGate()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func serialized<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await work()
    }
}

/// The two journal drivers every conformance test runs on.
enum JournalKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Fresh journals for tests: a SQLite file in a temporary folder, or a new PostgreSQL database on the server
/// `TL_TEST_POSTGRES_URL` names (`make test` starts one; in CI its absence is a failure, not a skip).
enum JournalFixture {
    static var postgresURL: String? { ProcessInfo.processInfo.environment["TL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// A journal of `kind`, migrated, with where it lives (a SQLite path, or the PostgreSQL URL).
    static func make(_ kind: JournalKind) async throws -> (journal: IngestJournal, location: String) {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vp-journal-\(UUID().uuidString)").path
            let path = folder + "/ingest.sqlite"
            let journal = try IngestJournal.sqlite(path: path)
            try await journal.migrate()
            return (journal, path)
        case .postgres:
            // One database made and migrated at a time: dozens of tests start at once, and concurrent
            // CREATE DATABASE and DDL on one server, under the whole suite's load, is what a first contact
            // waits on.
            return try await PostgresGate.shared.serialized {
                let url = try await freshDatabase()
                let journal = try IngestJournal.postgres(url: url)
                try await journal.migrate()
                return (journal, url)
            }
        }
    }

    /// A new, empty database on the test server; its URL.
    static func freshDatabase() async throws -> String {
        guard let base = postgresURL else {
            Issue.record("TL_TEST_POSTGRES_URL is not set: run the suite with `make test` (scripts/ensure-postgres.sh starts a server)")
            throw CancellationError()
        }
        return try await PostgresJournalStore.createDatabase(base: base, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Whether the PostgreSQL tests can run here: always in CI (where a missing server fails them).
    static var postgresAvailable: Bool {
        postgresURL != nil || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// The kinds to run: PostgreSQL only when a server is configured, or in CI (where its absence fails).
    static var kinds: [JournalKind] { postgresAvailable ? JournalKind.allCases : [.sqlite] }

    /// A fingerprint for made-up content `n` (the journal never reads the file).
    static func file(_ n: Int, path: String? = nil, size: Int64 = 1000) -> DiscoveredFile {
        DiscoveredFile(path: path ?? "/videos/\(n).mp4",
                       fingerprint: ContentFingerprint(size: size, digest: String(format: "%064x", n)))
    }
}
