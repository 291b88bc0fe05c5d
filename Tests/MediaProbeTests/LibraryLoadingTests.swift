import Foundation
@testable import MediaProbe
import Testing

/// FFmpeg's libraries are loaded by the first probe and unloaded only when no probe holds them.
/// Other suites probe in the same process at the same time (none unloads), so every expectation here
/// holds whatever they do; this suite's own tests run one at a time. Unloading exists on Linux only
/// (macOS links the libraries).
@Suite(.serialized, .enabled(if: MediaProbe.canUnloadLibraries)) struct LibraryLoadingTests {
    @Test func librariesHeldByAProbeAreNeverUnloaded() throws {
        try FFmpegRuntime.acquire(path: "held")
        #expect(MediaProbe.librariesLoaded)
        #expect(MediaProbe.unloadLibraries() == false)
        #expect(MediaProbe.librariesLoaded)
        // The table stays usable while held.
        #expect(try MediaProbe.ffmpegVersions().hasPrefix("libavformat "))
        FFmpegRuntime.release()
    }

    /// loadLibraries loads them (counted as a new load when they were unloaded) and leaves them loaded.
    @Test(.timeLimit(.minutes(3))) func loadLibrariesLoadsThem() async throws {
        // Counted before the unload: whoever loads them next (this test or another suite's probe), the
        // count must grow.
        let loads = FFmpegRuntime.loadCount
        try await Self.unloadWhenIdle()
        try MediaProbe.loadLibraries()
        #expect(MediaProbe.librariesLoaded)
        #expect(FFmpegRuntime.loadCount >= loads + 1)
    }

    /// Rounds of concurrent probes, each round followed by an unload: every probe gets the same answer
    /// as with the libraries loaded throughout, and each round runs on a fresh load (the load count grows
    /// by one per round) without a crash or FFmpeg state leaking between loads.
    @Test(.timeLimit(.minutes(3))) func probesAcrossUnloads() async throws {
        let files = ["ok_640x360_5s.mp4", "ok.mkv", "ok.ts", "rotate_90.mp4", "sar_2_1.mp4"].map(Fixtures.path)
        var answers: [String: MediaInfo] = [:]
        for file in files { answers[file] = try await MediaProbe.probe(path: file) }
        let expected = answers
        for round in 0..<4 {
            let loads = FFmpegRuntime.loadCount
            try await Self.unloadWhenIdle()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, file) in files.enumerated() where (index + round) % 2 == 0 || index == round {
                    group.addTask {
                        let info = try await MediaProbe.probe(path: file)
                        #expect(info == expected[file], "\(file) differs after a reload")
                    }
                }
                try await group.waitForAll()
            }
            #expect(FFmpegRuntime.loadCount >= loads + 1, "round \(round) did not load the libraries again")
        }
    }

    /// Unloads the libraries, waiting (bounded) for other suites' probes to let go of them.
    static func unloadWhenIdle() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while MediaProbe.librariesLoaded, !MediaProbe.unloadLibraries() {
            guard ContinuousClock.now < deadline else {
                Issue.record("the libraries were never idle for 20 s")
                return
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
