import CFFmpeg
import CFFmpegLoader
public import struct Foundation.URL

/// Probes local media files in-process with FFmpeg's libraries.
///
/// ```swift
/// let info = try await MediaProbe.probe(URL(fileURLWithPath: "clip.mp4"))
/// // or: try await MediaProbe.probe(path: "clip.mp4")
/// print(info.durationSeconds ?? 0, info.video?.displayWidth ?? 0)
/// ```
///
/// Only local regular files are read, only through FFmpeg's `file` protocol; the work runs on a
/// Dispatch worker thread (never on Swift's cooperative pool), honours task cancellation, and
/// stops at the time budget in ``ProbeOptions/timeout``. Nothing of FFmpeg escapes: the result
/// is a plain value and every FFmpeg allocation is freed before the call returns or throws.
public enum MediaProbe {
    /// Probes the file at `path` and returns what it contains.
    ///
    /// - Throws: ``ProbeError`` with a stable code (`file_not_found`, `not_a_regular_file`,
    ///   `unreadable`, `empty_file`, `not_media`, `format_refused`, `probe_timeout`, `ffmpeg_unavailable`), or
    ///   `CancellationError` when the calling task is cancelled.
    public static func probe(path: String, options: ProbeOptions = ProbeOptions()) async throws -> MediaInfo {
        try await onProbeThread(path: path, options: options) { file, session throws(ProbeError) in
            try inspect(path: path, source: .file(file), options: options, session: session)
        }
    }

    /// The probe proper, on the probe's thread, for a file or memory alike: open, inspect, and when
    /// the fast analysis gives way, again from a fresh open with the full one. `afterInspection`
    /// runs on the open context once its facts are read (the memory probe's bounded packet read).
    static func inspect(
        path: String, source: InputSource, options: ProbeOptions, session: ProbeSession,
        afterInspection: (UnsafeMutablePointer<AVFormatContext>) throws(ProbeError) -> Void = { _ throws(ProbeError) in }
    ) throws(ProbeError) -> MediaInfo {
        func inspect(_ options: ProbeOptions) throws(ProbeError) -> MediaInfo? {
            try FFmpegInput.withInput(path: path, source: source, options: options, session: session) { context throws(ProbeError) in
                let info = try Inspector.inspect(context, path: path, file: source.gated, options: options, session: session)
                if info != nil { try afterInspection(context) }
                return info
            }
        }
        if let info = try inspect(options) { return info }
        // The fast analysis gave way after reading from the input: again, from a fresh open.
        var full = options
        full.streamAnalysis = .full
        guard let info = try inspect(full) else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg's stream analysis of \(path) did not finish.")
        }
        return info
    }

    /// Probes a local file URL. Only `file:` URLs are accepted: anything else fails with
    /// ``ProbeError/Code/notARegularFile`` before any I/O, so a remote URL is never fetched.
    public static func probe(_ url: URL, options: ProbeOptions = ProbeOptions()) async throws -> MediaInfo {
        guard url.isFileURL else {
            throw ProbeError(.notARegularFile, path: url.absoluteString,
                             message: "\(url.absoluteString) is not a local file URL; only local files are probed.")
        }
        return try await probe(path: url.path, options: options)
    }

    /// The deep check: reads the best video stream of the file at `path` to its end and reports
    /// whether the data holds up, catching a file whose header is intact but whose data is cut
    /// short or damaged (a faststart MP4 cut at 30 % passes ``probe(path:options:)``).
    /// ``DecodeOptions/mode`` says how deep: every frame decoded, key frames only, or packets only.
    ///
    /// Uses ``ProbeOptions/timeout`` as its budget; pass a longer one for long files. Cancelling
    /// the calling task stops it between two packets.
    public static func decodeCheck(path: String, options: ProbeOptions = ProbeOptions(),
                                   decode: DecodeOptions = DecodeOptions()) async throws -> DecodeReport {
        try await onProbeThread(path: path, options: options) { file, session throws(ProbeError) in
            try FFmpegInput.withInput(path: path, source: .file(file), options: options, session: session) { context throws(ProbeError) in
                try DeepDecoder.decode(context, path: path, session: session, options: decode)
            }
        }
    }

    /// Whether a probe of `path` with the default options takes the fast stream analysis
    /// (``StreamAnalysis/fast``) rather than falling back to FFmpeg's full one. For tests and benchmarks.
    package static func takesFastPath(path: String) async throws -> Bool {
        let options = ProbeOptions()
        return try await onProbeThread(path: path, options: options) { file, session throws(ProbeError) in
            try FFmpegInput.withInput(path: path, source: .file(file), options: options, session: session) { context throws(ProbeError) in
                try Inspector.inspect(context, path: path, file: file, options: options, session: session) != nil
                    && session.usedFastAnalysis
            }
        }
    }

    /// Gates `path` (before any FFmpeg work), then runs `body` with the gated file and a fresh
    /// session on the probe's worker thread (``FFmpegRuntime/run(_:_:)``).
    private static func onProbeThread<T: Sendable>(
        path: String, options: ProbeOptions,
        _ body: @escaping @Sendable (GatedFile, ProbeSession) throws(ProbeError) -> T
    ) async throws -> T {
        let file = try FileGate.check(path)
        let session = ProbeSession(path: path, timeout: options.timeout, logger: options.logger)
        return try await FFmpegRuntime.run(session) { session throws(ProbeError) in try body(file, session) }
    }

    /// The FFmpeg library versions this build runs with, e.g. `libavformat 59.27.100`.
    ///
    /// - Throws: ``ProbeError`` with code `ffmpeg_unavailable` when the libraries cannot be loaded.
    public static func ffmpegVersions() throws(ProbeError) -> String {
        try FFmpegRuntime.acquire(path: "")
        defer { FFmpegRuntime.release() }
        func text(_ name: String, _ v: UInt32) -> String { "\(name) \(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)" }
        return [text("libavformat", ff.avformat_version()), text("libavcodec", ff.avcodec_version()), text("libavutil", ff.avutil_version())]
            .joined(separator: ", ")
    }

    /// Loads FFmpeg's libraries now rather than at the first probe, so that a missing or mismatched
    /// FFmpeg is reported before any work starts. They stay loaded until ``unloadLibraries()``.
    ///
    /// - Throws: ``ProbeError`` with code `ffmpeg_unavailable`, saying which library or function is
    ///   missing or which version was found.
    public static func loadLibraries() throws(ProbeError) {
        try FFmpegRuntime.acquire(path: "")
        FFmpegRuntime.release()
    }

    /// Whether ``unloadLibraries()`` can unload FFmpeg on this platform: on Linux, where the libraries are
    /// loaded with `dlopen`; not on macOS, where they are linked.
    public static var canUnloadLibraries: Bool {
        #if os(Linux)
        true
        #else
        false
        #endif
    }

    /// Whether FFmpeg's libraries are loaded in this process right now.
    ///
    /// They are loaded by the first probe (on Linux with `dlopen`; a process that never probes
    /// never maps them) and stay loaded until ``unloadLibraries()``.
    public static var librariesLoaded: Bool { vp_ff_is_loaded() != 0 }

    /// Unloads FFmpeg's libraries if no probe or decode check is running, giving back the memory
    /// their code and their hundred-odd dependencies occupy (about 25 MB resident on Debian 12);
    /// the next probe loads them again (tens of milliseconds). For a process that probes once and
    /// then does other, long or memory-hungry work, such as `tl submit` before it uploads.
    ///
    /// - Returns: `true` when the libraries were unloaded; `false` when they were not loaded,
    ///   are in use, or cannot be unloaded on this platform (macOS links them).
    @discardableResult
    public static func unloadLibraries() -> Bool { vp_ff_unload_if_idle() != 0 }
}
