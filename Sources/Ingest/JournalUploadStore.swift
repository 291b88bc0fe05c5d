import AnalyzeAPI
import Foundation
import Submission

/// The multipart resume state of one item, kept in the journal under the item's lease: another worker, on
/// another machine, continues the upload from it. Every save is a fenced write, so a worker that lost its
/// lease cannot overwrite the new owner's state (its save throws `lease_lost` and its upload stops).
struct JournalUploadStore: UploadStateStoring {
    let journal: IngestJournal
    let lease: Lease
    /// The state the item had when it was claimed.
    let saved: String?
    /// The item's size: a state for another size is not this file's.
    let size: Int64

    func load(for identity: FileIdentity) async -> UploadState? {
        guard let saved, var state = try? IngestJournal.decode(UploadState.self, saved),
              state.version == UploadState.currentVersion, state.identity.size == size, identity.size == size,
              state.identity.baseURL == identity.baseURL
        else { return nil }
        // The content is the item's (its fingerprint matched); where and when it was seen may differ.
        state.identity = identity
        return state
    }

    func save(_ state: UploadState) async throws {
        try await journal.apply(ItemUpdate.to(.uploading).uploadState(try IngestJournal.encode(state)), under: lease)
    }

    /// Kept until the asset id is written, in the same transaction that clears it: a crash in between must
    /// not lose the finished upload.
    func remove(for identity: FileIdentity) async {}
}
