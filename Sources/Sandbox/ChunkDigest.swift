import struct Foundation.Data

/// The sandbox storage's `ETag`: an FNV-1a-style 64-bit hash of a chunk's bytes taken eight bytes (one
/// little-endian word) at a time, then byte by byte for the tail, as 16 lowercase hex digits.
///
/// Not cryptographic; deterministic, cheap even in debug builds, and enough to tell one chunk's bytes from
/// another's. Word-wise, so the result depends on how the bytes are split into updates only through the
/// tail: ``update(_:)`` keeps up to seven pending bytes so any split gives the same digest.
struct ChunkDigest {
    private static let prime: UInt64 = 0x0000_0100_0000_01b3
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private var pending: [UInt8] = []

    /// Adds `bytes` to the digest.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        var hash = value
        if !pending.isEmpty {
            while pending.count < 8, offset < bytes.count {
                pending.append(bytes[offset])
                offset += 1
            }
            guard pending.count == 8 else { return }
            hash = (hash ^ pending.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian) &* Self.prime
            pending.removeAll(keepingCapacity: true)
        }
        while bytes.count - offset >= 8 {
            hash = (hash ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* Self.prime
            offset += 8
        }
        value = hash
        while offset < bytes.count {
            pending.append(bytes[offset])
            offset += 1
        }
    }

    /// The digest as 16 lowercase hex digits (the `ETag` without its quotes).
    var hex: String {
        var hash = value
        for byte in pending { hash = (hash ^ UInt64(byte)) &* Self.prime }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// What the sandbox keeps of a create body to tell a retry (same bytes) from a reused Idempotency-Key
/// (different bytes): the length and the 64-bit digest.
struct BodyFingerprint: Hashable, Sendable {
    var count: Int
    var digest: String

    init(_ body: Data) {
        var hasher = ChunkDigest()
        body.withUnsafeBytes { hasher.update($0) }
        count = body.count
        digest = hasher.hex
    }
}
