public import Logging

/// Settings for one probe. The defaults suit a batch over many files on a small machine.
public struct ProbeOptions: Sendable {
    /// Wall-clock budget for the whole probe (open, stream analysis, any packet scan). When it
    /// runs out FFmpeg is interrupted and the probe fails with ``ProbeError/Code/probeTimeout``.
    public var timeout: Duration
    /// Bytes FFmpeg may read to detect the format and analyse streams (`probesize`).
    ///
    /// Measured with FFmpeg 5.1 on 12 MB 1080p MPEG-TS/MKV/MP4 and a 22 MB 4K MPEG-TS (8 and
    /// 40 Mbit/s H.264): at 32 KB and 256 KB the MPEG-TS files lost their average frame rate
    /// and the 1080p TS its audio-extended duration; from 1 MB on every fact matched the 5 MB and
    /// 50 MB results. MP4 and MKV read their headers and were unaffected. 5 MB (FFmpeg's own
    /// default) keeps a margin for higher bit rates at about 5 ms more per large TS file
    /// (31 ms vs 36 ms, debug build), and it bounds the read on hostile input.
    public var probeSize: Int64
    /// Stream time FFmpeg may analyse, in microseconds (`analyzeduration`). On the same files
    /// 0.5 s, 1 s, 5 s and 20 s gave identical facts; 5 s (FFmpeg's default) keeps a margin
    /// for streams whose first keyframe or audio arrives late, and caps the work per file.
    public var analyzeDuration: Int64
    /// When the container and stream state no duration (e.g. a WebM recorded by a browser),
    /// read packet timestamps to the end of the file (no decoding) to recover it.
    public var scanPacketsForDuration: Bool
    /// How stream facts the header does not state are learned: ``StreamAnalysis/fast`` (the
    /// default) reads them from the codec's own header where that is exact, ``StreamAnalysis/full``
    /// always lets FFmpeg decode frames for them. Both give the same ``MediaInfo``.
    public var streamAnalysis: StreamAnalysis
    /// Receives FFmpeg's log lines (warnings and errors) for this probe. Defaults to a logger
    /// that discards everything: FFmpeg never writes to the process's stderr.
    public var logger: Logger

    /// Creates options; every parameter has the documented default.
    public init(
        timeout: Duration = .seconds(10),
        probeSize: Int64 = 5_000_000,
        analyzeDuration: Int64 = 5_000_000,
        scanPacketsForDuration: Bool = true,
        streamAnalysis: StreamAnalysis = .fast,
        logger: Logger = Logger(label: "videopreflight.ffmpeg", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.timeout = timeout
        self.probeSize = probeSize
        self.analyzeDuration = analyzeDuration
        self.scanPacketsForDuration = scanPacketsForDuration
        self.streamAnalysis = streamAnalysis
        self.logger = logger
    }
}
