import CFFmpeg
import CFFmpegLoader
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the bytes of one probe come from: a gated local file (every probe of the API), or bytes
/// in memory (the fuzz harnesses, through ``MediaProbe/probe(bytes:mode:options:)``). The I/O
/// context is the only difference: detection, the format allow-list, the open and the body are
/// the same code for both (``FFmpegInput/withInput(path:source:options:session:_:)``).
enum InputSource {
    /// A file that passed ``FileGate``, opened with `avio_open2` and FFmpeg's `file` protocol only.
    case file(GatedFile)
    /// Bytes in memory behind a custom `AVIOContext` (``MemorySource``).
    case memory(MemorySource)

    /// What ``Inspector`` knows of the input without reading it (its size), as the gate states it.
    var gated: GatedFile {
        switch self {
        case .file(let file): file
        case .memory(let memory): memory.gated
        }
    }
}

/// Opens an input with FFmpeg under the probe's safety rules and hands the open
/// `AVFormatContext` to a body; everything is freed on every path before it returns.
///
/// Safety rules: FFmpeg gets `file:` + the resolved absolute path (so a name such as
/// `concat:a|b` or `http:x` can never select another protocol); the I/O context and the format
/// context only allow the `file` protocol; the format is detected first and checked against
/// ``AllowedFormats`` before any demuxer reads its header (so an HLS playlist or a concat list
/// is refused before it can open anything); the interrupt callback enforces the time budget.
/// A memory input differs only in its I/O context (ours, with no protocol at all).
enum FFmpegInput {
    /// Opens `source`'s I/O context, then detects, checks and opens the container on it (the same
    /// steps for a file and for memory) and runs `body` on the open context.
    static func withInput<T>(
        path: String,
        source: InputSource,
        options: ProbeOptions,
        session: ProbeSession,
        _ body: (UnsafeMutablePointer<AVFormatContext>) throws(ProbeError) -> T
    ) throws(ProbeError) -> T {
        switch source {
        case .file(let file):
            var interrupt = session.interruptCallback
            let url = "file:" + file.resolvedPath
            var ioOptions: OpaquePointer?
            _ = ff.av_dict_set(&ioOptions, "protocol_whitelist", "file", 0)
            var io: UnsafeMutablePointer<AVIOContext>?
            let ioResult = RawPath.withCString(url) { ff.avio_open2(&io, $0, AVIO_FLAG_READ, &interrupt, &ioOptions) }
            ff.av_dict_free(&ioOptions)
            guard ioResult >= 0, let io else {
                throw failure(ioResult, path: path, session: session, stage: "open")
            }
            defer {
                var closing: UnsafeMutablePointer<AVIOContext>? = io
                _ = ff.avio_closep(&closing)
            }
            return try withContainer(io: io, url: url, path: path, options: options, session: session, body)
        case .memory(let memory):
            let io = try memory.open(path: path, session: session)
            defer { memory.close(io) }
            return try withContainer(io: io, url: "", path: path, options: options, session: session, body)
        }
    }

    /// The shared part: detection (or ``knownFormat(_:)``), the allow-list, `avformat_open_input`
    /// on the given I/O context (which stays the caller's), `body`, and the close.
    private static func withContainer<T>(
        io: UnsafeMutablePointer<AVIOContext>,
        url: String,
        path: String,
        options: ProbeOptions,
        session: ProbeSession,
        _ body: (UnsafeMutablePointer<AVFormatContext>) throws(ProbeError) -> T
    ) throws(ProbeError) -> T {
        var format: UnsafePointer<AVInputFormat>? = options.streamAnalysis == .fast ? knownFormat(io) : nil
        if format == nil {
            let maxProbe = UInt32(clamping: max(options.probeSize, 2048))
            let probeResult = ff.av_probe_input_buffer2(io, &format, url, nil, 0, maxProbe)
            guard probeResult >= 0 else { throw failure(probeResult, path: path, session: session, stage: "detect") }
        }
        guard let format else { throw failure(vp_averror(EINVAL), path: path, session: session, stage: "detect") }
        let formatName = String(cString: format.pointee.name)
        guard AllowedFormats.allows(formatName) else {
            let longName = format.pointee.long_name.map { String(cString: $0) } ?? formatName
            throw ProbeError(
                .formatRefused, path: path,
                message: "\(path) is in the \(longName) format (\(formatName)), which is refused: "
                    + "it is not a video container, or it makes FFmpeg open other files or URLs."
            )
        }

        guard let allocated = ff.avformat_alloc_context() else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate a format context.")
        }
        allocated.pointee.pb = io
        allocated.pointee.interrupt_callback = session.interruptCallback
        var formatOptions: OpaquePointer?
        _ = ff.av_dict_set(&formatOptions, "protocol_whitelist", "file", 0)
        _ = ff.av_dict_set(&formatOptions, "format_whitelist", AllowedFormats.whitelist, 0)
        _ = ff.av_dict_set_int(&formatOptions, "probesize", options.probeSize, 0)
        _ = ff.av_dict_set_int(&formatOptions, "analyzeduration", options.analyzeDuration, 0)
        var context: UnsafeMutablePointer<AVFormatContext>? = allocated
        // On failure avformat_open_input frees the context and sets it to NULL; the custom I/O
        // context stays ours and is closed by the caller.
        let openResult = ff.avformat_open_input(&context, url, format, &formatOptions)
        ff.av_dict_free(&formatOptions)
        guard openResult >= 0, let context else {
            throw failure(openResult, path: path, session: session, stage: "open")
        }
        defer {
            var closing: UnsafeMutablePointer<AVFormatContext>? = context
            ff.avformat_close_input(&closing)
        }
        return try body(context)
    }

    /// The demuxer for the two containers whose first bytes say what they are beyond doubt: an
    /// ISO base media file (`ftyp` as the first box) and a Matroska/WebM file (an EBML header
    /// naming that document type). FFmpeg's generic detection asks every demuxer it has (about
    /// 350) to score the first bytes, which is a sixth of a probe of an MP4; for these two its
    /// winner is always `mov` or `matroska`, with the full score. `nil` for anything else, which
    /// then gets FFmpeg's detection. The read position is back at 0 either way (a gated regular
    /// file always seeks, and the 64 bytes are inside the I/O buffer); a non-seekable input is not tried.
    static func knownFormat(_ io: UnsafeMutablePointer<AVIOContext>) -> UnsafePointer<AVInputFormat>? {
        // Only a seekable input is certain to come back to 0 (a non-seekable memory input with a
        // small buffer may not): the others get FFmpeg's detection, which keeps its probe bytes.
        guard io.pointee.seekable != 0 else { return nil }
        var head = [UInt8](repeating: 0, count: 64)
        let count = Int(ff.avio_read(io, &head, Int32(head.count)))
        guard ff.avio_seek(io, 0, SEEK_SET) == 0, count >= 12 else { return nil }
        let bytes = head.prefix(count)
        if bytes[4..<8].elementsEqual("ftyp".utf8) {
            let size = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            guard size >= 16 else { return nil }
            return ff.av_find_input_format("mov")
        }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) {
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.contains("matroska") || text.contains("webm") else { return nil }
            return ff.av_find_input_format("matroska")
        }
        return nil
    }

    /// Maps an FFmpeg failure to a ``ProbeError``, attaching FFmpeg's last log line.
    static func failure(_ code: Int32, path: String, session: ProbeSession, stage: String) -> ProbeError {
        if session.timedOut || session.isCancelled {
            return timeout(path: path, session: session)
        }
        let ffmpegText = FFmpegRuntime.errorString(code)
        let logged = session.lastMessage
        switch code {
        case vp_averror(ENOENT):
            return ProbeError(.fileNotFound, path: path, message: "\(path) disappeared before FFmpeg could open it.", ffmpegMessage: logged, underlyingCode: code)
        case vp_averror(EACCES), vp_averror(EPERM):
            return ProbeError(.unreadable, path: path, message: "\(path) cannot be read: permission denied.", ffmpegMessage: logged, underlyingCode: code)
        default:
            let detail = logged ?? ffmpegText
            let what = stage == "detect" ? "FFmpeg found no media container it can read" : "FFmpeg could not parse the container"
            return ProbeError(.notMedia, path: path, message: "\(what) in \(path): \(detail).", ffmpegMessage: logged ?? ffmpegText, underlyingCode: code)
        }
    }

    static func timeout(path: String, session: ProbeSession) -> ProbeError {
        ProbeError(.probeTimeout, path: path, message: "Probing \(path) did not finish within its time budget.", ffmpegMessage: session.lastMessage)
    }

    /// The streams of a context as a Swift array of non-null pointers.
    static func streams(of context: UnsafeMutablePointer<AVFormatContext>) -> [UnsafeMutablePointer<AVStream>] {
        let count = Int(context.pointee.nb_streams)
        guard count > 0, let list = context.pointee.streams else { return [] }
        return (0..<count).compactMap { list[$0] }
    }

    /// The "best" real video stream: FFmpeg's own choice (`av_find_best_stream`) unless that is
    /// an attached picture (cover art), in which case the largest non-picture video stream,
    /// preferring the default disposition.
    static func bestVideoStream(in context: UnsafeMutablePointer<AVFormatContext>) -> UnsafeMutablePointer<AVStream>? {
        let all = streams(of: context)
        let best = ff.av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        if best >= 0, Int(best) < all.count, vp_stream_is_attached_picture(all[Int(best)]) == 0 {
            return all[Int(best)]
        }
        let candidates = all.filter {
            $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO && vp_stream_is_attached_picture($0) == 0
        }
        return candidates.max { a, b in
            func rank(_ s: UnsafeMutablePointer<AVStream>) -> (Int, Int64, Int64) {
                let par = s.pointee.codecpar.pointee
                return ((s.pointee.disposition & AV_DISPOSITION_DEFAULT) != 0 ? 1 : 0,
                        Int64(par.width) * Int64(par.height), par.bit_rate)
            }
            return rank(a) < rank(b)
        }
    }
}
