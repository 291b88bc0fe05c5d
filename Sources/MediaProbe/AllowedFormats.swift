/// The demuxers the probe lets FFmpeg use.
///
/// An allow-list rather than a deny-list: FFmpeg has demuxers that open further files or URLs
/// (HLS and DASH playlists, `concat` lists, SDP/RTP/RTSP session descriptions, image
/// sequences), demuxers for still images that hand bytes to third-party image libraries
/// (libjxl printed thousands of lines on random input), subtitles, text and device grabbers.
/// None of them is a video file the platform would take, so every one of them is refused
/// before its `read_header` runs; any demuxer added to FFmpeg later is refused until listed.
enum AllowedFormats {
    /// Video containers and elementary video streams.
    static let video: [String] = [
        "mov", "matroska", "webm", "mpegts", "mpeg", "mpegvideo", "avi", "flv", "live_flv", "mxf",
        "asf", "ogg", "nut", "dv", "gxf", "rm", "ivf", "yuv4mpegpipe", "m4v", "h264", "hevc",
        "obu", "av1", "vc1", "h261", "h263", "dirac", "dnxhd", "cavsvideo", "avs2", "avs3",
        "wtv", "nuv", "lxf", "r3d", "bink", "smk", "thp", "roq", "film_cpk", "swf", "mtv", "ty",
    ]

    /// Audio containers: accepted so that an audio-only file is reported as having no video
    /// stream (`no_video_stream`), which tells the user more than a refusal would.
    static let audio: [String] = [
        "mp3", "aac", "wav", "w64", "flac", "ac3", "eac3", "aiff", "caf", "amr", "wv", "dts",
        "truehd", "mlp", "loas", "oma", "ape", "tta", "tak", "mpc", "mpc8",
    ]

    /// The comma-separated list handed to FFmpeg's `format_whitelist` option.
    static let whitelist: String = (video + audio).joined(separator: ",")

    private static let names: Set<String> = Set(video + audio)

    /// Whether a demuxer (FFmpeg's name, possibly a comma-separated list of aliases such as
    /// `matroska,webm`) may be used.
    static func allows(_ demuxerName: String) -> Bool {
        demuxerName.split(separator: ",").contains { names.contains(String($0)) }
    }
}
