import NIOConcurrencyHelpers

/// The deliveries a receiver has already accepted, so that one seen again is acknowledged without being
/// handed on twice: a platform's retry of an event whose first answer was lost, or a captured delivery
/// replayed inside the signature's time tolerance.
///
/// A delivery is known by its event `id`, or by its `TL-Signature` value when the body has none. The
/// guard remembers the last ``capacity`` of them (oldest forgotten first), so its memory is bounded
/// whatever arrives; size it to cover the tolerance window at the highest rate you expect.
public final class ReplayGuard: Sendable {
    /// How many deliveries are remembered.
    public let capacity: Int

    private struct State {
        var known: Set<String> = []
        /// The remembered keys in the order they came, as a ring: `next` is the oldest once it is full.
        var order: [String] = []
        var next = 0
    }

    private let state = NIOLockedValueBox(State())

    /// A guard that remembers up to `capacity` deliveries (at least 1).
    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Records `key`; `true` when it is new, `false` when it was already there (a repeat).
    public func admit(_ key: String) -> Bool {
        state.withLockedValue { state in
            guard state.known.insert(key).inserted else { return false }
            if state.order.count < capacity {
                state.order.append(key)
            } else {
                state.known.remove(state.order[state.next])
                state.order[state.next] = key
                state.next = (state.next + 1) % capacity
            }
            return true
        }
    }

    /// How many deliveries are remembered now.
    public var count: Int { state.withLockedValue { $0.known.count } }
}
