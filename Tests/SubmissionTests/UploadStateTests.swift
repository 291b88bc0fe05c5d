import Foundation
import Submission
import Testing

@Suite("Upload state files and chunk plans")
struct UploadStateTests {
    static let identity = FileIdentity(path: "/videos/a.mp4", size: 10_000, modifiedNanoseconds: 1_700_000_000_123_456_789, baseURL: "http://127.0.0.1:1/v1.3")

    @Test("a state round-trips through its file, and saving replaces it whole without leaving temporary files")
    func roundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = UploadStateStore(directory: directory.appendingPathComponent("nested/uploads"))
        var state = UploadState(identity: Self.identity, uploadID: "u1", assetID: "a1", chunkSize: 4096, totalChunks: 3,
                                uploadHeaders: ["x-h": "v"])
        #expect(store.load(for: Self.identity) == nil)
        try store.save(state)
        #expect(store.load(for: Self.identity) == state)
        state.record(.init(chunkIndex: 3, etag: "e3", size: 1808))
        state.record(.init(chunkIndex: 1, etag: "e1", size: 4096))
        state.record(.init(chunkIndex: 1, etag: "e1b", size: 4096))
        try store.save(state)
        let loaded = try #require(store.load(for: Self.identity))
        #expect(loaded.finished.map(\.chunkIndex) == [1, 3])
        #expect(loaded.finished.first?.etag == "e1b")
        #expect(loaded == state)
        let files = try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
        #expect(files == [store.fileURL(for: Self.identity).lastPathComponent])
        let text = try String(contentsOf: store.fileURL(for: Self.identity), encoding: .utf8)
        #expect(text.contains(#""upload_id":"u1""#) && text.contains(#""finished_chunks":["#))
        store.remove(for: Self.identity)
        #expect(store.load(for: Self.identity) == nil)
    }

    @Test("another file identity (size, mtime, base URL) never sees the state; a damaged file is discarded")
    func identityAndDamage() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = UploadStateStore(directory: directory)
        try store.save(UploadState(identity: Self.identity, uploadID: "u1", assetID: "a1", chunkSize: 1, totalChunks: 1))
        for other in [
            FileIdentity(path: Self.identity.path, size: 10_001, modifiedNanoseconds: Self.identity.modifiedNanoseconds, baseURL: Self.identity.baseURL),
            FileIdentity(path: Self.identity.path, size: Self.identity.size, modifiedNanoseconds: 1, baseURL: Self.identity.baseURL),
            FileIdentity(path: Self.identity.path, size: Self.identity.size, modifiedNanoseconds: Self.identity.modifiedNanoseconds, baseURL: "https://api.twelvelabs.io/v1.3"),
        ] {
            #expect(store.fileURL(for: other) != store.fileURL(for: Self.identity))
            #expect(store.load(for: other) == nil)
        }
        let url = store.fileURL(for: Self.identity)
        try Data("{not json".utf8).write(to: url)
        #expect(store.load(for: Self.identity) == nil)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test("an unwritable directory is a typed error")
    func unwritable() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let blocker = directory.appendingPathComponent("file")
        try Data().write(to: blocker)
        let store = UploadStateStore(directory: blocker.appendingPathComponent("uploads"))
        #expect(throws: SubmissionError.self) {
            try store.save(UploadState(identity: Self.identity, uploadID: "u", assetID: "a", chunkSize: 1, totalChunks: 1))
        }
    }

    @Test("the default directory follows XDG_CACHE_HOME, else HOME")
    func defaultDirectory() {
        #expect(UploadStateStore.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]).path == "/x/cache/videopreflight/uploads")
        #if os(macOS)
        #expect(UploadStateStore.defaultDirectory(environment: ["HOME": "/home/u"]).path == "/home/u/Library/Caches/videopreflight/uploads")
        #else
        #expect(UploadStateStore.defaultDirectory(environment: ["HOME": "/home/u"]).path == "/home/u/.cache/videopreflight/uploads")
        #endif
        #expect(UploadStateStore.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/h"]).path.hasPrefix("/h/"))
    }

    @Test("a file's identity comes from stat; a directory or missing file is refused")
    func fileIdentity() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 1234)
        let identity = try FileIdentity(file: path, baseURL: "b")
        #expect(identity.size == 1234 && identity.modifiedNanoseconds > 0 && identity.path.hasPrefix("/"))
        #expect(throws: SubmissionError.self) { _ = try FileIdentity(file: directory.path, baseURL: "b") }
        #expect(throws: SubmissionError.self) { _ = try FileIdentity(file: directory.appendingPathComponent("none").path, baseURL: "b") }
    }

    @Test("chunk plans: 1-based, all but the last full", arguments: [
        (Int64(1), Int64(5), [1]), (Int64(5), Int64(5), [5]), (Int64(6), Int64(5), [5, 1]), (Int64(15), Int64(5), [5, 5, 5]),
        (Int64(16), Int64(5), [5, 5, 5, 1]),
    ])
    func plans(size: Int64, chunk: Int64, lengths: [Int]) throws {
        let plan = try #require(ChunkPlan(totalSize: size, chunkSize: chunk))
        #expect(plan.count == lengths.count)
        #expect(plan.chunks.map(\.length) == lengths.map(Int64.init))
        #expect(plan.chunks.map(\.index) == Array(1...lengths.count))
        #expect(plan.chunks.last.map { $0.offset + $0.length } == size)
    }

    @Test("no plan for empty files or chunk sizes; runs split at gaps and at the maximum")
    func runs() {
        #expect(ChunkPlan(totalSize: 0, chunkSize: 5) == nil)
        #expect(ChunkPlan(totalSize: 5, chunkSize: 0) == nil)
        let runs = ChunkPlan.runs(of: [7, 1, 2, 3, 5, 6] + Array(10...64), maximum: 50)
        #expect(runs.map(\.start) == [1, 5, 10, 60])
        #expect(runs.map(\.count) == [3, 3, 50, 5])
    }
}
