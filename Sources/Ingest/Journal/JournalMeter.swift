import NIOConcurrencyHelpers

/// Counts a journal's transactions and the wall time spent in them.
public final class JournalMeter: Sendable {
    private let totals = NIOLockedValueBox((transactions: 0, nanoseconds: Int64(0)))

    /// Transactions run so far.
    public var transactions: Int { totals.withLockedValue { $0.transactions } }
    /// Seconds spent in them so far (waiting for the database included).
    public var seconds: Double { Double(totals.withLockedValue { $0.nanoseconds }) / 1e9 }

    func record(_ duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        totals.withLockedValue {
            $0.transactions += 1
            $0.nanoseconds += nanoseconds
        }
    }
}

/// A store that times every transaction of another.
struct MeteredStore: JournalStore {
    let base: any JournalStore
    let meter: JournalMeter

    var dialect: SQLDialect { base.dialect }
    var location: String { base.location }

    func transaction(_ statements: [Statement]) async throws -> [[JournalRow]] {
        let started = ContinuousClock.now
        defer { meter.record(ContinuousClock.now - started) }
        return try await base.transaction(statements)
    }

    func transactions(_ groups: [[Statement]]) async throws -> [Result<[[JournalRow]], any Error>] {
        try await base.transactions(groups)
    }

    func close() async { await base.close() }
}
