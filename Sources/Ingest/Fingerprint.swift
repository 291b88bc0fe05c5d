import Crypto
import Foundation

/// What identifies a file's content without reading all of it: its size plus a SHA-256 of sampled ranges
/// (the first and last 64 KiB and eight 64 KiB ranges spread evenly between them; the whole file when it is
/// under 1 MiB).
///
/// It catches a renamed or copied file (same item), a re-encode, a truncation or an append (new item), and
/// any change inside a sampled range. It does not catch an edit of the same size that touches only bytes
/// between the samples; such a file would be taken for the one already sent.
public struct ContentFingerprint: Sendable, Hashable {
    /// The file's size in bytes.
    public var size: Int64
    /// Hex SHA-256 of the sampled ranges.
    public var digest: String

    /// Bytes per sampled range, and how many ranges between the first and the last.
    static let sample = 64 * 1024
    static let interior = 8
    static let wholeBelow: Int64 = 1024 * 1024

    /// A fingerprint from its parts (as read back, or made up by a benchmark).
    public init(size: Int64, digest: String) {
        self.size = size
        self.digest = digest
    }

    /// `size:digest`, as the journal stores it.
    public var text: String { "\(size):\(digest)" }

    /// The fingerprint of the regular file at `path`.
    ///
    /// - Throws: ``IngestError`` `file_unreadable` for a missing or unreadable file, and `not_a_file` for a
    ///   directory, FIFO, device or socket (which would block or never end).
    public static func of(file path: String) throws -> ContentFingerprint {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw IngestError(.fileUnreadable, "cannot open \(path): \(String(cString: strerror(errno)))", path: path)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw IngestError(.fileUnreadable, "cannot stat \(path): \(String(cString: strerror(errno)))", path: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw IngestError(.notAFile, "\(path) is not a regular file", path: path)
        }
        let size = Int64(info.st_size)
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: sample)
        for offset in offsets(size: size) {
            let length = Int(min(Int64(sample), size - offset))
            var done = 0
            while done < length {
                let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
                if got < 0, errno == EINTR { continue }
                guard got > 0 else {
                    throw IngestError(.fileUnreadable, "\(path) could not be read at byte \(offset + Int64(done)) (it shrank, or the disk failed)", path: path)
                }
                done += got
            }
            hasher.update(data: buffer[0..<length])
        }
        let digest = hasher.finalize().lowercaseHex
        return ContentFingerprint(size: size, digest: digest)
    }

    /// The start of every sampled range of a file of `size` bytes.
    static func offsets(size: Int64) -> [Int64] {
        let step = Int64(sample)
        if size < wholeBelow { return Array(stride(from: 0, to: size, by: Int(step))) }
        var offsets: [Int64] = [0]
        let span = size - 2 * step
        for index in 1...interior { offsets.append(step + span * Int64(index) / Int64(interior + 1) - step / 2) }
        offsets.append(size - step)
        return offsets
    }

    /// A short key for the item of this content in the job whose journal token is `job`: the first part of
    /// every `custom_id`, the same on every machine that shares the journal.
    public func itemKey(job: String) -> String {
        let digest = SHA256.hash(data: Data("\(job)\u{0}\(text)".utf8))
        return "vp" + digest.prefix(12).lowercaseHex
    }
}

extension Sequence<UInt8> {
    /// The bytes in lowercase hex, two digits each (`String(format: "%02x")` per byte was most of a fingerprint's
    /// CPU time).
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// A file found under an ingest path.
public struct DiscoveredFile: Sendable, Hashable {
    public var path: String
    public var fingerprint: ContentFingerprint

    public init(path: String, fingerprint: ContentFingerprint) {
        self.path = path
        self.fingerprint = fingerprint
    }
}
