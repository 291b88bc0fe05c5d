import Crypto
import Foundation
public import PlatformRules

/// Packs waiting requests into batches within the platform's limits: at most `rules.batches.requests`
/// requests and `rules.batches.maxContentHours` of content, counted from each request's probed duration (or
/// window).
public struct BatchPacker: Sendable {
    /// The most requests in one batch (the platform's maximum, or fewer).
    public var maximumRequests: Int
    /// The most content seconds in one batch.
    public var maximumContentSeconds: Double

    public init(rules: PlatformRules = .current, maximumRequests: Int? = nil) {
        self.maximumRequests = min(maximumRequests ?? rules.batches.requests.upperBound, rules.batches.requests.upperBound)
        maximumContentSeconds = rules.batches.maxContentHours * 3600
    }

    /// The first batch's worth of `candidates`, in order, and whether it is full (so it should be sent now
    /// rather than wait for more). A request longer than a whole batch may hold is packed alone (the platform
    /// fails it alone).
    public func pack(_ candidates: [PackCandidate]) -> (members: [PackCandidate], full: Bool) {
        var members: [PackCandidate] = []
        var seconds = 0.0
        for candidate in candidates {
            if members.count == maximumRequests { return (members, true) }
            if !members.isEmpty, seconds + candidate.seconds > maximumContentSeconds { return (members, true) }
            members.append(candidate)
            seconds += candidate.seconds
        }
        return (members, members.count == maximumRequests || seconds >= maximumContentSeconds)
    }

    /// The batch's key (its `Idempotency-Key`): the same members give the same key on any machine.
    public static func key(job: String, members: [PackCandidate]) -> String {
        let text = ([job] + members.map(\.customID).sorted()).joined(separator: "\u{0}")
        return "vpb" + SHA256.hash(data: Data(text.utf8)).prefix(16).lowercaseHex
    }
}
