import NIOConcurrencyHelpers
import PostgresNIO

/// The journal's statements as PostgreSQL prepared statements: parsed and planned once per connection, then only
/// bound and executed. Parsing and planning were 40 % of the server's CPU per ingested item (`perf`), and the
/// client skips describing each result too.
///
/// PostgresNIO prepares a statement by its type's static `name` and `sql`, and the journal's texts are known only
/// at run time (a fixed set, since values are always arguments). So each text gets a number, and each number a
/// type of its own (``PreparedSlot``), whose `sql` is the text registered under that number.
enum PreparedStatements {
    /// A text and the kinds of its arguments: a statement is prepared with its parameters' types, so the same
    /// text bound with a `NULL` where it had a number is another statement.
    struct Key: Hashable {
        var sql: String
        var kinds: [UInt8]
    }

    private struct Registry {
        var numbers: [Key: Int] = [:]
        var texts: [String] = []
        var slots: [any PreparedSlot.Type] = []
        /// Part of every name: raised after a server error, since PostgresNIO keeps a failed preparation's error
        /// for that name on its connection for good, and a statement that failed once for a passing reason
        /// (a lock wait cut short, say) must be prepared afresh.
        var generation = 0
    }

    /// A pthread lock, not `Synchronization.Mutex`: under the Thread Sanitizer, two reads and writes both made
    /// inside `Mutex.withLock` were reported as a race (CI, 2026-12-02); the sanitizer knows pthread locks.
    private static let registry = NIOLockedValueBox(Registry())
    /// At most this many texts are prepared; any further one runs unprepared.
    static let limit = 256

    /// Statements PostgreSQL can prepare and plan; anything else (DDL, `ANALYZE`, transaction control) runs
    /// unprepared.
    static func isPlannable(_ sql: String) -> Bool {
        let head = sql.drop { $0 == " " || $0 == "\n" }.prefix(7).uppercased()
        return ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "].contains { head.hasPrefix($0) }
    }

    /// The slot of `numbered` (a text with `$n` placeholders) bound with `arguments`, registered on first use;
    /// `nil` when the text cannot be prepared or ``limit`` texts are already.
    static func slot(_ numbered: String, _ arguments: [SQLValue]) -> (any PreparedSlot.Type)? {
        let key = Key(sql: numbered, kinds: arguments.map(\.kind))
        return registry.withLockedValue { registry in
            if let number = registry.numbers[key] { return registry.slots[number] }
            guard registry.texts.count < limit, isPlannable(numbered) else { return nil }
            let number = registry.texts.count
            registry.numbers[key] = number
            registry.texts.append(numbered)
            registry.slots.append(slotType(number + 1))
            return registry.slots[number]
        }
    }

    static func text(_ number: Int) -> String { registry.withLockedValue { $0.texts[number - 1] } }
    static func name(_ number: Int) -> String { registry.withLockedValue { "tl_journal_\($0.generation)_\(number)" } }
    static func prepareAfresh() { registry.withLockedValue { $0.generation += 1 } }

    /// The type whose ``PreparedSlot/number`` is `number` (≥ 1), built from its binary digits.
    static func slotType(_ number: Int) -> any PreparedSlot.Type {
        guard number > 1 else { return SlotOne.self }
        let half = slotType(number / 2)
        return number % 2 == 0 ? twice(half) : twicePlusOne(half)
    }

    private static func twice<Half: PreparedSlot>(_: Half.Type) -> any PreparedSlot.Type { SlotTwice<Half>.self }
    private static func twicePlusOne<Half: PreparedSlot>(_: Half.Type) -> any PreparedSlot.Type { SlotTwicePlusOne<Half>.self }

    /// Runs the statement of `slot` with `bindings` on `connection`, preparing it there first if it is new to it.
    static func execute<Slot: PreparedSlot>(_ slot: Slot.Type, _ bindings: PostgresBindings, on connection: PostgresConnection,
                                            logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await connection.execute(JournalPreparedStatement<Slot>(bindings: bindings), logger: logger) {
            rows.append(row)
        }
        return rows
    }
}

/// A number as a type: what a prepared statement's static `name` and `sql` are read by.
protocol PreparedSlot: Sendable {
    static var number: Int { get }
}

enum SlotOne: PreparedSlot { static var number: Int { 1 } }
enum SlotTwice<Half: PreparedSlot>: PreparedSlot { static var number: Int { 2 * Half.number } }
enum SlotTwicePlusOne<Half: PreparedSlot>: PreparedSlot { static var number: Int { 2 * Half.number + 1 } }

/// The journal's statement registered under `Slot`'s number.
struct JournalPreparedStatement<Slot: PreparedSlot>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { PreparedStatements.name(Slot.number) }
    static var sql: String { PreparedStatements.text(Slot.number) }
    let bindings: PostgresBindings
    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension SQLValue {
    /// What type a bound value has (a `NULL` none).
    var kind: UInt8 {
        switch self {
        case .text: 0
        case .integer: 1
        case .real: 2
        case .null: 3
        }
    }
}
