public import MediaProbe
import PlatformRules

/// Checks probed files against a ``Policy`` and says exactly what fails.
public enum Preflight {
    /// Every violation and warning for `info` under `policy`, plus the source plan when it passes.
    ///
    /// With a `clip` (the request's `start_time`/`end_time`), the window is judged instead of the whole
    /// file: it must lie inside the file's own timeline, [start, start + duration] (a file whose container
    /// starts at 3600 s is clipped at 3600 + x), and last as long as the policy's duration limits say; the
    /// file itself may then be up to `PlatformRules` `maxClippedFileMicroseconds` (4 h). The report's
    /// `billable_seconds` is the clip's length, or the whole duration.
    public static func check(_ info: MediaInfo, policy: Policy = .platformDefault, clip: ClipWindow? = nil) -> Report {
        var violations: [Violation] = []
        var warnings: [Warning] = []

        if let clip {
            checkClip(clip, info: info, policy: policy, into: &violations)
        } else if let micros = info.durationMicroseconds {
            let seconds = Double(micros) / 1_000_000
            if micros < policy.minDurationMicroseconds {
                let limit = Double(policy.minDurationMicroseconds) / 1_000_000
                violations.append(Violation(code: ViolationCode.durationTooShort,
                                            message: "Duration \(fixed(seconds)) s is below the \(short(limit)) s minimum.",
                                            actual: .number(seconds), limit: .number(limit)))
            } else if micros > policy.maxDurationMicroseconds {
                let limit = Double(policy.maxDurationMicroseconds) / 1_000_000
                violations.append(Violation(code: ViolationCode.durationTooLong,
                                            message: "Duration \(fixed(seconds)) s is above the \(short(limit)) s maximum.",
                                            actual: .number(seconds), limit: .number(limit)))
            }
        } else {
            violations.append(Violation(code: ViolationCode.durationUnknown,
                                        message: "The duration could not be determined from the container, the streams or the packets."))
        }

        if let video = info.video {
            checkPicture(video, policy: policy, into: &violations)
            if policy.requireDecodableVideo, !video.decodable {
                let message = video.codec == "none"
                    ? "FFmpeg does not recognise the video codec (an unknown codec tag), so it cannot decode it."
                    : "This FFmpeg has no decoder for the video codec \(video.codec)."
                violations.append(Violation(code: ViolationCode.unsupportedCodec, message: message, actual: .text(video.codec)))
            }
            warn(video, info: info, policy: policy, into: &warnings)
        } else {
            let what = info.audioStreams > 0 ? "It has \(info.audioStreams) audio stream\(info.audioStreams == 1 ? "" : "s") but no video stream" : "It has no video stream"
            violations.append(Violation(code: ViolationCode.noVideoStream,
                                        message: "\(what) (cover art does not count)."))
        }

        if info.sizeBytes > policy.maxFileBytes {
            violations.append(Violation(code: ViolationCode.fileTooLarge,
                                        message: "The file is \(Planner.grouped(info.sizeBytes)) bytes, above the \(Planner.grouped(policy.maxFileBytes))-byte maximum.",
                                        actual: .number(Double(info.sizeBytes)), limit: .number(Double(policy.maxFileBytes))))
        }
        if info.durationSource == .bitrate {
            warnings.append(Warning(code: WarningCode.durationEstimated,
                                    message: "The duration is only estimated from the bit rate and may be far off."))
        }
        if let start = info.startTimeSeconds, abs(start) > 0.1 {
            warnings.append(Warning(code: WarningCode.nonzeroStartTime,
                                    message: "The first frame is at \(fixed(start)) s, not 0; timestamps in results, and a clip window's start_time/end_time, are in the file's own timeline."))
        }
        var report = Report(path: info.path, violations: violations, warnings: warnings, media: MediaSummary(info), clip: clip)
        report.source = violations.isEmpty ? Planner.plan(sizeBytes: info.sizeBytes, policy: policy, inline: report.allowsInline()) : nil
        if let clip {
            let start = info.startTimeSeconds ?? 0
            report.billableSeconds = info.durationSeconds.map { duration in
                max(0, min(clip.end ?? start + duration, start + duration) - max(clip.start ?? start, start))
            }
        } else {
            report.billableSeconds = info.durationSeconds
        }
        return report
    }

    private static func checkClip(_ clip: ClipWindow, info: MediaInfo, policy: Policy, into violations: inout [Violation]) {
        let start = info.startTimeSeconds ?? 0
        guard let micros = info.durationMicroseconds else {
            violations.append(Violation(code: ViolationCode.durationUnknown,
                                        message: "The duration could not be determined, so the clip \(clip) cannot be placed in the video."))
            return
        }
        let duration = Double(micros) / 1_000_000
        let fileEnd = start + duration
        let end = clip.end ?? fileEnd
        // An omitted start is the video's own start, as the platform takes it.
        let clipStart = clip.start ?? start
        let longestFile = PlatformRules.current.video.maxClippedFileMicroseconds
        if micros > longestFile {
            let limit = Double(longestFile) / 1_000_000
            violations.append(Violation(code: ViolationCode.durationTooLong,
                                        message: "Duration \(fixed(duration)) s is above the \(short(limit)) s maximum of a clipped video.",
                                        actual: .number(duration), limit: .number(limit)))
        }
        // A millisecond of slack: container durations are rounded.
        if clipStart < start - 0.001 || end > fileEnd + 0.001 || !clipStart.isFinite || !end.isFinite {
            violations.append(Violation(code: ViolationCode.clipOutsideVideo,
                                        message: "The clip \(clip) is not inside the video, which runs from \(fixed(start)) s to \(fixed(fileEnd)) s (the window is absolute, in the video's own timeline).",
                                        actual: .text("\(short(clipStart))-\(short(end))"), limit: .text("\(short(start))-\(short(fileEnd))")))
            return
        }
        let length = end - clipStart
        let window = PlatformRules.current.request.window
        let shortest = window.lowerBound, longest = window.upperBound
        if length < shortest {
            violations.append(Violation(code: ViolationCode.clipTooShort,
                                        message: "The clip \(clip) lasts \(fixed(length)) s, below the \(short(shortest)) s minimum.",
                                        actual: .number(length), limit: .number(shortest)))
        } else if length > longest {
            violations.append(Violation(code: ViolationCode.clipTooLong,
                                        message: "The clip \(clip) lasts \(fixed(length)) s, above the \(short(longest)) s maximum.",
                                        actual: .number(length), limit: .number(longest)))
        }
    }

    /// The failing report for a file that could not be probed: its error code is the violation.
    public static func report(for error: ProbeError) -> Report {
        var message = error.message
        if let ffmpeg = error.ffmpegMessage, !message.contains(ffmpeg) { message += " FFmpeg said: \(ffmpeg)" }
        return Report(path: error.path, violations: [Violation(code: ViolationCode(rawValue: error.code.rawValue), message: message)])
    }

    /// Adds the deep check's outcome to a report: `truncated`, `decode_failed` and
    /// `invalid_packets` become violations.
    public static func merge(_ decode: DecodeReport, into report: Report) -> Report {
        var report = report
        report.decode = decode
        switch decode.outcome {
        case .ok, .notDecodable:
            break
        case .truncated, .decodeFailed, .invalidPackets:
            let code = switch decode.outcome {
            case .truncated: ViolationCode.truncated
            case .invalidPackets: ViolationCode.invalidPackets
            default: ViolationCode.decodeFailed
            }
            report.violations.append(Violation(code: code, message: decode.message,
                                               actual: decode.failedAtSeconds.map { .number(($0 * 1000).rounded() / 1000) },
                                               limit: decode.declaredSeconds.map { .number(($0 * 1000).rounded() / 1000) }))
            report.source = nil
        }
        return report
    }

    /// Probes `path`, checks it and, when `deep` is set and the quick check found a video
    /// stream, runs the deep check ``DecodeOptions/mode`` names (with the budget of
    /// `decodeOptions`). Never throws for a bad file: a file that cannot be probed gets a failing
    /// report, and a deep check that overruns its budget is the violation `decode_timeout`. Throws
    /// only `CancellationError`, and ``ProbeError`` with code `ffmpeg_unavailable` when FFmpeg's
    /// libraries cannot be loaded (no file can be checked then).
    public static func evaluate(path: String, policy: Policy = .platformDefault, options: ProbeOptions = ProbeOptions(),
                                deep: Bool = false, decodeOptions: ProbeOptions? = nil,
                                decode: DecodeOptions = DecodeOptions(), clip: ClipWindow? = nil) async throws -> Report {
        let info: MediaInfo
        do {
            info = try await MediaProbe.probe(path: path, options: options)
        } catch let error as ProbeError where error.code != .ffmpegUnavailable {
            return report(for: error)
        }
        var report = check(info, policy: policy, clip: clip)
        guard deep, let video = info.video, video.decodable || decode.mode == .packets else { return report }
        do {
            let decoded = try await MediaProbe.decodeCheck(path: path, options: decodeOptions ?? options, decode: decode)
            report = merge(decoded, into: report)
        } catch let error as ProbeError where error.code == .probeTimeout {
            let budget = (decodeOptions ?? options).timeout.components
            let seconds = Double(budget.seconds) + Double(budget.attoseconds) / 1e18
            report.violations.append(Violation(
                code: ViolationCode.decodeTimeout,
                message: "The deep check (\(decode.mode.rawValue)) of \(path) did not finish within its \(Measure.number(seconds)) s budget.",
                limit: .number(seconds)))
            report.source = nil
        } catch let error as ProbeError where error.code != .ffmpegUnavailable {
            report.violations.append(Violation(code: ViolationCode(rawValue: error.code.rawValue), message: "Deep check: " + error.message))
            report.source = nil
        }
        return report
    }

    private static func checkPicture(_ video: VideoStreamInfo, policy: Policy, into violations: inout [Violation]) {
        let w = video.width, h = video.height
        let size = Measure.text("\(w)x\(h)")
        if w < policy.minSide || h < policy.minSide {
            violations.append(Violation(code: ViolationCode.resolutionTooSmall,
                                        message: "Resolution \(w)x\(h) is below the \(policy.minSide)x\(policy.minSide) minimum.",
                                        actual: size, limit: .text("\(policy.minSide)x\(policy.minSide)")))
        }
        let long = max(w, h), shortSide = min(w, h)
        if long > policy.maxLongSide || shortSide > policy.maxShortSide {
            let which = long > policy.maxLongSide ? "long side \(long) px exceeds \(policy.maxLongSide)" : "short side \(shortSide) px exceeds \(policy.maxShortSide)"
            violations.append(Violation(code: ViolationCode.resolutionTooLarge,
                                        message: "Resolution \(w)x\(h) is above the \(policy.maxLongSide)x\(policy.maxShortSide) maximum (\(which)).",
                                        actual: size, limit: .text("\(policy.maxLongSide)x\(policy.maxShortSide)")))
        }
        if w > 0, h > 0, !policy.aspectRatioAllowed(width: w, height: h) {
            let ratio = policy.maxAspectRatio
            let bound = Double(ratio.numerator) / Double(ratio.denominator)
            violations.append(Violation(code: ViolationCode.aspectRatioOutOfRange,
                                        message: "Aspect ratio \(w):\(h) (\(fixed(Double(w) / Double(h), digits: 4))) is outside 1:\(short(bound)) to \(short(bound)):1.",
                                        actual: .number((Double(w) / Double(h) * 10_000).rounded() / 10_000),
                                        limit: .text("1:\(short(bound))..\(short(bound)):1")))
        }
    }

    private static func warn(_ video: VideoStreamInfo, info: MediaInfo, policy: Policy, into warnings: inout [Warning]) {
        if let avg = video.averageFrameRate?.value, let nominal = video.nominalFrameRate?.value, nominal > 0,
           abs(avg - nominal) / nominal > 0.01 {
            warnings.append(Warning(code: WarningCode.variableFrameRate,
                                    message: "The frame rate varies (average \(fixed(avg)) fps, nominal \(fixed(nominal)) fps)."))
        }
        if let order = video.fieldOrder, order != "progressive" {
            warnings.append(Warning(code: WarningCode.interlaced, message: "The video is interlaced (field order \(order))."))
        }
        if let transfer = video.colorTransfer, transfer == "smpte2084" || transfer == "arib-std-b67" {
            let name = transfer == "smpte2084" ? "PQ (SMPTE 2084)" : "HLG (ARIB STD-B67)"
            warnings.append(Warning(code: WarningCode.hdrTransfer, message: "The video uses the HDR transfer \(name); colours may be judged on a tone-mapped picture."))
        }
        let sar = video.sampleAspectRatio
        if sar.numerator != sar.denominator {
            warnings.append(Warning(code: WarningCode.nonSquarePixels,
                                    message: "Pixels are not square (SAR \(sar.numerator):\(sar.denominator)); it displays as \(video.displayWidth)x\(video.displayHeight)."))
        }
        if let rate = (video.averageFrameRate ?? video.nominalFrameRate)?.value, rate < policy.minFrameRate || rate > policy.maxFrameRate {
            warnings.append(Warning(code: WarningCode.unusualFrameRate,
                                    message: "The frame rate \(fixed(rate, digits: rate < 1 ? 4 : 2)) fps is outside \(short(policy.minFrameRate))–\(short(policy.maxFrameRate)) fps."))
        }
    }

    static func fixed(_ value: Double, digits: Int = 2) -> String {
        let scale = digits == 4 ? 10_000.0 : 100.0
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale), fraction = scaled % Int64(scale)
        var fractionText = String(fraction)
        while fractionText.count < digits { fractionText = "0" + fractionText }
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole).\(fractionText)"
    }

    static func short(_ value: Double) -> String {
        value.rounded() == value ? String(Int64(value)) : fixed(value).replacingTrailingZeros()
    }
}

extension String {
    fileprivate func replacingTrailingZeros() -> String {
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// The stable violation codes (the same strings appear in JSON output); a struct with static members, as
/// every error code of this package is, so that a new code is not a breaking change.
public struct ViolationCode: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The wire string, e.g. `duration_too_short`.
    public var rawValue: String
    /// The code of a wire string.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A code from a literal: `"duration_too_short"`.
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let durationTooShort = ViolationCode(rawValue: "duration_too_short")
    public static let durationTooLong = ViolationCode(rawValue: "duration_too_long")
    public static let durationUnknown = ViolationCode(rawValue: "duration_unknown")
    public static let resolutionTooSmall = ViolationCode(rawValue: "resolution_too_small")
    public static let resolutionTooLarge = ViolationCode(rawValue: "resolution_too_large")
    public static let aspectRatioOutOfRange = ViolationCode(rawValue: "aspect_ratio_out_of_range")
    public static let noVideoStream = ViolationCode(rawValue: "no_video_stream")
    public static let unsupportedCodec = ViolationCode(rawValue: "unsupported_codec")
    public static let fileTooLarge = ViolationCode(rawValue: "file_too_large")
    public static let truncated = ViolationCode(rawValue: "truncated")
    public static let decodeFailed = ViolationCode(rawValue: "decode_failed")
    public static let invalidPackets = ViolationCode(rawValue: "invalid_packets")
    public static let decodeTimeout = ViolationCode(rawValue: "decode_timeout")
    public static let clipOutsideVideo = ViolationCode(rawValue: "clip_outside_video")
    public static let clipTooShort = ViolationCode(rawValue: "clip_too_short")
    public static let clipTooLong = ViolationCode(rawValue: "clip_too_long")
}

/// An analysis window, `start_time`…`end_time`, in seconds of the video's own timeline.
public struct ClipWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Where it starts; `nil` is the start of the video (its container's start time, not 0).
    public var start: Double?
    /// Where it ends; `nil` is the end of the video.
    public var end: Double?

    /// A window from `start` to `end`.
    public init(start: Double?, end: Double?) {
        self.start = start
        self.end = end
    }

    /// `START-END` (or `START-`), each in seconds or `[hh:]mm:ss[.fff]`: `3600-3720`, `1:00:00-1:02:00`.
    /// `nil` when it does not parse, or the end is not after the start.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Self.seconds(parts[0]) else { return nil }
        let end = parts[1].isEmpty ? nil : Self.seconds(parts[1])
        if !parts[1].isEmpty && end == nil { return nil }
        if let end, end <= start { return nil }
        guard start.isFinite, end?.isFinite ?? true else { return nil }
        self.init(start: start, end: end)
    }

    /// Seconds from `90`, `90.5`, `1:30` or `0:01:30.5`.
    static func seconds(_ text: Substring) -> Double? {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(fields.count) else { return nil }
        var total = 0.0
        for (index, field) in fields.enumerated() {
            guard let value = Double(field), value >= 0, value.isFinite, !field.hasPrefix("+") else { return nil }
            if index > 0, value >= 60 { return nil }
            total = total * 60 + value
        }
        return total
    }

    /// `10–15 s`, `start–15 s`, `10–end s`.
    public var description: String {
        "\(start.map(Preflight.short) ?? "start")–\(end.map(Preflight.short) ?? "end") s"
    }

    enum CodingKeys: String, CodingKey {
        case start = "start_time"
        case end = "end_time"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
    }
}

/// The stable warning codes, in the same shape as ``ViolationCode``.
public struct WarningCode: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The wire string, e.g. `variable_frame_rate`.
    public var rawValue: String
    /// The code of a wire string.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A code from a literal: `"variable_frame_rate"`.
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let variableFrameRate = WarningCode(rawValue: "variable_frame_rate")
    public static let interlaced = WarningCode(rawValue: "interlaced")
    public static let hdrTransfer = WarningCode(rawValue: "hdr_transfer")
    public static let nonSquarePixels = WarningCode(rawValue: "non_square_pixels")
    public static let unusualFrameRate = WarningCode(rawValue: "unusual_frame_rate")
    public static let nonzeroStartTime = WarningCode(rawValue: "nonzero_start_time")
    public static let durationEstimated = WarningCode(rawValue: "duration_estimated")
}
