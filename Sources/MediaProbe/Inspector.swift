import CFFmpeg
import CFFmpegLoader

/// Reads the facts of an open container into a ``MediaInfo``. Synchronous; runs on the
/// probe's worker thread inside ``FFmpegInput/withInput(path:source:options:session:_:)``.
enum Inspector {
    /// Runs the stream analysis ``ProbeOptions/streamAnalysis`` asks for, then copies the facts.
    ///
    /// - Returns: `nil` only when the fast analysis gave way after reading from the file: a VP9
    ///   stream whose first packet does not qualify, a Matroska H.264 stream with no timed packet
    ///   among its first ones or beside a subtitle stream, or an analysis that failed. The caller
    ///   then probes again from a fresh open with ``StreamAnalysis/full``.
    static func inspect(
        _ context: UnsafeMutablePointer<AVFormatContext>,
        path: String, file: GatedFile, options: ProbeOptions, session: ProbeSession
    ) throws(ProbeError) -> MediaInfo? {
        // Without find_stream_info MPEG-TS reports 0x0 and no duration, and cover art is
        // misread (FFMPEG.md); a failure here is not fatal unless it was our interrupt. The fast
        // path keeps it, but spares it the decoding where the header already says enough.
        let plan = options.streamAnalysis == .fast ? StreamHints.prepare(context) : .full
        if case .reopen = plan {
            if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
            return nil
        }
        let fast = if case .fast = plan { true } else { false }
        let headerSuffices = fast && StreamHints.completeTimings(context, fileSize: file.sizeBytes)
        let startFromPacket = fast && !headerSuffices && StreamHints.needsFirstPacketStart(context)
        if startFromPacket { context.pointee.max_ts_probe = 1 }
        let infoResult = headerSuffices ? 0 : StreamHints.findStreamInfo(context, fast: fast, session: session)
        if infoResult < 0, session.timedOut || session.isCancelled {
            throw FFmpegInput.timeout(path: path, session: session)
        }
        if fast, infoResult < 0 || (startFromPacket && !StreamHints.completeStartFromFirstPacket(context))
            || FFmpegInput.bestVideoStream(in: context)?.pointee.start_time == vp_nopts_value() {
            if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
            return nil
        }
        session.usedFastAnalysis = fast

        let streams = FFmpegInput.streams(of: context)
        let audioCount = streams.filter { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }.count
        let videoStream = FFmpegInput.bestVideoStream(in: context)
        let video = videoStream.map { videoInfo($0, context: context) }

        var duration: Int64?
        var source: DurationSource?
        let nopts = vp_nopts_value()
        if context.pointee.duration != nopts, context.pointee.duration > 0 {
            duration = context.pointee.duration
            source = context.pointee.duration_estimation_method == AVFMT_DURATION_FROM_BITRATE ? .bitrate : .container
        }
        // When FFmpeg estimated the container duration from the bit rate, it filled the
        // streams' durations the same way: only a packet scan can do better then.
        if source == nil, let stream = videoStream,
           stream.pointee.duration != nopts, stream.pointee.duration > 0 {
            duration = ff.av_rescale_q(stream.pointee.duration, stream.pointee.time_base, vp_time_base_q())
            source = .stream
        }
        if source == nil || source == .bitrate, options.scanPacketsForDuration {
            if let scanned = try scanDuration(context, path: path, session: session) {
                duration = scanned
                source = .packets
            }
        }

        let start = context.pointee.start_time
        let bitRate = context.pointee.bit_rate
        return MediaInfo(
            path: path,
            sizeBytes: file.sizeBytes,
            container: String(cString: context.pointee.iformat.pointee.name),
            durationMicroseconds: duration,
            durationSource: duration == nil ? nil : source,
            startTimeSeconds: start == nopts ? nil : Double(start) / Double(AV_TIME_BASE),
            bitRate: bitRate > 0 ? bitRate : nil,
            video: video,
            audioStreams: audioCount
        )
    }

    private static func videoInfo(_ stream: UnsafeMutablePointer<AVStream>, context: UnsafeMutablePointer<AVFormatContext>) -> VideoStreamInfo {
        let par = stream.pointee.codecpar.pointee
        let codecID = par.codec_id
        let decodable = codecID != AV_CODEC_ID_NONE && ff.avcodec_find_decoder(codecID) != nil
        let sar = ff.av_guess_sample_aspect_ratio(context, stream, nil)
        let pixelFormat: String? = par.format >= 0 ? ff.av_get_pix_fmt_name(AVPixelFormat(rawValue: par.format)).map { String(cString: $0) } : nil
        let transfer: String? = par.color_trc == AVCOL_TRC_UNSPECIFIED || par.color_trc == AVCOL_TRC_RESERVED0
            ? nil : ff.av_color_transfer_name(par.color_trc).map { String(cString: $0) }
        return VideoStreamInfo(
            index: Int(stream.pointee.index),
            codec: ff.avcodec_get_name(codecID).map { String(cString: $0) } ?? "none",
            decodable: decodable,
            width: Int(par.width),
            height: Int(par.height),
            sampleAspectRatio: sar.num > 0 && sar.den > 0 ? Ratio(Int(sar.num), Int(sar.den)) : Ratio(1, 1),
            rotationDegrees: rotation(of: stream),
            averageFrameRate: ratio(stream.pointee.avg_frame_rate),
            nominalFrameRate: nominalFrameRate(stream, codecID: codecID),
            pixelFormat: pixelFormat,
            fieldOrder: fieldOrder(par.field_order),
            colorTransfer: transfer,
            declaredFrames: stream.pointee.nb_frames > 0 ? stream.pointee.nb_frames : nil,
            bitRate: par.bit_rate > 0 ? par.bit_rate : nil
        )
    }

    /// The stream's nominal frame rate, FFmpeg's `r_frame_rate`. With no timestamps to derive it
    /// from (raw MPEG-1/2 video), FFmpeg 7.1 and 9.0 (libavformat 61, 63) guess it for a codec that
    /// can code fields as the field rate, twice the frame rate the sequence header states, where
    /// 5.1 divided by the codec's two ticks per frame. The frame rate is reported, as with 5.1: a
    /// 25 fps MPEG-1 file is not "50 fps nominal, 25 average", which reads as a variable rate.
    private static func nominalFrameRate(_ stream: UnsafeMutablePointer<AVStream>, codecID: AVCodecID) -> Ratio? {
        let nominal = stream.pointee.r_frame_rate, average = stream.pointee.avg_frame_rate
        if ff.avformat_version() >> 16 >= 61, codecID == AV_CODEC_ID_MPEG1VIDEO || codecID == AV_CODEC_ID_MPEG2VIDEO,
           average.num > 0, average.den > 0, nominal.den > 0,
           Int64(nominal.num) * Int64(average.den) == 2 * Int64(average.num) * Int64(nominal.den) {
            return ratio(average)
        }
        return ratio(nominal)
    }

    /// Clockwise display rotation from the display matrix: size-checked in the shim, NaN
    /// (degenerate matrix) treated as none, snapped to the nearest multiple of 90.
    static func rotation(of stream: UnsafeMutablePointer<AVStream>) -> Int {
        guard let matrix = vp_stream_display_matrix(stream) else { return 0 }
        let counterClockwise = ff.av_display_rotation_get(matrix)
        return snapRotation(clockwise: -counterClockwise)
    }

    /// Snaps any angle in degrees to 0, 90, 180 or 270 (phone files say -89.97).
    static func snapRotation(clockwise degrees: Double) -> Int {
        guard degrees.isFinite else { return 0 }
        let quarter = Int((degrees / 90).rounded())
        return ((quarter % 4) + 4) % 4 * 90
    }

    private static func ratio(_ r: AVRational) -> Ratio? {
        r.num > 0 && r.den > 0 ? Ratio(Int(r.num), Int(r.den)) : nil
    }

    private static func fieldOrder(_ order: AVFieldOrder) -> String? {
        switch order {
        case AV_FIELD_PROGRESSIVE: "progressive"
        case AV_FIELD_TT: "tt"
        case AV_FIELD_BB: "bb"
        case AV_FIELD_TB: "tb"
        case AV_FIELD_BT: "bt"
        default: nil
        }
    }

    /// Reads packet timestamps to the end of the file (no decoding) and returns the span from
    /// the start time to the end of the last packet, in microseconds.
    private static func scanDuration(
        _ context: UnsafeMutablePointer<AVFormatContext>, path: String, session: ProbeSession
    ) throws(ProbeError) -> Int64? {
        guard let packet = ff.av_packet_alloc() else { return nil }
        defer {
            var freeing: UnsafeMutablePointer<AVPacket>? = packet
            ff.av_packet_free(&freeing)
        }
        let streams = FFmpegInput.streams(of: context)
        let nopts = vp_nopts_value()
        let microseconds = vp_time_base_q()
        var first = Int64.max
        var last = Int64.min
        while true {
            let result = ff.av_read_frame(context, packet)
            if result < 0 {
                if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
                break
            }
            defer { ff.av_packet_unref(packet) }
            let index = Int(packet.pointee.stream_index)
            guard index < streams.count else { continue }
            let stream = streams[index]
            let pts = packet.pointee.pts != nopts ? packet.pointee.pts : packet.pointee.dts
            guard pts != nopts else { continue }
            var length = packet.pointee.duration
            if length <= 0, stream.pointee.avg_frame_rate.num > 0 {
                // Matroska SimpleBlocks carry no duration: assume one frame.
                length = ff.av_rescale_q(1, AVRational(num: stream.pointee.avg_frame_rate.den, den: stream.pointee.avg_frame_rate.num), stream.pointee.time_base)
            }
            let start = ff.av_rescale_q(pts, stream.pointee.time_base, microseconds)
            let end = ff.av_rescale_q(pts + max(length, 0), stream.pointee.time_base, microseconds)
            first = min(first, start)
            last = max(last, end)
        }
        guard last > Int64.min, first < Int64.max else { return nil }
        let origin = context.pointee.start_time != nopts ? context.pointee.start_time : first
        let span = last - origin
        return span > 0 ? span : nil
    }
}
