import Foundation
import MediaProbe
import Testing

/// The FFmpeg release the tests run against, for the few facts FFmpeg itself reports differently
/// from one release to the next (each use says what changed).
enum FFmpegRelease {
    /// libavformat's major version: 59 for FFmpeg 5.1, 60 for 6.x, 61 for 7.1, 62 for 8.x, 63 for 9.0.
    static let libavformatMajor: Int = {
        guard let versions = try? MediaProbe.ffmpegVersions() else { return 0 }
        return Int(versions.dropFirst("libavformat ".count).prefix { $0 != "." }) ?? 0
    }()
}

/// Which FFmpeg the suites ran against, printed in the test log. The FFmpeg matrix
/// (scripts/ffmpeg-matrix.sh) sets VP_EXPECT_LIBAVFORMAT_MAJOR to the major version of the release's
/// headers, so a leg that loaded some other libavformat fails here instead of passing for the wrong release.
@Suite struct FFmpegVersionTests {
    @Test func loadedLibrariesAreTheExpectedRelease() throws {
        let versions = try MediaProbe.ffmpegVersions()
        print("FFmpeg libraries under test: \(versions)")
        guard let expected = ProcessInfo.processInfo.environment["VP_EXPECT_LIBAVFORMAT_MAJOR"], !expected.isEmpty else { return }
        #expect(versions.hasPrefix("libavformat \(expected)."), "expected libavformat \(expected).x, loaded \(versions)")
    }
}
