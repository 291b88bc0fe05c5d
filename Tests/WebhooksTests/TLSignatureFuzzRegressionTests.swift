import Foundation
import Testing
import Webhooks

/// Inputs the fuzz harness `Fuzz/Sources/FuzzSignature` failed on (kept in `Fuzz/Regressions/FuzzSignature/`),
/// replayed through `TLSignature.verify`.
@Suite struct TLSignatureFuzzRegressionTests {
    static let zeros = String(repeating: "0", count: 64)

    /// A timestamp 2^63 s or more from the clock trapped (`Int(age)` of a `Double` beyond `Int.max`, in the
    /// message of the `stale` failure) instead of failing as `stale`:
    /// `Fuzz/Regressions/FuzzSignature/timestamp-2pow63-seconds-from-the-clock` (t = Int64.max, clock at 0).
    static let farOff: [(Int64, Double)] = [
        (Int64.max, 0), (0, -1e19), (0, 1e19), (0, .infinity), (0, -.infinity), (1_764_590_400, .nan),
    ]

    @Test(arguments: farOff)
    func aTimestampAnyDistanceFromTheClockIsStaleNotATrap(timestamp: Int64, now: Double) {
        #expect {
            try TLSignature.verify(header: "t=\(timestamp),v1=\(Self.zeros)", body: Data("{}".utf8), secret: "s",
                                   now: Date(timeIntervalSince1970: now))
        } throws: { error in
            (error as? TLSignature.Failure)?.code == .stale
        }
    }
}
