import Foundation
@testable import MediaProbe
import Testing

/// FFmpeg's libraries are loaded by the first probe and unloaded only when no probe holds them.
/// Other suites probe in the same process at the same time, so every expectation here holds
/// whatever they do.
@Suite struct LibraryLoadingTests {
    @Test func librariesHeldByAProbeAreNeverUnloaded() throws {
        try FFmpegRuntime.acquire(path: "held")
        #expect(MediaProbe.librariesLoaded)
        #expect(MediaProbe.unloadLibraries() == false)
        #expect(MediaProbe.librariesLoaded)
        // The table stays usable while held.
        #expect(try MediaProbe.ffmpegVersions().hasPrefix("libavformat "))
        FFmpegRuntime.release()
    }

    @Test func loadLibrariesLoadsThemUpFront() throws {
        try MediaProbe.loadLibraries()
        try FFmpegRuntime.acquire(path: "check")
        defer { FFmpegRuntime.release() }
        #expect(MediaProbe.librariesLoaded)
    }

    /// Probes run while another task unloads the libraries whenever they are idle: every probe gets the
    /// same answer as with the libraries loaded throughout, and they are really unloaded and loaded again
    /// (the load count grows) without a crash or a leak of FFmpeg state between loads.
    @Test(.timeLimit(.minutes(1))) func probesAndUnloadsInterleaved() async throws {
        let files = ["ok_640x360_5s.mp4", "ok.mkv", "ok.ts", "rotate_90.mp4", "sar_2_1.mp4"].map(Fixtures.path)
        var answers: [String: MediaInfo] = [:]
        for file in files { answers[file] = try await MediaProbe.probe(path: file) }
        let expected = answers
        let loadsBefore = FFmpegRuntime.loadCount

        let unloads = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<3 {
                group.addTask {
                    for round in 0..<30 {
                        let file = files[(worker + round) % files.count]
                        let info = try await MediaProbe.probe(path: file)
                        #expect(info == expected[file], "\(file) differs after a reload")
                        try await Task.sleep(for: .milliseconds(2))
                    }
                    return 0
                }
            }
            group.addTask {
                // Unload whenever idle, until at least three unloads happened and the probes are done.
                var count = 0
                let deadline = ContinuousClock.now + .seconds(30)
                while count < 3 && ContinuousClock.now < deadline {
                    if MediaProbe.unloadLibraries() { count += 1 }
                    try await Task.sleep(for: .milliseconds(1))
                }
                return count
            }
            var unloads = 0
            for try await count in group { unloads += count }
            return unloads
        }
        #expect(unloads >= 3)
        #expect(FFmpegRuntime.loadCount >= loadsBefore + unloads - 1)
        // And a probe after it all still works.
        #expect(try await MediaProbe.probe(path: files[0]) == expected[files[0]])
    }
}
