import CFFmpeg
import CFFmpegLoader

/// Decodes the best video stream to its end, synchronously, on the probe's worker thread.
enum DeepDecoder {
    static func decode(
        _ context: UnsafeMutablePointer<AVFormatContext>, path: String, session: ProbeSession
    ) throws(ProbeError) -> DecodeReport {
        let infoResult = ff.avformat_find_stream_info(context, nil)
        if infoResult < 0, session.timedOut || session.isCancelled {
            throw FFmpegInput.timeout(path: path, session: session)
        }
        guard let stream = FFmpegInput.bestVideoStream(in: context),
              let decoder = ff.avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id) else {
            return DecodeReport(outcome: .notDecodable, framesDecoded: 0, decodedSeconds: nil, declaredSeconds: nil,
                                failedAtSeconds: nil, message: "There is no decodable video stream.", ffmpegMessage: nil)
        }
        for other in FFmpegInput.streams(of: context) where other != stream {
            other.pointee.discard = AVDISCARD_ALL
        }
        guard let codec = ff.avcodec_alloc_context3(decoder) else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate a decoder.")
        }
        var codecHolder: UnsafeMutablePointer<AVCodecContext>? = codec
        defer { ff.avcodec_free_context(&codecHolder) }
        guard let frame = ff.av_frame_alloc() else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate a frame.")
        }
        var frameHolder: UnsafeMutablePointer<AVFrame>? = frame
        defer { ff.av_frame_free(&frameHolder) }
        guard let packet = ff.av_packet_alloc() else {
            throw ProbeError(.notMedia, path: path, message: "FFmpeg could not allocate a packet.")
        }
        var packetHolder: UnsafeMutablePointer<AVPacket>? = packet
        defer { ff.av_packet_free(&packetHolder) }

        let copied = ff.avcodec_parameters_to_context(codec, stream.pointee.codecpar)
        if copied < 0 {
            return DecodeReport(outcome: .notDecodable, framesDecoded: 0, decodedSeconds: nil, declaredSeconds: nil, failedAtSeconds: nil,
                                message: "The stream's parameters could not be given to the decoder: \(FFmpegRuntime.errorString(copied)).",
                                ffmpegMessage: session.lastMessage)
        }
        codec.pointee.pkt_timebase = stream.pointee.time_base
        // Make the decoder report damage instead of concealing it.
        codec.pointee.err_recognition |= vp_error_recognition_explode()
        // One thread: decoder errors are then logged on this thread, where they can be
        // attached to the report, and results do not depend on thread timing.
        codec.pointee.thread_count = 1
        var noOptions: OpaquePointer?
        let openResult = ff.avcodec_open2(codec, decoder, &noOptions)
        ff.av_dict_free(&noOptions)
        if openResult < 0 {
            return DecodeReport(outcome: .notDecodable, framesDecoded: 0, decodedSeconds: nil, declaredSeconds: nil, failedAtSeconds: nil,
                                message: "The \(String(cString: decoder.pointee.name)) decoder could not be opened: \(FFmpegRuntime.errorString(openResult)).",
                                ffmpegMessage: session.lastMessage)
        }
        session.clearMessages()

        var tracker = Tracker(stream: stream, context: context)
        let eagain = vp_averror_eagain(), eof = vp_averror_eof()

        /// Pulls every ready frame; returns a failure report if the decoder refuses data.
        func drain() -> DecodeReport? {
            while true {
                let result = ff.avcodec_receive_frame(codec, frame)
                if result == eagain || result == eof { return nil }
                if result < 0 {
                    return tracker.failure(.decodeFailed, error: result, session: session,
                                           what: "The decoder rejected the data")
                }
                defer { ff.av_frame_unref(frame) }
                if vp_frame_is_corrupt(frame) != 0 {
                    tracker.position(of: frame)
                    return tracker.failure(.decodeFailed, error: nil, session: session, what: "The decoder found corrupt data")
                }
                tracker.accept(frame)
            }
        }

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

        reading: while true {
            let readResult = ff.av_read_frame(context, packet)
            if readResult < 0 {
                if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
                if readResult == eof { break reading }
                // A read error that is not the end of the file: the data stops being readable.
                _ = ff.avcodec_send_packet(codec, nil)
                _ = drain()
                return tracker.failure(.truncated, error: readResult, session: session, what: "The file's data stops being readable")
            }
            defer { ff.av_packet_unref(packet) }
            guard packet.pointee.stream_index == stream.pointee.index else { continue }
            tracker.note(packet)
            let sendResult = ff.avcodec_send_packet(codec, packet)
            if sendResult < 0, sendResult != eagain {
                let failed = tracker.failure(.decodeFailed, error: sendResult, session: session, what: "The decoder rejected the data")
                return try classify(failed)
            }
            if let failed = drain() { return try classify(failed) }
        }
        if session.timedOut || session.isCancelled { throw FFmpegInput.timeout(path: path, session: session) }
        _ = ff.avcodec_send_packet(codec, nil)
        if let failed = drain() { return failed }
        return tracker.verdict(session: session)
    }
}

/// Running state of a deep decode: frames seen and how far they reach.
private struct Tracker {
    let timeBase: AVRational
    let startMicros: Int64
    let declaredMicros: Int64?
    let declaredFrames: Int64?
    let frameMicros: Int64
    var frames = 0
    var decodedEndMicros: Int64?
    var lastPacketMicros: Int64?
    var failurePointMicros: Int64?

    init(stream: UnsafeMutablePointer<AVStream>, context: UnsafeMutablePointer<AVFormatContext>) {
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
    }

    private func micros(_ ts: Int64) -> Int64 {
        ff.av_rescale_q(ts, timeBase, vp_time_base_q()) - startMicros
    }

    mutating func note(_ packet: UnsafeMutablePointer<AVPacket>) {
        let ts = packet.pointee.pts != vp_nopts_value() ? packet.pointee.pts : packet.pointee.dts
        if ts != vp_nopts_value() { lastPacketMicros = micros(ts) }
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
        let at = failurePointMicros ?? decodedEndMicros ?? lastPacketMicros ?? 0
        var message = "\(what) at \(seconds(at)) s"
        if let declaredMicros { message += " of \(seconds(declaredMicros)) s" }
        message += " after \(frames) good frames"
        let ffmpeg = session.lastMessage ?? error.map(FFmpegRuntime.errorString)
        if let ffmpeg {
            var text = ffmpeg
            while text.hasSuffix(".") { text.removeLast() }
            message += ": \(text)"
        }
        return DecodeReport(outcome: outcome, framesDecoded: frames, decodedSeconds: decodedEndMicros.map(toSeconds),
                            declaredSeconds: declaredMicros.map(toSeconds), failedAtSeconds: toSeconds(at),
                            message: message + ".", ffmpegMessage: ffmpeg)
    }

    /// Whether the packets read stop more than the tolerance before the declared duration.
    var endsEarly: Bool {
        guard let declaredMicros else { return false }
        let reached = max(decodedEndMicros ?? 0, lastPacketMicros ?? 0)
        return declaredMicros - reached > max(500_000, 2 * frameMicros)
    }

    /// Compares what decoded with what the container declares. A shortfall of more than two
    /// frame intervals (at least half a second) in time, or of more than 2 % of the declared
    /// frame count, means the data was cut.
    func verdict(session: ProbeSession) -> DecodeReport {
        if frames == 0 {
            return failure(.truncated, error: nil, session: session, what: "No frame could be decoded; data ends")
        }
        let tolerance = max(500_000, 2 * frameMicros)
        if let declaredMicros, let decodedEndMicros, declaredMicros - decodedEndMicros > tolerance {
            return failure(.truncated, error: nil, session: session, what: "The video data ends")
        }
        if let declaredFrames, Int64(frames) * 50 < declaredFrames * 49 - 50 {
            return failure(.truncated, error: nil, session: session, what: "Only \(frames) of \(declaredFrames) declared frames decode; the video data ends")
        }
        return DecodeReport(outcome: .ok, framesDecoded: frames, decodedSeconds: decodedEndMicros.map(toSeconds),
                            declaredSeconds: declaredMicros.map(toSeconds), failedAtSeconds: nil,
                            message: "All \(frames) frames decoded.", ffmpegMessage: nil)
    }

    private func toSeconds(_ micros: Int64) -> Double { Double(micros) / 1_000_000 }
    private func seconds(_ micros: Int64) -> String {
        let tenths = (micros + 5_000) / 10_000
        let whole = tenths / 100, fraction = abs(tenths % 100)
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
