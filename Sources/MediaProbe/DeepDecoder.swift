import CFFmpeg
import CFFmpegLoader

/// The deep check of the best video stream, synchronously, on the probe's worker thread: every
/// packet is read in every mode; ``DecodeMode/full`` decodes all of them, ``DecodeMode/keyframes``
/// only the key frames, ``DecodeMode/packets`` none.
enum DeepDecoder {
    static func decode(
        _ context: UnsafeMutablePointer<AVFormatContext>, path: String, session: ProbeSession, options: DecodeOptions
    ) throws(ProbeError) -> DecodeReport {
        let mode = options.mode
        let infoResult = ff.avformat_find_stream_info(context, nil)
        if infoResult < 0, session.timedOut || session.isCancelled {
            throw FFmpegInput.timeout(path: path, session: session)
        }
        guard let stream = FFmpegInput.bestVideoStream(in: context),
              mode == .packets || ff.avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id) != nil else {
            return DecodeReport(outcome: .notDecodable, mode: mode, framesDecoded: 0, decodedSeconds: nil, declaredSeconds: nil,
                                failedAtSeconds: nil, message: "There is no decodable video stream.", ffmpegMessage: nil)
        }
        for other in FFmpegInput.streams(of: context) where other != stream {
            other.pointee.discard = AVDISCARD_ALL
        }
        guard let packet = ff.av_packet_alloc() else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate a packet.")
        }
        var packetHolder: UnsafeMutablePointer<AVPacket>? = packet
        defer { ff.av_packet_free(&packetHolder) }

        var decoder: FrameDecoder?
        if mode != .packets {
            switch FrameDecoder.open(stream: stream, session: session, options: options) {
            case .opened(let opened): decoder = opened
            case .refused(let report): return report
            }
        }
        defer { decoder?.close() }
        session.clearMessages()

        var tracker = Tracker(stream: stream, context: context, mode: mode, gapThreshold: options.gapThreshold)
        var progress = ProgressThrottle(report: options.progress)
        let eof = vp_averror_eof()

        /// A decoder error on the last packets of a file whose packets stop well before the
        /// declared duration is the cut, not corruption: the final packet is usually partial.
        func classify(_ failed: DecodeReport) throws(ProbeError) -> DecodeReport {
            // The packet may still hold the failing data: av_read_frame needs it empty.
            ff.av_packet_unref(packet)
            var laterPackets = 0
            while ff.av_read_frame(context, packet) >= 0 {
                if packet.pointee.stream_index == stream.pointee.index { laterPackets += 1 }
                ff.av_packet_unref(packet)
                if laterPackets > 1 { return failed }
            }
            if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
            guard tracker.endsEarly else { return failed }
            return tracker.failure(.truncated, error: nil, session: session, what: "The video data ends")
        }

        while true {
            // Decoding does not pass through FFmpeg's interrupt callback: check between packets.
            if session.shouldInterrupt() { throw FFmpegInput.timeout(path: path, session: session) }
            let readResult = ff.av_read_frame(context, packet)
            if readResult < 0 {
                if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
                if readResult == eof { break }
                // A read error that is not the end of the file: the data stops being readable.
                decoder?.finish(&tracker, session: session)
                return tracker.failure(.truncated, error: readResult, session: session, what: "The file's data stops being readable")
            }
            defer { ff.av_packet_unref(packet) }
            guard packet.pointee.stream_index == stream.pointee.index else { continue }
            // A partial last packet (the demuxer flags it corrupt) is the cut, and classify says so.
            if let invalid = tracker.note(packet, session: session) { return try classify(invalid) }
            progress.update(tracker.fractionRead)
            guard let decoder, mode == .full || packet.pointee.flags & vp_packet_flag_key() != 0 else { continue }
            if let failed = decoder.send(packet, to: &tracker, session: session) { return try classify(failed) }
        }
        if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
        // With frame threads a decoder error can surface only here, after the last packet.
        if let failed = decoder?.finish(&tracker, session: session) { return try classify(failed) }
        progress.update(1)
        return tracker.verdict(session: session)
    }
}

/// An open decoder for the stream, with its frame.
private struct FrameDecoder {
    let codec: UnsafeMutablePointer<AVCodecContext>
    let frame: UnsafeMutablePointer<AVFrame>

    enum Opening {
        case opened(FrameDecoder)
        /// Nothing can be decoded: the report says why.
        case refused(DecodeReport)
    }

    static func open(stream: UnsafeMutablePointer<AVStream>, session: ProbeSession, options: DecodeOptions) -> Opening {
        func refused(_ message: String) -> Opening {
            .refused(DecodeReport(outcome: .notDecodable, mode: options.mode, framesDecoded: 0, decodedSeconds: nil, declaredSeconds: nil,
                                  failedAtSeconds: nil, message: message, ffmpegMessage: session.lastMessage))
        }
        guard let decoder = ff.avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id),
              let codec = ff.avcodec_alloc_context3(decoder) else { return refused("FFmpeg could not allocate a decoder.") }
        guard let frame = ff.av_frame_alloc() else {
            var holder: UnsafeMutablePointer<AVCodecContext>? = codec
            ff.avcodec_free_context(&holder)
            return refused("FFmpeg could not allocate a frame.")
        }
        let opened = FrameDecoder(codec: codec, frame: frame)
        let copied = ff.avcodec_parameters_to_context(codec, stream.pointee.codecpar)
        if copied < 0 {
            opened.close()
            return refused("The stream's parameters could not be given to the decoder: \(FFmpegRuntime.errorString(copied)).")
        }
        codec.pointee.pkt_timebase = stream.pointee.time_base
        // Make the decoder report damage instead of concealing it.
        codec.pointee.err_recognition |= vp_error_recognition_explode()
        // Frame and slice threads, as the ffmpeg CLI uses them; the worker threads' log lines
        // reach this probe through `opaque` (see the log callback).
        codec.pointee.thread_count = Int32(clamping: max(0, options.threads))
        codec.pointee.thread_type = vp_thread_frame_and_slice()
        codec.pointee.opaque = Unmanaged.passUnretained(session).toOpaque()
        if options.mode == .keyframes { codec.pointee.skip_frame = AVDISCARD_NONKEY }
        var noOptions: OpaquePointer?
        let openResult = ff.avcodec_open2(codec, decoder, &noOptions)
        ff.av_dict_free(&noOptions)
        if openResult < 0 {
            opened.close()
            return refused("The \(String(cString: decoder.pointee.name)) decoder could not be opened: \(FFmpegRuntime.errorString(openResult)).")
        }
        return .opened(opened)
    }

    func close() {
        var frameHolder: UnsafeMutablePointer<AVFrame>? = frame
        ff.av_frame_free(&frameHolder)
        var codecHolder: UnsafeMutablePointer<AVCodecContext>? = codec
        ff.avcodec_free_context(&codecHolder)
    }

    /// Sends one packet and takes every frame that is ready; a failure report if the decoder refuses data.
    func send(_ packet: UnsafeMutablePointer<AVPacket>, to tracker: inout Tracker, session: ProbeSession) -> DecodeReport? {
        let result = ff.avcodec_send_packet(codec, packet)
        if result < 0, result != vp_averror_eagain() {
            return tracker.failure(.decodeFailed, error: result, session: session, what: "The decoder rejected the data")
        }
        return drain(&tracker, session: session)
    }

    /// Flushes the decoder at the end of the data.
    @discardableResult
    func finish(_ tracker: inout Tracker, session: ProbeSession) -> DecodeReport? {
        _ = ff.avcodec_send_packet(codec, nil)
        return drain(&tracker, session: session)
    }

    private func drain(_ tracker: inout Tracker, session: ProbeSession) -> DecodeReport? {
        let eagain = vp_averror_eagain(), eof = vp_averror_eof()
        while true {
            let result = ff.avcodec_receive_frame(codec, frame)
            if result == eagain || result == eof { return nil }
            if result < 0 {
                return tracker.failure(.decodeFailed, error: result, session: session, what: "The decoder rejected the data")
            }
            defer { ff.av_frame_unref(frame) }
            if vp_frame_is_corrupt(frame) != 0 {
                tracker.position(of: frame)
                return tracker.failure(.decodeFailed, error: nil, session: session, what: "The decoder found corrupt data")
            }
            tracker.accept(frame)
        }
    }
}

/// Calls a progress callback at most every 1 % of the duration.
private struct ProgressThrottle {
    let report: (@Sendable (Double) -> Void)?
    var last = -1.0

    mutating func update(_ fraction: Double) {
        guard let report, fraction >= last + 0.01 || (fraction >= 1 && last < 1) else { return }
        last = fraction
        report(min(1, max(0, fraction)))
    }
}

/// Running state of a deep check: packets and frames seen, and how far they reach.
private struct Tracker {
    let mode: DecodeMode
    let timeBase: AVRational
    let startMicros: Int64
    let declaredMicros: Int64?
    let declaredFrames: Int64?
    let frameMicros: Int64
    let gapMicros: Int64
    /// A packet larger than twice the raw 4:4:4 picture cannot be one coded frame.
    let oversizedBytes: Int32
    var frames = 0
    var packets = 0
    var decodedEndMicros: Int64?
    var lastPacketMicros: Int64?
    var packetEndMicros: Int64?
    var lastDTS: Int64?
    var failurePointMicros: Int64?

    init(stream: UnsafeMutablePointer<AVStream>, context: UnsafeMutablePointer<AVFormatContext>, mode: DecodeMode, gapThreshold: Double) {
        self.mode = mode
        let nopts = vp_nopts_value()
        let microseconds = vp_time_base_q()
        timeBase = stream.pointee.time_base
        let streamStart = stream.pointee.start_time
        startMicros = streamStart != nopts ? ff.av_rescale_q(streamStart, timeBase, microseconds)
            : (context.pointee.start_time != nopts ? context.pointee.start_time : 0)
        if stream.pointee.duration != nopts, stream.pointee.duration > 0 {
            declaredMicros = ff.av_rescale_q(stream.pointee.duration, timeBase, microseconds)
        } else if context.pointee.duration != nopts, context.pointee.duration > 0 {
            declaredMicros = context.pointee.duration
        } else {
            declaredMicros = nil
        }
        declaredFrames = stream.pointee.nb_frames > 0 ? stream.pointee.nb_frames : nil
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        frameMicros = rate.num > 0 && rate.den > 0 ? Int64(rate.den) * 1_000_000 / Int64(rate.num) : 40_000
        let nominal = stream.pointee.r_frame_rate
        let nominalMicros = nominal.num > 0 && nominal.den > 0 ? Int64(nominal.den) * 1_000_000 / Int64(nominal.num) : frameMicros
        gapMicros = max(Int64(gapThreshold * 1_000_000), 3 * max(frameMicros, nominalMicros))
        let par = stream.pointee.codecpar.pointee
        oversizedBytes = Int32(clamping: max(Int64(1 << 20), 6 * Int64(max(par.width, 1)) * Int64(max(par.height, 1))))
    }

    private func micros(_ ts: Int64) -> Int64 {
        ff.av_rescale_q(ts, timeBase, vp_time_base_q()) - startMicros
    }

    var fractionRead: Double {
        guard let declaredMicros, declaredMicros > 0, let lastPacketMicros else { return 0 }
        return Double(lastPacketMicros) / Double(declaredMicros)
    }

    /// Counts a packet of the stream; in ``DecodeMode/packets`` also judges it.
    mutating func note(_ packet: UnsafeMutablePointer<AVPacket>, session: ProbeSession) -> DecodeReport? {
        packets += 1
        let nopts = vp_nopts_value()
        let ts = packet.pointee.pts != nopts ? packet.pointee.pts : packet.pointee.dts
        if ts != nopts {
            let at = micros(ts)
            lastPacketMicros = at
            let length = packet.pointee.duration > 0 ? ff.av_rescale_q(packet.pointee.duration, timeBase, vp_time_base_q()) : frameMicros
            packetEndMicros = max(packetEndMicros ?? at + length, at + length)
        }
        guard mode == .packets else { return nil }
        func invalid(_ what: String) -> DecodeReport {
            failurePointMicros = lastPacketMicros
            return failure(.invalidPackets, error: nil, session: session, what: what)
        }
        if packet.pointee.size <= 0 { return invalid("Packet \(packets) is empty") }
        if packet.pointee.size > oversizedBytes {
            return invalid("Packet \(packets) holds \(packet.pointee.size) bytes, more than a frame of this size can")
        }
        if packet.pointee.flags & vp_packet_flag_corrupt() != 0 { return invalid("The demuxer marked packet \(packets) as corrupt") }
        let dts = packet.pointee.dts != nopts ? packet.pointee.dts : packet.pointee.pts
        if dts != nopts {
            if let lastDTS {
                let step = micros(dts) - micros(lastDTS)
                if step < 0 { return invalid("The timestamps go backwards at packet \(packets)") }
                if step > gapMicros {
                    return invalid("The packets leave a gap of \(seconds(step)) s after \(seconds(micros(lastDTS))) s")
                }
            }
            lastDTS = dts
        }
        return nil
    }

    mutating func position(of frame: UnsafeMutablePointer<AVFrame>) {
        let ts = vp_frame_time(frame)
        if ts != vp_nopts_value() { failurePointMicros = micros(ts) }
    }

    mutating func accept(_ frame: UnsafeMutablePointer<AVFrame>) {
        frames += 1
        let ts = vp_frame_time(frame)
        guard ts != vp_nopts_value() else { return }
        let length = vp_frame_duration(frame)
        let end = micros(ts) + (length > 0 ? ff.av_rescale_q(length, timeBase, vp_time_base_q()) : frameMicros)
        decodedEndMicros = max(decodedEndMicros ?? end, end)
    }

    func failure(_ outcome: DecodeReport.Outcome, error: Int32?, session: ProbeSession, what: String) -> DecodeReport {
        // Where the data ends, for a cut; the end of the last good frame, for damage (a threaded
        // decoder reports it some packets late); the packet itself, for a bad packet.
        let known: Int64? = switch outcome {
        case .truncated: reachedMicros
        case .invalidPackets: lastPacketMicros
        default: decodedEndMicros
        }
        let at = failurePointMicros ?? known ?? lastPacketMicros ?? 0
        var message = "\(what) at \(seconds(at)) s"
        if let declaredMicros { message += " of \(seconds(declaredMicros)) s" }
        let goodSoFar = switch mode {
        case .full: " after \(frames) good frames"
        case .keyframes: " after \(frames) good key frames"
        case .packets: " after \(packets) good packets"
        }
        message += goodSoFar
        let ffmpeg = session.lastMessage ?? error.map(FFmpegRuntime.errorString)
        if let ffmpeg {
            var text = ffmpeg
            while text.hasSuffix(".") { text.removeLast() }
            message += ": \(text)"
        }
        return DecodeReport(outcome: outcome, mode: mode, framesDecoded: frames, packetsRead: packets,
                            decodedSeconds: reachedMicros.map(toSeconds), declaredSeconds: declaredMicros.map(toSeconds),
                            failedAtSeconds: toSeconds(at), message: message + ".", ffmpegMessage: ffmpeg)
    }

    /// How far the data reaches: the decoded frames in ``DecodeMode/full``; the packets otherwise,
    /// since only they cover the whole stream there.
    private var reachedMicros: Int64? {
        mode == .full ? decodedEndMicros : [decodedEndMicros, packetEndMicros].compactMap { $0 }.max()
    }

    /// Whether the packets read stop more than the tolerance before the declared duration.
    var endsEarly: Bool {
        guard let declaredMicros else { return false }
        let reached = max(decodedEndMicros ?? 0, lastPacketMicros ?? 0)
        return declaredMicros - reached > tolerance
    }

    private var tolerance: Int64 { max(500_000, 2 * frameMicros) }

    /// Compares what was read (and decoded) with what the container declares. A shortfall of
    /// more than two frame intervals (at least half a second) in time, or of more than 2 % of
    /// the declared frame count, means the data was cut.
    func verdict(session: ProbeSession) -> DecodeReport {
        if mode != .packets, frames == 0 {
            return failure(.truncated, error: nil, session: session, what: "No frame could be decoded; data ends")
        }
        if mode == .packets, packets == 0 {
            return failure(.truncated, error: nil, session: session, what: "There are no packets; data ends")
        }
        if let declaredMicros, let reachedMicros, declaredMicros - reachedMicros > tolerance {
            return failure(.truncated, error: nil, session: session, what: "The video data ends")
        }
        let counted = mode == .full ? frames : packets
        if let declaredFrames, Int64(counted) * 50 < declaredFrames * 49 - 50 {
            let what = mode == .full ? "decode" : "are present"
            return failure(.truncated, error: nil, session: session,
                           what: "Only \(counted) of \(declaredFrames) declared frames \(what); the video data ends")
        }
        let message = switch mode {
        case .full: "All \(frames) frames decoded."
        case .keyframes: "All \(packets) packets read and \(frames) key frames decoded."
        case .packets: "All \(packets) packets read."
        }
        return DecodeReport(outcome: .ok, mode: mode, framesDecoded: frames, packetsRead: packets,
                            decodedSeconds: reachedMicros.map(toSeconds), declaredSeconds: declaredMicros.map(toSeconds),
                            failedAtSeconds: nil, message: message, ffmpegMessage: nil)
    }

    private func toSeconds(_ micros: Int64) -> Double { Double(micros) / 1_000_000 }
    private func seconds(_ micros: Int64) -> String {
        let tenths = (micros + 5_000) / 10_000
        let whole = tenths / 100, fraction = abs(tenths % 100)
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
