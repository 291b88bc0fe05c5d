import Foundation
import Testing

/// FFmpeg's libraries are loaded when a command first probes, never by commands that do not, and
/// `tl submit` drops them before it uploads. A missing FFmpeg is the tool failing (exit 2), said once,
/// before any output. Seen from outside with the dynamic loader's own trace (glibc's `LD_DEBUG=files`).
@Suite(.timeLimit(.minutes(2))) struct FFmpegLoadingCLITests {
    static let ok = TLProcess.packageRoot.appendingPathComponent("TestMedia/ok_640x360_5s.mp4").path
    static let codec = "libavcodec.so."

    /// The loader's trace lines for libavcodec: loaded (`generating link map`), finalised (`calling fini`).
    struct Trace {
        var lines: [Substring]
        init(_ stderr: String) { lines = stderr.split(separator: "\n") }
        var loadedCodec: Bool { lines.contains { $0.contains("file=\(FFmpegLoadingCLITests.codec)") && $0.contains("generating link map") } }
        /// Whether libavcodec was finalised before the main program was: unloaded while `tl` ran, not at exit.
        var unloadedCodecBeforeExit: Bool {
            guard let codec = lines.firstIndex(where: { $0.contains("calling fini:") && $0.contains(FFmpegLoadingCLITests.codec) }),
                  let main = lines.firstIndex(where: { $0.hasSuffix("calling fini:  [0]") })
            else { return false }
            return codec < main
        }
    }

    static var traceable: Bool {
        #if os(Linux)
        FileManager.default.fileExists(atPath: "/lib/x86_64-linux-gnu/libc.so.6") || FileManager.default.fileExists(atPath: "/lib/aarch64-linux-gnu/libc.so.6")
        #else
        false
        #endif
    }

    @Test(.enabled(if: traceable)) func commandsThatDoNotProbeNeverLoadFFmpeg() async throws {
        let version = try await TLProcess.run(["--version"], environment: ["LD_DEBUG": "files"])
        #expect(version.status == 0)
        #expect(version.err.contains("generating link map"), "the loader trace is missing: \(version.err.prefix(300))")
        #expect(!Trace(version.err).loadedCodec)

        let sandbox = try await SandboxProcess()
        var environment = sandbox.environment
        environment["LD_DEBUG"] = "files"
        let list = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: environment)
        #expect(list.status == 0, "\(list.err.suffix(500))")
        #expect(!Trace(list.err).loadedCodec)
        await sandbox.stop()

        let preflight = try await TLProcess.run(["preflight", Self.ok], environment: ["LD_DEBUG": "files"])
        #expect(preflight.status == 0)
        #expect(Trace(preflight.err).loadedCodec)
        #expect(!Trace(preflight.err).unloadedCodecBeforeExit)
    }

    /// `tl tasks` works with no FFmpeg at all: it never needs one. (Linux: macOS links FFmpeg.)
    @Test(.enabled(if: traceable)) func tasksWorkWithoutFFmpeg() async throws {
        let sandbox = try await SandboxProcess()
        var environment = sandbox.environment
        environment["VIDEOPREFLIGHT_FFMPEG_DIR"] = "/nonexistent-ffmpeg"
        let list = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: environment)
        #expect(list.status == 0, "\(list.err)")
        #expect(list.out.contains("\"data\""))
        await sandbox.stop()
    }

    @Test(.enabled(if: traceable)) func submitUnloadsFFmpegBeforeItSends() async throws {
        let sandbox = try await SandboxProcess()
        var environment = sandbox.environment
        environment["LD_DEBUG"] = "files"
        let result = try await TLProcess.run(["submit", Self.ok, "--prompt", "Describe.", "--format", "json"], environment: environment)
        #expect(result.status == 0, "\(result.err.suffix(500))")
        let trace = Trace(result.err)
        #expect(trace.loadedCodec)
        #expect(trace.unloadedCodecBeforeExit)
        let listed = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: sandbox.environment)
        #expect(listed.out.contains("\"task_id\""), "the task was not created: \(listed.out)")
        await sandbox.stop()
    }

    @Test(.enabled(if: traceable)) func aMissingFFmpegIsExit2BeforeAnyOutput() async throws {
        let environment = ["VIDEOPREFLIGHT_FFMPEG_DIR": "/nonexistent-ffmpeg"]
        for format in ["json", "jsonl", "text"] {
            let result = try await TLProcess.run(["preflight", "--format", format, Self.ok], environment: environment)
            #expect(result.status == 2, "\(format): \(result.err)")
            #expect(result.out.isEmpty, "\(format): a half-written document: \(result.out)")
            #expect(result.err.contains("ffmpeg_unavailable") && result.err.contains("/nonexistent-ffmpeg/libavutil.so."), "\(result.err)")
            #expect(result.err.split(separator: "\n").count == 1, "said once: \(result.err)")
        }
        // An empty directory needs no FFmpeg: nothing to probe, nothing to complain about.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try await TLProcess.run(["preflight", "--format", "json", empty.path], environment: environment)
        #expect(none.status == 0, "\(none.err)")

        // tl submit: nothing is sent, and the JSON error names the cause.
        let sandbox = try await SandboxProcess()
        var submitEnvironment = sandbox.environment
        submitEnvironment["VIDEOPREFLIGHT_FFMPEG_DIR"] = "/nonexistent-ffmpeg"
        let submit = try await TLProcess.run(["submit", Self.ok, "--prompt", "Describe.", "--format", "json"], environment: submitEnvironment)
        #expect(submit.status == 2, "\(submit.err)")
        #expect(submit.out.contains("\"probe_unavailable\""), "\(submit.out)")
        #expect(submit.err.contains("Nothing was sent"))
        let listed = try await TLProcess.run(["tasks", "list", "--format", "json"], environment: sandbox.environment)
        #expect(!listed.out.contains("\"task_id\""), "a task was created: \(listed.out)")
        await sandbox.stop()
    }

    /// VIDEOPREFLIGHT_FFMPEG_DIR pointing at the directory that really holds FFmpeg: the probe works, and the
    /// loader opened the libraries by that path.
    @Test(.enabled(if: traceable)) func aChosenDirectoryIsUsed() async throws {
        let directory = try #require(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]
            .first { ((try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? []).contains { $0.hasPrefix("libavformat.so.") } })
        let result = try await TLProcess.run(["preflight", "--format", "json", Self.ok],
                                             environment: ["VIDEOPREFLIGHT_FFMPEG_DIR": directory, "LD_DEBUG": "files"])
        #expect(result.status == 0, "\(result.err.suffix(500))")
        #expect(result.out.contains("\"ok\" : true"))
        #expect(result.err.contains("file=\(directory)/libavformat.so."), "not opened by the chosen path")
    }

    /// Libraries that load but are not FFmpeg (here zlib under FFmpeg's sonames): a clear error, no crash.
    @Test(.enabled(if: traceable)) func librariesThatAreNotFFmpegAreRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-ffmpeg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let zlib = try #require(["/lib/x86_64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1", "/usr/lib/libz.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) })
        // Every soname FFmpeg 5 to 8 uses, so the test does not depend on the installed version.
        for library in ["libavutil.so.", "libavcodec.so.", "libavformat.so."] {
            for major in 56...63 {
                try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("\(library)\(major)").path,
                                                           withDestinationPath: zlib)
            }
        }
        let result = try await TLProcess.run(["preflight", Self.ok], environment: ["VIDEOPREFLIGHT_FFMPEG_DIR": directory.path])
        #expect(result.status == 2, "\(result.err)")
        #expect(result.err.contains("ffmpeg_unavailable") && result.err.contains("has no function"), "\(result.err)")
    }
}
