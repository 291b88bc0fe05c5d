// libFuzzer harness: the `TL-Signature` header parser and verifier (`TLSignature.verify`).
//
// Input: byte 0 chooses the clock and the tolerance; the bytes up to the first newline are the
// header, the rest is the body. A verification may fail with a `TLSignature.Failure` (that is its
// job) but never trap; a header our own signer makes for the body must verify.
import Foundation
import WebhookSignature

private let secret = "whsec_test_3f9a"
private let fixedNow: Int64 = 1_764_590_400

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignature(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let control = input[0]
    var rest = input.dropFirst()

    // Bits 0-2: the clock. Some choices read 8 more bytes as the clock's seconds.
    let now: Date
    switch control & 0x07 {
    case 0, 1, 2: now = Date(timeIntervalSince1970: TimeInterval(fixedNow))
    case 3: now = Date(timeIntervalSince1970: 0)
    case 4: now = Date(timeIntervalSince1970: -1e19)
    case 5: now = Date(timeIntervalSince1970: 1e19)
    default:
        var seconds: Int64 = 0
        for byte in rest.prefix(8) { seconds = seconds << 8 | Int64(byte) }
        rest = rest.dropFirst(8)
        now = Date(timeIntervalSince1970: TimeInterval(seconds))
    }
    // Bits 3-4: the tolerance.
    let tolerance: Duration = switch (control >> 3) & 0x03 {
    case 0: TLSignature.defaultTolerance
    case 1: .zero
    case 2: .milliseconds(1)
    default: .seconds(Int64.max)
    }

    let newline = rest.firstIndex(of: 0x0A) ?? rest.endIndex
    let header = String(decoding: rest[rest.startIndex..<newline], as: UTF8.self)
    let body = Data(rest[min(newline + 1, rest.endIndex)...])

    do {
        try TLSignature.verify(header: header, body: body, secret: secret, now: now, tolerance: tolerance)
    } catch {
        _ = error.code
        _ = error.description
    }
    // No header at all is `missing`, whatever the body.
    do {
        try TLSignature.verify(header: nil, body: body, secret: secret, now: now, tolerance: tolerance)
        fatalError("a delivery without a header verified")
    } catch {
        precondition(error.code == .missing, "no header gave \(error.code), not missing")
    }
    // What our signer makes for this body at this time verifies (for clocks a sender can have).
    let seconds = now.timeIntervalSince1970
    if seconds >= 0, seconds < 1e15 {
        let signed = TLSignature.header(body: body, secret: secret, timestamp: now)
        do {
            try TLSignature.verify(header: signed, body: body, secret: secret, now: now)
        } catch {
            fatalError("our own signature \(signed) did not verify: \(error)")
        }
    }
    return 0
}
