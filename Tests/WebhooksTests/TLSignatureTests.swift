import Crypto
import Foundation
import Testing
import Webhooks

/// `TL-Signature` verification, against signatures computed here by hand from the documented formula
/// (`v1 = hex(HMAC-SHA256(secret, t + "." + raw body))`), not by our own signer.
@Suite struct TLSignatureTests {
    static let secret = "whsec_test_3f9a"
    static let body = Data(#"{"id":"evt_1","created_at":"2026-12-01T12:00:00Z","type":"analyze.task.ready","data":{"id":"t1","status":"ready"}}"#.utf8)
    static let now = Date(timeIntervalSince1970: 1_764_590_400)

    /// The documented formula, spelled out: HMAC-SHA256 over `t.` followed by the raw body, in lowercase hex.
    static func byHand(_ body: Data, secret: String, t: Int64) -> String {
        var message = Data(String(t).utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    @Test func aSignatureComputedByHandVerifies() throws {
        let t: Int64 = 1_764_590_400
        let header = "t=\(t),v1=\(Self.byHand(Self.body, secret: Self.secret, t: t))"
        try TLSignature.verify(header: header, body: Self.body, secret: Self.secret, now: Self.now)
        // Upper-case hex, spaces, a rotated second signature and an unknown scheme are all fine.
        let rotated = "t=\(t), v0=abc, v1=\(String(repeating: "0", count: 64)), v1=\(Self.byHand(Self.body, secret: Self.secret, t: t).uppercased())"
        try TLSignature.verify(header: rotated, body: Self.body, secret: Self.secret, now: Self.now)
        // Our signer agrees with the hand-made one.
        #expect(TLSignature.header(body: Self.body, secret: Self.secret, timestamp: Self.now) == header)
    }

    static let zeros = String(repeating: "0", count: 64)
    static let badHeaders: [(String?, TLSignature.Failure.Code)] = [
        (nil, .missing),
        ("", .missing),
        ("v1=00", .malformed),
        ("t=1764590400", .malformed),
        ("t=abc,v1=" + zeros, .malformed),
        ("t=1764590400,v1=xyz", .malformed),
        ("t=1764590400,v1=" + String(zeros.dropFirst(2)), .malformed),
        ("t=1764590400,t=1764590401,v1=" + zeros, .malformed),
        ("garbage", .malformed),
        ("t=1764590400,v1=" + zeros, .mismatch),
    ]

    @Test(arguments: badHeaders)
    func badHeadersFailWithTheirCode(header: String?, code: TLSignature.Failure.Code) {
        #expect(throws: TLSignature.Failure.self) {
            try TLSignature.verify(header: header, body: Self.body, secret: Self.secret, now: Self.now)
        }
        do {
            try TLSignature.verify(header: header, body: Self.body, secret: Self.secret, now: Self.now)
        } catch {
            #expect(error.code == code, "\(String(describing: header)): \(error)")
            #expect(!error.description.contains(Self.secret))
        }
    }

    @Test func aChangedBodyAWrongSecretOrAnOldTimestampFail() throws {
        let t: Int64 = 1_764_590_400
        let header = "t=\(t),v1=\(Self.byHand(Self.body, secret: Self.secret, t: t))"
        var tampered = Self.body
        tampered[tampered.count - 3] = UInt8(ascii: "X")
        for (body, secret) in [(tampered, Self.secret), (Self.body, "another-secret")] {
            do {
                try TLSignature.verify(header: header, body: body, secret: secret, now: Self.now)
                Issue.record("accepted a body or secret that was not signed")
            } catch {
                #expect(error.code == .mismatch)
            }
        }
        // 5 minutes either way is accepted; a second more is stale, even with a correct signature.
        for (offset, accepted) in [(300.0, true), (-300.0, true), (301.0, false), (-301.0, false)] {
            let result = Result { () throws(TLSignature.Failure) in
                try TLSignature.verify(header: header, body: Self.body, secret: Self.secret, now: Self.now.addingTimeInterval(offset))
            }
            switch result {
            case .success: #expect(accepted, "\(offset)")
            case .failure(let error): #expect(!accepted && error.code == .stale, "\(offset): \(error)")
            }
        }
        try TLSignature.verify(header: header, body: Self.body, secret: Self.secret, now: Self.now.addingTimeInterval(3000), tolerance: .seconds(3600))
    }
}

@Suite struct ReplayGuardTests {
    @Test func aKeyIsAdmittedOnceAndTheOldestIsForgottenWhenFull() {
        let guardian = ReplayGuard(capacity: 3)
        #expect(guardian.admit("a") && guardian.admit("b") && guardian.admit("c"))
        #expect(!guardian.admit("a") && !guardian.admit("c"))
        #expect(guardian.admit("d"), "a fourth key takes the oldest one's place")
        #expect(guardian.count == 3)
        #expect(guardian.admit("a"), "a was forgotten")
        #expect(!guardian.admit("d") && !guardian.admit("a"))
        #expect(guardian.admit("b"), "b went when a came back")
    }

    @Test func concurrentDeliveriesOfOneEventAdmitExactlyOne() async {
        let guardian = ReplayGuard(capacity: 1000)
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 { group.addTask { guardian.admit("evt_same") } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 1)
    }
}
