public import Logging

/// Settings for one probe. The defaults suit a batch over many files on a small machine.
public struct ProbeOptions: Sendable {
    /// Wall-clock budget for the whole probe (open, stream analysis, any packet scan). When it
    /// runs out FFmpeg is interrupted and the probe fails with ``ProbeError/Code/probeTimeout``.
    public var timeout: Duration
    /// Bytes FFmpeg may read to detect the format and analyse streams (`probesize`).
    ///
    /// Measured on this project's fixtures with FFmpeg 5.1: 1 MB was enough for MP4, MKV, WebM
    /// and MOV, but an MPEG-TS needs its first keyframes (and a 4K TS several MB) before
    /// `avformat_find_stream_info` reports dimensions; 5 MB (FFmpeg's default) got every
    /// fixture right, so the bound stays there instead of FFmpeg's unbounded fallbacks.
    public var probeSize: Int64
    /// Stream time FFmpeg may analyse, in microseconds (`analyzeduration`). 5 s is FFmpeg's
    /// default and was enough for frame-rate detection on every fixture; longer only costs time.
    public var analyzeDuration: Int64
    /// When the container and stream state no duration (e.g. a WebM recorded by a browser),
    /// read packet timestamps to the end of the file (no decoding) to recover it.
    public var scanPacketsForDuration: Bool
    /// Receives FFmpeg's log lines (warnings and errors) for this probe. Defaults to a logger
    /// that discards everything: FFmpeg never writes to the process's stderr.
    public var logger: Logger

    /// Creates options; every parameter has the documented default.
    public init(
        timeout: Duration = .seconds(10),
        probeSize: Int64 = 5_000_000,
        analyzeDuration: Int64 = 5_000_000,
        scanPacketsForDuration: Bool = true,
        logger: Logger = Logger(label: "videopreflight.ffmpeg", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.timeout = timeout
        self.probeSize = probeSize
        self.analyzeDuration = analyzeDuration
        self.scanPacketsForDuration = scanPacketsForDuration
        self.logger = logger
    }
}
