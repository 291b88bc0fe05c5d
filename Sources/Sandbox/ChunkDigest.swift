/// The sandbox storage's `ETag`: FNV-1a (64-bit) of a chunk's bytes, as 16 lowercase hex digits.
///
/// Not cryptographic; deterministic, cheap, and enough to tell one chunk's bytes from another's.
struct ChunkDigest {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Adds `bytes` to the digest.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        value = hash
    }

    /// The digest as 16 lowercase hex digits (the `ETag` without its quotes).
    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
