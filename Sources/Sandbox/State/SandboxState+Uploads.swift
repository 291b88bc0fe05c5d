import AnalyzeAPI
import Foundation
import NIOConcurrencyHelpers
import Synchronization

extension SandboxState {
    // MARK: Test API: uploads and storage

    /// Scripts chunk `chunkIndex`'s next `times` `PUT`s on the storage route to fail with `fault`, in the
    /// upload `uploadID` or, when `nil`, in any upload. Applies after the URL and headers are checked, and before
    /// the random ``UploadSettings/storageFaults``. Rules are used in the order they were added.
    public func failChunk(_ chunkIndex: Int, times: Int = 1, with fault: StorageFault = .status(500), uploadID: String? = nil) {
        guard times > 0 else { return }
        storage.withLockedValue {
            $0.assets.chunkRules.append(.init(uploadID: uploadID, chunkIndex: chunkIndex, remaining: times, fault: fault))
        }
    }

    /// Replaces the random storage faults (and reseeds their generator).
    public func setStorageFaults(_ faults: FaultInjection) {
        storage.withLockedValue {
            $0.assets.faults = faults
            $0.assets.random = SplitMix64(seed: faults.seed)
        }
    }

    /// The `PUT`s each chunk of `uploadID` received on the storage route, by 1-based chunk index.
    public func chunkPuts(uploadID: String) -> [Int: ChunkPutCounts] {
        storage.withLockedValue { $0.assets.chunkPuts[uploadID] ?? [:] }
    }

    /// Every request that reached the storage route (`/storage/...`), refused ones included.
    public var storagePutCount: Int { storage.withLockedValue { $0.assets.storagePuts } }

    /// Storage-route requests that carried an `x-api-key` header (a client should never send the key there).
    public var storageRequestsWithAPIKey: Int { storage.withLockedValue { $0.assets.storageRequestsWithAPIKey } }

    /// `POST /assets/multipart-uploads/{id}/presigned-urls` requests received (refused ones included).
    public var presignedURLRequestCount: Int { storage.withLockedValue { $0.assets.presignedURLRequests } }

    /// `POST /assets/multipart-uploads/{id}` chunk reports received (refused ones included).
    public var chunkReportCount: Int { storage.withLockedValue { $0.assets.chunkReports } }

    /// The multipart upload ids, in creation order.
    public var uploadIDs: [String] { storage.withLockedValue { $0.assets.uploadOrder } }

    /// Assets created so far (direct, multipart and ``addReadyAsset(id:filename:)``).
    public var assetCount: Int { storage.withLockedValue { $0.assets.assets.count } }

    /// Registers an asset that is already `ready`, with no bytes, so that tests can create tasks with an
    /// `asset_id` source without uploading.
    public func addReadyAsset(id: String, filename: String? = nil) {
        let date = configuration.clock.currentDate()
        let now = configuration.clock.now()
        storage.withLockedValue {
            $0.assets.assets[id] = AssetStore.AssetRecord(
                id: id, method: "direct", filename: filename, size: 0, createdDate: date, file: nil,
                readyAt: now, verdict: .accepted)
        }
    }

    // MARK: Internals

    /// A new file name in ``storageDirectory`` (the directory is created when missing).
    func newStorageFile(_ name: String) throws -> URL {
        try FileManager.default.createDirectory(at: storageDirectory, withIntermediateDirectories: true)
        return storageDirectory.appendingPathComponent(name)
    }

    /// Deletes ``storageDirectory`` and everything in it.
    func removeStorage() {
        try? FileManager.default.removeItem(at: storageDirectory)
    }

    /// Records the origin the server listens on, for presigned URLs when a request has no `Host`.
    func setListeningOrigin(_ origin: String) {
        storage.withLockedValue { $0.assets.listeningOrigin = origin }
    }
}
