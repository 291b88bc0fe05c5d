import AnalyzeAPI
import Foundation
@testable import Submission
import Testing

/// The coordinator saves the resume state as group commits: concurrent chunks share saves, and none is
/// counted done before a saved state on disk includes it.
@Suite struct UploadCoordinatorTests {
    @Test("64 chunks finishing at once: each is in the state file when finished returns; no temporary file is left")
    func groupCommit() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = UploadStateStore(directory: directory.appendingPathComponent("state"))
        let identity = FileIdentity(path: "/videos/clip.mp4", size: 64 * 1024, modifiedNanoseconds: 1, baseURL: "https://api.test/v1")
        let start = UploadState(identity: identity, uploadID: "u1", assetID: "a1", chunkSize: 1024, totalChunks: 64)
        let plan = try #require(ChunkPlan(totalSize: 64 * 1024, chunkSize: 1024))
        let coordinator = UploadCoordinator(client: fakeClient(FakeAssetAPI()), state: start, plan: plan, store: store, urls: [],
                                            refreshMargin: .seconds(30), onProgress: nil)
        let stateFile = store.fileURL(for: identity)
        let seenOnDisk = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 1...64 {
                group.addTask {
                    try await coordinator.finished(CompletedChunk(chunkIndex: index, proof: "etag-\(index)", chunkSize: 1024))
                    // Durable before it returns: the file on disk already names this chunk with its ETag.
                    let saved = try JSONDecoder().decode(UploadState.self, from: Data(contentsOf: stateFile))
                    return saved.finished.contains { $0.chunkIndex == index && $0.etag == "etag-\(index)" }
                }
            }
            var all: [Bool] = []
            for try await seen in group { all.append(seen) }
            return all
        }
        #expect(seenOnDisk.count == 64 && seenOnDisk.allSatisfy { $0 })
        let final = try #require(store.load(for: identity))
        #expect(Set(final.finished.map(\.chunkIndex)) == Set(1...64))
        // No temporary files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.directory.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("a state that cannot be saved fails every waiting chunk with state_unusable")
    func saveFailure() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The store's directory is a regular file: nothing can be created in it.
        let blocked = directory.appendingPathComponent("blocked")
        try Data("x".utf8).write(to: blocked)
        let store = UploadStateStore(directory: blocked)
        let identity = FileIdentity(path: "/videos/clip.mp4", size: 4096, modifiedNanoseconds: 1, baseURL: "https://api.test/v1")
        let plan = try #require(ChunkPlan(totalSize: 4096, chunkSize: 1024))
        let coordinator = UploadCoordinator(
            client: fakeClient(FakeAssetAPI()), state: UploadState(identity: identity, uploadID: "u1", assetID: "a1", chunkSize: 1024, totalChunks: 4),
            plan: plan, store: store, urls: [], refreshMargin: .seconds(30), onProgress: nil)
        let failures = await withTaskGroup(of: String?.self) { group in
            for index in 1...4 {
                group.addTask {
                    do {
                        try await coordinator.finished(CompletedChunk(chunkIndex: index, proof: "e\(index)", chunkSize: 1024))
                        return nil
                    } catch let error as SubmissionError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var codes: [String?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(failures.count == 4 && failures.allSatisfy { $0 == "state_unusable" }, "\(failures)")
    }
}
