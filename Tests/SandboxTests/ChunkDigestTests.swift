import Foundation
@testable import Sandbox
import Testing

@Suite struct ChunkDigestTests {
    @Test(arguments: [1, 3, 7, 8, 9, 64, 1000])
    func anySplitOfTheBytesGivesTheSameDigest(pieceSize: Int) {
        let bytes = Data((0..<1003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        var digest = ChunkDigest()
        var offset = 0
        while offset < bytes.count {
            let piece = bytes[offset..<min(bytes.count, offset + pieceSize)]
            piece.withUnsafeBytes { digest.update($0) }
            offset += pieceSize
        }
        #expect(digest.hex == fnv1a(bytes))
        #expect(digest.hex.count == 16)
    }

    @Test func differentBytesGiveDifferentDigests() {
        var empty = ChunkDigest()
        Data().withUnsafeBytes { empty.update($0) }
        #expect(empty.hex == "cbf29ce484222325")
        var one = ChunkDigest()
        Data([0]).withUnsafeBytes { one.update($0) }
        var other = ChunkDigest()
        Data([1]).withUnsafeBytes { other.update($0) }
        #expect(one.hex != other.hex && one.hex != empty.hex)
    }
}
