import CFFmpeg
import CFFmpegLoader

/// How the probe learns what the container's header does not say.
public enum StreamAnalysis: String, Sendable, Hashable, CaseIterable {
    /// Where the header already holds every fact the probe reports (today: one H.264 video
    /// stream with an `avcC` record in MP4/MOV or Matroska/WebM), the facts FFmpeg would learn by
    /// decoding frames are read from the sequence parameter set instead, and FFmpeg's stream
    /// analysis runs with that stream's decoder skipping every frame. Everything else takes
    /// ``full``. The two give the same ``MediaInfo``; a test checks it file by file.
    case fast
    /// FFmpeg's own `avformat_find_stream_info`, decoding frames as it sees fit.
    case full
}

/// The fast path of stream analysis: fills in, from the H.264 sequence parameter set, the codec
/// parameters FFmpeg's analysis would otherwise decode frames (often seven, to guess the decoder
/// delay) to learn, and runs that analysis with no decoder at all.
///
/// Why this is exact: with no decoder open nothing touches the codec context, so what
/// `avformat_find_stream_info` copies back into the stream is what this fills in, computed the
/// way FFmpeg's H.264 decoder computes it (`h264_ps.c`, `get_pixel_format` in `h264_slice.c`).
/// Timings, start time, bit rate and frame rates are still FFmpeg's own, from the container and
/// the first packets. Anything this does not model (two video streams, interlacing, cropping at
/// the left or top, monochrome, unequal bit depths, 4:4:4 RGB, bit depths other than 8 and 10,
/// an SPS it cannot read) keeps the full path.
enum StreamHints {
    /// Prepares `context` for a fast analysis and returns the index of its video stream, or `nil`
    /// when the file must take the full path (nothing was changed then).
    static func prepare(_ context: UnsafeMutablePointer<AVFormatContext>) -> Int32? {
        let name = String(cString: context.pointee.iformat.pointee.name)
        guard name.hasPrefix("mov,") || name.hasPrefix("matroska") else { return nil }
        guard context.pointee.duration != vp_nopts_value(), context.pointee.duration > 0 else { return nil }
        let videos = FFmpegInput.streams(of: context).filter {
            $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO && vp_stream_is_attached_picture($0) == 0
        }
        guard videos.count == 1, let stream = videos.first, let par = stream.pointee.codecpar else { return nil }
        guard par.pointee.codec_id == AV_CODEC_ID_H264, par.pointee.width > 0, par.pointee.height > 0,
              stream.pointee.avg_frame_rate.num > 0, stream.pointee.r_frame_rate.num > 0,
              let extradata = par.pointee.extradata, par.pointee.extradata_size > 0 else { return nil }
        let record = UnsafeBufferPointer(start: extradata, count: Int(par.pointee.extradata_size))
        guard let sps = H264SequenceParameters(avcC: record),
              sps.width == Int(par.pointee.width), sps.height == Int(par.pointee.height),
              sps.cropLeft == 0, sps.cropTop == 0, sps.frameMacroblocksOnly,
              sps.bitDepthLuma == sps.bitDepthChroma, sps.chromaFormat != 0 else { return nil }

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
        guard let format = pixelFormat(sps, fullRange: range == AVCOL_RANGE_JPEG, rgb: matrix == AVCOL_SPC_RGB) else { return nil }

        par.pointee.format = format.rawValue
        // frame_mbs_only_flag: every picture is a frame, which the decoder reports as progressive.
        par.pointee.field_order = AV_FIELD_PROGRESSIVE
        par.pointee.color_range = range
        par.pointee.color_trc = transfer
        par.pointee.color_space = matrix
        par.pointee.color_primaries = primaries
        // The decoder sets the SPS's aspect ratio, or 0/1 when it states none or an invalid one.
        if let sar = sps.sampleAspectRatio, sar.numerator > 0, sar.denominator > 0 {
            guard sar.numerator <= 255 * sar.denominator, sar.denominator <= 255 * sar.numerator else { return nil }
            par.pointee.sample_aspect_ratio = AVRational(num: Int32(sar.numerator), den: Int32(sar.denominator))
        } else {
            par.pointee.sample_aspect_ratio = AVRational(num: 0, den: 1)
        }
        return stream.pointee.index
    }

    /// The pixel format FFmpeg's software H.264 decoder picks (`get_pixel_format`).
    private static func pixelFormat(_ sps: H264SequenceParameters, fullRange: Bool, rgb: Bool) -> AVPixelFormat? {
        guard !(sps.chromaFormat == 3 && rgb) else { return nil }
        switch (sps.bitDepthLuma, sps.chromaFormat) {
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
