public import Foundation
import Crypto

/// The `TL-Signature` header of a TwelveLabs webhook delivery: `t=<unix seconds>,v1=<hex>`, where
/// `v1` is `hex(HMAC-SHA256(secret, t + "." + raw body))`.
///
/// ```swift
/// try TLSignature.verify(header: request.headers["TL-Signature"], body: rawBody, secret: secret)
/// ```
///
/// Verify the **raw** body, as received: a body decoded and encoded again is not the one signed.
public enum TLSignature {
    /// Why a delivery is refused.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public enum Code: String, Sendable, Hashable {
            /// There is no `TL-Signature` header.
            case missing
            /// The header is not `t=<seconds>,v1=<hex>`.
            case malformed
            /// The timestamp is further from now than the tolerance (a replay, or a skewed clock).
            case stale
            /// No `v1` matches the body and the secret.
            case mismatch
        }

        /// What is wrong.
        public var code: Code
        /// A plain sentence; it never holds the secret or the expected signature.
        public var description: String
    }

    /// The default tolerance between the signed timestamp and now: 5 minutes.
    public static let defaultTolerance: Duration = .seconds(300)

    /// Checks a delivery's signature. Several `v1` values (a secret being rotated) are accepted when
    /// any one matches; the comparison takes the same time whatever the bytes.
    ///
    /// - Throws: ``Failure`` with code `missing`, `malformed`, `stale` or `mismatch`.
    public static func verify(
        header: String?, body: some DataProtocol, secret: String, now: Date = Date(), tolerance: Duration = defaultTolerance
    ) throws(Failure) {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Failure(code: .missing, description: "The TL-Signature header is missing.")
        }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw malformed() }
            switch pair[0] {
            case "t":
                guard timestamp == nil, let value = Int64(pair[1]), value >= 0 else { throw malformed() }
                timestamp = value
            case "v1":
                guard let bytes = bytes(hex: pair[1]), bytes.count == SHA256.byteCount else { throw malformed() }
                signatures.append(bytes)
            default:
                continue  // Other schemes (v0, future ones) are ignored, as a receiver should.
            }
        }
        guard let timestamp, !signatures.isEmpty else { throw malformed() }
        let age = abs(now.timeIntervalSince1970 - Double(timestamp))
        guard age <= Double(tolerance.components.seconds) + Double(tolerance.components.attoseconds) / 1e18 else {
            // `Int(age)` would trap for 2^63 s or more (a clock or a timestamp far out), and for NaN.
            let distance = age.isFinite && age < 1e15 ? "\(Int(age)) s" : "further than 10^15 s"
            throw Failure(code: .stale, description: "The signature's timestamp is \(distance) from now; at most \(tolerance.components.seconds) s is accepted.")
        }
        let key = SymmetricKey(data: Data(secret.utf8))
        var signed = Data("\(timestamp).".utf8)
        signed.append(contentsOf: body)
        for signature in signatures where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: key) {
            return
        }
        throw Failure(code: .mismatch, description: "The signature does not match the body and the secret.")
    }

    /// The header value for `body`, signed at `timestamp` (for senders: the sandbox's webhook delivery).
    public static func header(body: some DataProtocol, secret: String, timestamp: Date = Date()) -> String {
        let seconds = Int64(timestamp.timeIntervalSince1970.rounded(.down))
        var signed = Data("\(seconds).".utf8)
        signed.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(seconds),v1=" + code.map { String(format: "%02x", $0) }.joined()
    }

    private static func malformed() -> Failure {
        Failure(code: .malformed, description: "The TL-Signature header is not of the form t=<unix seconds>,v1=<hex>.")
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
