import CFFmpeg
import CFFmpegLoader
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How an in-memory input behaves as I/O, for ``MediaProbe/probe(bytes:mode:options:)``.
///
/// ``flat`` is a well-behaved file (FFmpeg's `tools/target_dem_fuzzer.c`); the other settings make
/// the I/O misbehave the way `target_io_dem_fuzzer` does: short reads, no seeking, a size query
/// that lies, seeks that do not move the data.
@_spi(Fuzzing) public struct MemoryInputMode: Sendable, Hashable {
    /// Whether the I/O context has a seek callback. `false` behaves like a pipe.
    public var seekable: Bool
    /// What a size query (`AVSEEK_SIZE`) answers: `nil` for the true size, a negative value for
    /// "unknown" (the query fails), anything else is reported as it is (a false size).
    public var declaredSize: Int64?
    /// The most bytes one read callback returns (short reads); `0` for as many as asked.
    public var maxReadBytes: Int
    /// The size of the `AVIOContext` buffer (`av_malloc`ed), clamped to 1...1 MiB.
    public var bufferSize: Int
    /// Whether a seek moves the bytes read next (a file), or only the position reported while the
    /// bytes go on where they were (a source that lies about seeking).
    public var seeksMoveData: Bool

    /// Creates a mode; the defaults are ``flat``.
    public init(seekable: Bool = true, declaredSize: Int64? = nil, maxReadBytes: Int = 0,
                bufferSize: Int = 32_768, seeksMoveData: Bool = true) {
        self.seekable = seekable
        self.declaredSize = declaredSize
        self.maxReadBytes = maxReadBytes
        self.bufferSize = bufferSize
        self.seeksMoveData = seeksMoveData
    }

    /// A seekable buffer with its true size and the file path's 32 KiB I/O buffer.
    public static let flat = MemoryInputMode()
}

extension MediaProbe {
    /// Probes bytes in memory through the same steps as a file: format detection, the format
    /// allow-list, the open under the time budget (``ProbeOptions/timeout``), the ``Inspector``
    /// with its fast and full stream analyses, and then a read of at most `packetLimit` packets.
    /// Only the I/O differs: a custom `AVIOContext` over `bytes`, behaving as `mode` says.
    ///
    /// SPI for the libFuzzer harnesses in `Fuzz/` (`@_spi(Fuzzing) import MediaProbe`); not API.
    /// Synchronous: it runs FFmpeg on the calling thread.
    ///
    /// - Throws: ``ProbeError`` as ``probe(path:options:)`` does (`not_media`, `format_refused`,
    ///   `probe_timeout`, `ffmpeg_unavailable`, ...), except the file gate's codes.
    @_spi(Fuzzing) public static func probe(
        bytes: [UInt8], mode: MemoryInputMode = .flat, options: ProbeOptions = ProbeOptions(), packetLimit: Int = 1_000
    ) throws(ProbeError) -> MediaInfo {
        let path = "memory:\(bytes.count)"
        guard !bytes.isEmpty else { throw ProbeError(.emptyFile, path: path, message: "\(path) is empty (0 bytes).") }
        let session = ProbeSession(path: path, timeout: options.timeout, logger: options.logger)
        return try bytes.withUnsafeBufferPointer { buffer throws(ProbeError) -> MediaInfo in
            let source = MemorySource(bytes: UnsafeRawBufferPointer(buffer), mode: mode)
            return try FFmpegRuntime.runOnThisThread(session) { session throws(ProbeError) in
                try inspect(path: path, source: .memory(source), options: options, session: session) { context throws(ProbeError) in
                    try readPackets(context, limit: packetLimit, path: path, session: session)
                }
            }
        }
    }

    /// Reads (and drops) up to `limit` packets, as FFmpeg's demuxer fuzzer does after the stream
    /// analysis, stopping at the first error; only the time budget running out is an error.
    private static func readPackets(
        _ context: UnsafeMutablePointer<AVFormatContext>, limit: Int, path: String, session: ProbeSession
    ) throws(ProbeError) {
        guard limit > 0, let packet = ff.av_packet_alloc() else { return }
        defer {
            var freeing: UnsafeMutablePointer<AVPacket>? = packet
            ff.av_packet_free(&freeing)
        }
        for _ in 0..<limit {
            guard ff.av_read_frame(context, packet) >= 0 else {
                if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
                return
            }
            ff.av_packet_unref(packet)
        }
    }
}

/// Bytes in memory as an FFmpeg input: each ``open(path:session:)`` makes a fresh `AVIOContext`
/// over them (its buffer from `av_malloc`; reads end with `AVERROR_EOF`; the seek callback
/// answers `AVSEEK_SIZE`), which ``close(_:)`` frees, buffer and context, as FFmpeg requires of
/// a custom I/O context. The equivalent of ``GatedFile`` is ``gated``: the true byte count.
final class MemorySource {
    private let bytes: UnsafeRawBufferPointer
    private let mode: MemoryInputMode
    /// The position FFmpeg believes it is at.
    private var position: Int64 = 0
    /// Where the next read takes its bytes (differs from `position` only when seeks lie).
    private var dataOffset: Int = 0
    private var session: ProbeSession?

    init(bytes: UnsafeRawBufferPointer, mode: MemoryInputMode) {
        self.bytes = bytes
        self.mode = mode
    }

    /// What the file gate would have said: the size is the number of bytes (whatever the I/O
    /// context's size query is made to answer).
    var gated: GatedFile { GatedFile(resolvedPath: "memory", sizeBytes: Int64(bytes.count)) }

    /// A fresh I/O context positioned at 0. The bytes and `self` must outlive it. Called while a probe holds the
    /// libraries, like ``close(_:)``.
    func open(path: String, session: ProbeSession) throws(ProbeError) -> UnsafeMutablePointer<AVIOContext> {
        self.session = session
        position = 0
        dataOffset = 0
        let size = min(max(mode.bufferSize, 1), 1 << 20)
        guard let buffer = ff.av_malloc(size)?.assumingMemoryBound(to: UInt8.self) else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate an I/O buffer.")
        }
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        guard let io = ff.avio_alloc_context(buffer, Int32(size), 0, opaque, memoryRead, nil, mode.seekable ? memorySeek : nil) else {
            ff.av_free(buffer)
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate an I/O context.")
        }
        return io
    }

    /// Frees an I/O context from ``open(path:session:)`` and its current buffer (FFmpeg may
    /// have replaced the one it was given).
    func close(_ io: UnsafeMutablePointer<AVIOContext>) {
        ff.av_free(io.pointee.buffer)
        io.pointee.buffer = nil
        var freeing: UnsafeMutablePointer<AVIOContext>? = io
        ff.avio_context_free(&freeing)
        session = nil
    }

    fileprivate func read(into destination: UnsafeMutablePointer<UInt8>, capacity: Int32) -> Int32 {
        // A file read is interrupted through its protocol's interrupt callback; do the same.
        if let session, session.shouldInterrupt() { return averrorExit }
        let remaining = max(bytes.count - dataOffset, 0)
        var count = min(Int(max(capacity, 0)), remaining)
        if mode.maxReadBytes > 0 { count = min(count, mode.maxReadBytes) }
        guard count > 0, let base = bytes.baseAddress else { return vp_averror_eof() }
        guard position <= Int64.max - Int64(count) else { return vp_averror(EIO) }
        UnsafeMutableRawPointer(destination).copyMemory(from: base + dataOffset, byteCount: count)
        dataOffset += count
        position += Int64(count)
        return Int32(count)
    }

    fileprivate func seek(offset: Int64, whence: Int32) -> Int64 {
        let trueSize = Int64(bytes.count)
        let declared = mode.declaredSize ?? trueSize
        let base: Int64
        switch whence & ~Int32(AVSEEK_FORCE) {
        case Int32(AVSEEK_SIZE): return declared >= 0 ? declared : Int64(vp_averror(ENOSYS))
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END:
            guard declared >= 0 else { return Int64(vp_averror(ENOSYS)) }
            base = declared
        default: return Int64(vp_averror(EINVAL))
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { return Int64(vp_averror(EINVAL)) }
        if mode.seeksMoveData {
            dataOffset = Int(min(target, trueSize))
        }
        position = target
        return target
    }
}

/// `AVERROR_EXIT` (`FFERRTAG('E','X','I','T')`): what an interrupted read returns.
private let averrorExit: Int32 = -Int32(bitPattern: UInt32(0x45) | UInt32(0x58) << 8 | UInt32(0x49) << 16 | UInt32(0x54) << 24)

private func memoryRead(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int32) -> Int32 {
    guard let opaque, let buffer else { return vp_averror(EINVAL) }
    return Unmanaged<MemorySource>.fromOpaque(opaque).takeUnretainedValue().read(into: buffer, capacity: size)
}

private func memorySeek(_ opaque: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32) -> Int64 {
    guard let opaque else { return Int64(vp_averror(EINVAL)) }
    return Unmanaged<MemorySource>.fromOpaque(opaque).takeUnretainedValue().seek(offset: offset, whence: whence)
}
