import AnalyzeAPI
import Foundation

/// Assets, multipart upload sessions, presigned-URL tokens and the storage route's counters and scripted
/// faults; kept inside ``SandboxState``'s lock.
struct AssetStore {
    struct AssetRecord {
        enum Verdict {
            case unjudged
            case accepted
            case rejected(String)
        }

        var id: String
        var method: String
        var filename: String?
        var size: Int64
        var createdDate: Date
        /// The asset's bytes, once they are all there.
        var file: URL?
        /// When processing ends; `nil` while the bytes are still arriving.
        var readyAt: Duration?
        var verdict: Verdict = .unjudged
        /// Its duration in seconds once measured (``SandboxConfiguration/durationProbe``); `nil` when unknown.
        var durationSeconds: Double?
        var durationMeasured = false
    }

    struct StoredChunk {
        var size: Int64
        var etag: String
        var file: URL
    }

    struct UploadRecord {
        enum Phase: String {
            case active, completed, failed
        }

        var id: String
        var assetID: String
        var filename: String
        var totalSize: Int64
        var chunkSize: Int64
        var totalChunks: Int
        var expiresAt: Duration
        var expiresDate: Date
        var createdDate: Date
        var phase = Phase.active
        var stored: [Int: StoredChunk] = [:]
        /// Reported chunks and their proofs.
        var reported: [Int: String] = [:]
        /// When each chunk was first reported, and when its record last changed.
        var reportedAt: [Int: (first: Date, last: Date)] = [:]
        /// Chunks whose latest `PUT` failed and that are not stored.
        var failedChunks: Set<Int> = []

        /// The size chunk `index` (1-based) must have.
        func expectedSize(of index: Int) -> Int64 {
            index < totalChunks ? chunkSize : totalSize - Int64(totalChunks - 1) * chunkSize
        }
    }

    struct Token {
        var uploadID: String
        var chunkIndex: Int
        var expiresAt: Duration
        var used = false
    }

    struct ChunkRule {
        var uploadID: String?
        var chunkIndex: Int
        var remaining: Int
        var fault: StorageFault
    }

    var assets: [String: AssetRecord] = [:]
    var uploads: [String: UploadRecord] = [:]
    var uploadOrder: [String] = []
    var tokens: [String: Token] = [:]
    var nextAsset = 0
    var nextUpload = 0
    var chunkRules: [ChunkRule] = []
    var chunkPuts: [String: [Int: ChunkPutCounts]] = [:]
    var storagePuts = 0
    var storageRequestsWithAPIKey = 0
    var presignedURLRequests = 0
    var chunkReports = 0
    var random: SplitMix64
    var faults: FaultInjection
    var listeningOrigin: String?

    init(faults: FaultInjection) {
        self.faults = faults
        random = SplitMix64(seed: faults.seed)
    }

    mutating func newAssetID() -> String {
        nextAsset += 1
        return Self.id(prefix: "6720a55e", nextAsset)
    }

    mutating func newUploadID() -> String {
        nextUpload += 1
        return Self.id(prefix: "6730c0de", nextUpload)
    }

    private static func id(prefix: String, _ sequence: Int) -> String {
        let hex = String(sequence, radix: 16)
        return prefix + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// Counts one storage `PUT` for a chunk.
    mutating func countPut(uploadID: String, chunkIndex: Int, stored: Bool) {
        var counts = chunkPuts[uploadID, default: [:]][chunkIndex, default: ChunkPutCounts()]
        counts.received += 1
        if stored { counts.stored += 1 } else { counts.failed += 1 }
        chunkPuts[uploadID, default: [:]][chunkIndex] = counts
        if !stored, uploads[uploadID]?.stored[chunkIndex] == nil { uploads[uploadID]?.failedChunks.insert(chunkIndex) }
        if stored { uploads[uploadID]?.failedChunks.remove(chunkIndex) }
    }

    /// The scripted fault for this `PUT`, if any (one use of it is spent).
    mutating func takeChunkFault(uploadID: String, chunkIndex: Int) -> StorageFault? {
        guard let index = chunkRules.firstIndex(where: {
            $0.chunkIndex == chunkIndex && ($0.uploadID == nil || $0.uploadID == uploadID) && $0.remaining > 0
        }) else { return nil }
        chunkRules[index].remaining -= 1
        let fault = chunkRules[index].fault
        if chunkRules[index].remaining == 0 { chunkRules.remove(at: index) }
        return fault
    }

    /// Draws a random storage fault.
    mutating func drawFault() -> (FaultInjection.Kind, UInt64)? {
        guard faults.rate > 0, !faults.kinds.isEmpty else { return nil }
        guard random.nextUnit() < faults.rate else { return nil }
        let kind = faults.kinds[Int(random.next() % UInt64(faults.kinds.count))]
        return (kind, random.next())
    }
}
