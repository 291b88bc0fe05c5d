import Foundation

/// A table-driven standard base64 encoder (RFC 4648 alphabet, `=` padding, no line breaks), used to encode
/// a file chunk by chunk: every chunk but the last holds a multiple of 3 bytes, so the pieces concatenate to
/// the encoding of the whole file.
enum Base64Encoder {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The encoded length of `count` bytes: `4 * ceil(count / 3)`.
    static func encodedLength(_ count: Int64) -> Int64 { (count + 2) / 3 * 4 }

    /// Encodes `input` (padding the end when its length is not a multiple of 3).
    static func encode(_ input: Data) -> Data {
        let outputCount = Int(encodedLength(Int64(input.count)))
        var output = Data(count: outputCount)
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                alphabet.withUnsafeBufferPointer { table in
                    encode(source, into: target, table: table)
                }
            }
        }
        return output
    }

    private static func encode(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer,
                               table: UnsafeBufferPointer<UInt8>) {
        let count = source.count
        var i = 0, o = 0
        while i + 3 <= count {
            let b0 = UInt32(source[i]), b1 = UInt32(source[i + 1]), b2 = UInt32(source[i + 2])
            let word = b0 << 16 | b1 << 8 | b2
            target[o] = table[Int(word >> 18)]
            target[o + 1] = table[Int((word >> 12) & 63)]
            target[o + 2] = table[Int((word >> 6) & 63)]
            target[o + 3] = table[Int(word & 63)]
            i += 3
            o += 4
        }
        let rest = count - i
        if rest > 0 {
            let b0 = UInt32(source[i]), b1 = rest == 2 ? UInt32(source[i + 1]) : 0
            let word = b0 << 16 | b1 << 8
            target[o] = table[Int(word >> 18)]
            target[o + 1] = table[Int((word >> 12) & 63)]
            target[o + 2] = rest == 2 ? table[Int((word >> 6) & 63)] : UInt8(ascii: "=")
            target[o + 3] = UInt8(ascii: "=")
        }
    }
}
