import CFFmpeg
import CFFmpegLoader

/// How the probe learns what the container's header does not say.
public enum StreamAnalysis: String, Sendable, Hashable, CaseIterable {
    /// Where the codec's own header states every fact the probe reports (one H.264 video stream
    /// with an `avcC` record, or one VP9 stream, in MP4/MOV or Matroska/WebM), those facts are
    /// read from it (the H.264 sequence parameter set, the VP9 key frame header) instead of
    /// decoding frames, and FFmpeg's stream analysis runs with no decoder, or, in MP4/MOV, not
    /// at all. Everything else takes ``full``. The two give the same ``MediaInfo``; a test
    /// checks it file by file.
    case fast
    /// FFmpeg's own `avformat_find_stream_info`, decoding frames as it sees fit.
    case full
}

/// The fast path of stream analysis: fills in, from the H.264 sequence parameter set or the VP9
/// key frame header, the codec parameters FFmpeg's analysis would otherwise decode frames (often
/// seven, to guess the H.264 decoder's delay) to learn, and runs that analysis with no decoder.
///
/// Why this is exact: with no decoder open nothing touches the codec context, so what
/// `avformat_find_stream_info` copies back into the stream is what this fills in, computed the
/// way FFmpeg's decoders compute it (`h264_ps.c` and `get_pixel_format` in `h264_slice.c`;
/// `read_colorspace_details` in `vp9.c`). Timings, start time, bit rate and frame rates are still
/// FFmpeg's own, from the container and the first packets; in MP4/MOV, whose header states every
/// stream's start, the analysis is not run at all and its two remaining results are computed as
/// it computes them (``completeTimings(_:fileSize:)``). Anything this does not model (two video
/// streams, interlacing, cropping at the left or top, monochrome, unequal bit depths, RGB, bit
/// depths other than 8 and 10, a header it cannot read) keeps the full path.
enum StreamHints {
    /// What the probe does after ``prepare(_:)``.
    enum Plan {
        /// FFmpeg's full analysis (nothing was changed).
        case full
        /// The fast analysis; the video stream's missing facts are filled in.
        case fast
        /// The file was read from (to see its first video packet) but does not qualify: the caller
        /// must probe again from a fresh open, with the full analysis.
        case reopen
    }

    /// Prepares `context` for a fast analysis, when its one video stream's header states what
    /// FFmpeg would decode for: H.264 (from the SPS in `avcC`) or VP9 (from the first key frame).
    static func prepare(_ context: UnsafeMutablePointer<AVFormatContext>) -> Plan {
        let name = String(cString: context.pointee.iformat.pointee.name)
        guard name.hasPrefix("mov,") || name.hasPrefix("matroska") else { return .full }
        // FFmpeg 5.1 (libavformat 59) sets an MP4's duration from its movie header at open; 7.1 and
        // 9.0 (61, 63) leave it unset until the analysis derives it from the streams' (which the
        // header states), so it is derived here the same way, without storing it yet.
        let duration = context.pointee.duration != vp_nopts_value() ? context.pointee.duration
            : name.hasPrefix("mov,") ? headerTimings(context)?.duration ?? 0 : 0
        guard duration > 0 else { return .full }
        let videos = FFmpegInput.streams(of: context).filter {
            $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO && vp_stream_is_attached_picture($0) == 0
        }
        guard videos.count == 1, let stream = videos.first, let par = stream.pointee.codecpar,
              par.pointee.width > 0, par.pointee.height > 0,
              stream.pointee.avg_frame_rate.num > 0, stream.pointee.r_frame_rate.num > 0 else { return .full }
        switch par.pointee.codec_id {
        case AV_CODEC_ID_H264: return prepareH264(par) ? .fast : .full
        case AV_CODEC_ID_VP9: return prepareVP9(context, stream: stream, par: par) ? .fast : .reopen
        default: return .full
        }
    }

    private static func prepareH264(_ par: UnsafeMutablePointer<AVCodecParameters>) -> Bool {
        guard let extradata = par.pointee.extradata, par.pointee.extradata_size > 0 else { return false }
        let record = UnsafeBufferPointer(start: extradata, count: Int(par.pointee.extradata_size))
        guard let sps = H264SequenceParameters(avcC: record),
              sps.width == Int(par.pointee.width), sps.height == Int(par.pointee.height),
              sps.cropLeft == 0, sps.cropTop == 0, sps.frameMacroblocksOnly,
              sps.bitDepthLuma == sps.bitDepthChroma, sps.chromaFormat != 0 else { return false }

        // The decoder takes the range, transfer and matrix from the SPS when it states them, else
        // keeps the container's.
        var range = par.pointee.color_range
        var transfer = par.pointee.color_trc
        var matrix = par.pointee.color_space
        var primaries = par.pointee.color_primaries
        if let full = sps.fullRange {
            range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        }
        if let code = sps.transferCharacteristics, let matrixCode = sps.matrixCoefficients, let primariesCode = sps.colourPrimaries {
            // FFmpeg replaces a code point it has no name for by "unspecified".
            transfer = ff.av_color_transfer_name(AVColorTransferCharacteristic(UInt32(code))) != nil
                ? AVColorTransferCharacteristic(UInt32(code)) : AVCOL_TRC_UNSPECIFIED
            matrix = AVColorSpace(UInt32(matrixCode))
            primaries = AVColorPrimaries(UInt32(primariesCode))
        }
        guard let format = h264PixelFormat(sps, fullRange: range == AVCOL_RANGE_JPEG, rgb: matrix == AVCOL_SPC_RGB) else { return false }
        // The decoder sets the SPS's aspect ratio, or 0/1 when it states none or an invalid one.
        var sar = AVRational(num: 0, den: 1)
        if let ratio = sps.sampleAspectRatio, ratio.numerator > 0, ratio.denominator > 0 {
            guard ratio.numerator <= 255 * ratio.denominator, ratio.denominator <= 255 * ratio.numerator else { return false }
            sar = AVRational(num: Int32(ratio.numerator), den: Int32(ratio.denominator))
        }

        par.pointee.format = format.rawValue
        // frame_mbs_only_flag: every picture is a frame, which the decoder reports as progressive.
        par.pointee.field_order = AV_FIELD_PROGRESSIVE
        par.pointee.color_range = range
        par.pointee.color_trc = transfer
        par.pointee.color_space = matrix
        par.pointee.color_primaries = primaries
        par.pointee.sample_aspect_ratio = sar
        return true
    }

    /// Reads packets up to the stream's first one (at most 64) and takes the pixel format, range
    /// and colour space from its frame header, as FFmpeg's VP9 decoder does (`read_colorspace_details`).
    private static func prepareVP9(_ context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>,
                                   par: UnsafeMutablePointer<AVCodecParameters>) -> Bool {
        guard let packet = ff.av_packet_alloc() else { return false }
        defer {
            var freeing: UnsafeMutablePointer<AVPacket>? = packet
            ff.av_packet_free(&freeing)
        }
        var header: VP9FrameHeader?
        for _ in 0..<64 {
            guard ff.av_read_frame(context, packet) >= 0 else { return false }
            defer { ff.av_packet_unref(packet) }
            guard packet.pointee.stream_index == stream.pointee.index else { continue }
            guard let data = packet.pointee.data, packet.pointee.size > 0 else { return false }
            header = VP9FrameHeader(frame: UnsafeBufferPointer(start: data, count: Int(packet.pointee.size)))
            break
        }
        guard let header, header.width == Int(par.pointee.width), header.height == Int(par.pointee.height),
              header.colorSpace != 7 else { return false }
        let chroma = switch (header.subsamplingX, header.subsamplingY) {
        case (true, true): 1
        case (true, false): 2
        case (false, false): 3
        default: 0
        }
        // The VP9 decoder never picks the full-range ("J") formats.
        guard let format = planarYUV(bitDepth: header.bitDepth, chroma: chroma, fullRange: false) else { return false }
        // Odd profiles code the subsampling; FFmpeg refuses 4:2:0 there.
        if header.profile & 1 == 1, chroma == 1 { return false }
        let spaces: [AVColorSpace] = [AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_BT470BG, AVCOL_SPC_BT709, AVCOL_SPC_SMPTE170M,
                                      AVCOL_SPC_SMPTE240M, AVCOL_SPC_BT2020_NCL, AVCOL_SPC_RESERVED, AVCOL_SPC_RGB]
        par.pointee.format = format.rawValue
        par.pointee.color_space = spaces[header.colorSpace]
        par.pointee.color_range = header.fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        return true
    }

    /// MP4/MOV states every stream's start time and duration in its header, so the rest of what
    /// `avformat_find_stream_info` would add (the context's start time and bit rate) follows
    /// without reading a packet, computed as its `update_stream_timings` does: the earliest stream
    /// start (a subtitle or data stream's only when it starts less than a second before the
    /// others), and the file's size over the duration. Returns `false`, changing nothing, for any
    /// other container or when a stream's start is not in the header.
    static func completeTimings(_ context: UnsafeMutablePointer<AVFormatContext>, fileSize: Int64) -> Bool {
        guard String(cString: context.pointee.iformat.pointee.name).hasPrefix("mov,"),
              context.pointee.nb_programs <= 1, fileSize > 0, let timings = headerTimings(context) else { return false }
        // The movie header's duration where FFmpeg set it at open (5.1); else (7.1, 9.0) what the
        // analysis would set: the streams' span.
        if context.pointee.duration == vp_nopts_value() { context.pointee.duration = timings.duration }
        guard context.pointee.duration > 0 else { return false }
        context.pointee.start_time = timings.start
        let bitRate = Double(fileSize) * 8 * Double(AV_TIME_BASE) / Double(context.pointee.duration)
        if bitRate >= 0, bitRate <= Double(Int64.max) { context.pointee.bit_rate = Int64(bitRate) }
        return true
    }

    /// The file's start and duration (AV_TIME_BASE units) as `update_stream_timings` derives them
    /// from the streams' own starts and durations: the earliest stream start (a subtitle or data
    /// stream's only when it starts less than a second before the others), and the longest of a
    /// stream's duration and the span from that start to the latest stream end. `nil` when a
    /// stream's start is unknown (the analysis would then read packets) or no duration results.
    static func headerTimings(_ context: UnsafeMutablePointer<AVFormatContext>) -> (start: Int64, duration: Int64)? {
        let streams = FFmpegInput.streams(of: context)
        guard !streams.isEmpty else { return nil }
        let nopts = vp_nopts_value()
        var start = Int64.max, textStart = Int64.max
        var end = Int64.min, textEnd = Int64.min
        var longest = Int64.min, textLongest = Int64.min
        for stream in streams {
            guard stream.pointee.start_time != nopts, stream.pointee.time_base.den > 0 else { return nil }
            let type = stream.pointee.codecpar.pointee.codec_type
            let text = type == AVMEDIA_TYPE_SUBTITLE || type == AVMEDIA_TYPE_DATA
            let at = ff.av_rescale_q(stream.pointee.start_time, stream.pointee.time_base, vp_time_base_q())
            if text { textStart = min(textStart, at) } else { start = min(start, at) }
            guard stream.pointee.duration != nopts else { continue }
            let length = ff.av_rescale_q(stream.pointee.duration, stream.pointee.time_base, vp_time_base_q())
            if text { textLongest = max(textLongest, length) } else { longest = max(longest, length) }
            let (until, overflow) = at.addingReportingOverflow(length)
            guard !overflow else { continue }
            if text { textEnd = max(textEnd, until) } else { end = max(end, until) }
        }
        if start == .max || (start > textStart && start - textStart < Int64(AV_TIME_BASE)) { start = textStart }
        if end == .min || (end < textEnd && textEnd - end < Int64(AV_TIME_BASE)) { end = textEnd }
        if longest == .min || (longest < textLongest && textLongest - longest < Int64(AV_TIME_BASE)) { longest = textLongest }
        guard start != .max else { return nil }
        var duration = longest
        if end != .min, end >= start {
            let (span, overflow) = end.subtractingReportingOverflow(start)
            if !overflow { duration = max(duration, span) }
        }
        guard duration > 0 else { return nil }
        return (start, duration)
    }

    /// Matroska stores no decode times, and with no decoder FFmpeg cannot derive an H.264
    /// stream's (it needs the decoder's delay), so it never learns where that stream starts: the
    /// analysis would read 50 packets waiting for it, then take the start of the other streams.
    /// For such a file the analysis is told to wait for one packet (`max_ts_probe`) and, after
    /// it, the start is taken from the stream's first packet, as FFmpeg's full analysis takes
    /// it, and the file's start becomes the earliest of the streams' (`update_stream_timings`).
    static func needsFirstPacketStart(_ context: UnsafeMutablePointer<AVFormatContext>) -> Bool {
        String(cString: context.pointee.iformat.pointee.name).hasPrefix("matroska")
            && FFmpegInput.bestVideoStream(in: context)?.pointee.codecpar.pointee.codec_id == AV_CODEC_ID_H264
    }

    /// See ``needsFirstPacketStart(_:)``; `false` (the caller probes again with the full
    /// analysis) for a file with subtitle or data streams, whose starts count differently, or
    /// whose video has no timed packet among the first 64.
    static func completeStartFromFirstPacket(_ context: UnsafeMutablePointer<AVFormatContext>) -> Bool {
        let streams = FFmpegInput.streams(of: context)
        guard !streams.contains(where: {
            [AVMEDIA_TYPE_SUBTITLE, AVMEDIA_TYPE_DATA, AVMEDIA_TYPE_ATTACHMENT].contains($0.pointee.codecpar.pointee.codec_type)
        }), let video = FFmpegInput.bestVideoStream(in: context), let packet = ff.av_packet_alloc() else { return false }
        defer {
            var freeing: UnsafeMutablePointer<AVPacket>? = packet
            ff.av_packet_free(&freeing)
        }
        let nopts = vp_nopts_value()
        for _ in 0..<64 {
            guard ff.av_read_frame(context, packet) >= 0 else { return false }
            defer { ff.av_packet_unref(packet) }
            guard packet.pointee.stream_index == video.pointee.index, packet.pointee.pts != nopts else { continue }
            video.pointee.start_time = packet.pointee.pts
            let start = ff.av_rescale_q(packet.pointee.pts, video.pointee.time_base, vp_time_base_q())
            let known = context.pointee.start_time
            context.pointee.start_time = known == nopts ? start : min(known, start)
            return true
        }
        return false
    }

    /// The pixel format FFmpeg's software H.264 decoder picks (`get_pixel_format`).
    private static func h264PixelFormat(_ sps: H264SequenceParameters, fullRange: Bool, rgb: Bool) -> AVPixelFormat? {
        guard !(sps.chromaFormat == 3 && rgb) else { return nil }
        return planarYUV(bitDepth: sps.bitDepthLuma, chroma: sps.chromaFormat, fullRange: fullRange)
    }

    /// Planar YUV by bit depth (8 or 10) and chroma format (1 4:2:0, 2 4:2:2, 3 4:4:4); at 8 bits a
    /// full-range stream gets FFmpeg's "J" format, as its H.264 decoder gives it.
    private static func planarYUV(bitDepth: Int, chroma: Int, fullRange: Bool) -> AVPixelFormat? {
        switch (bitDepth, chroma) {
        case (8, 1): return fullRange ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P
        case (8, 2): return fullRange ? AV_PIX_FMT_YUVJ422P : AV_PIX_FMT_YUV422P
        case (8, 3): return fullRange ? AV_PIX_FMT_YUVJ444P : AV_PIX_FMT_YUV444P
        #if _endian(little)
        case (10, 1): return AV_PIX_FMT_YUV420P10LE
        case (10, 2): return AV_PIX_FMT_YUV422P10LE
        case (10, 3): return AV_PIX_FMT_YUV444P10LE
        #else
        case (10, 1): return AV_PIX_FMT_YUV420P10BE
        case (10, 2): return AV_PIX_FMT_YUV422P10BE
        case (10, 3): return AV_PIX_FMT_YUV444P10BE
        #endif
        default: return nil
        }
    }

    /// Runs FFmpeg's stream analysis. On the fast path (`fast`) no stream's decoder may open: a
    /// codec allow-list that names no codec makes `avcodec_open2` refuse, and the analysis then
    /// stops once it has each stream's first timestamps instead of decoding (H.264: until it has
    /// guessed the decoder delay from seven frames; AAC: one frame for its channel layout). The
    /// refusal's log line is not the file's: the session drops codec lines meanwhile.
    static func findStreamInfo(_ context: UnsafeMutablePointer<AVFormatContext>, fast: Bool, session: ProbeSession) -> Int32 {
        guard fast else { return ff.avformat_find_stream_info(context, nil) }
        let count = Int(context.pointee.nb_streams)
        let options = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: count)
        options.initialize(repeating: nil, count: count)
        defer {
            for index in 0..<count { ff.av_dict_free(&options[index]) }
            options.deallocate()
        }
        for index in 0..<count { _ = ff.av_dict_set(&options[index], "codec_whitelist", "none", 0) }
        session.dropsCodecLines = true
        defer { session.dropsCodecLines = false }
        return ff.avformat_find_stream_info(context, options)
    }
}
