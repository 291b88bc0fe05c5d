public import MediaProbe

/// Checks probed files against a ``Policy`` and says exactly what fails.
public enum Preflight {
    /// Every violation and warning for `info` under `policy`, plus the source plan when it passes.
    public static func check(_ info: MediaInfo, policy: Policy = .platformDefault) -> Report {
        var violations: [Violation] = []
        var warnings: [Warning] = []

        if let micros = info.durationMicroseconds {
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
                                    message: "The first frame is at \(fixed(start)) s, not 0; timestamps in results count from the file's start."))
        }
        return Report(path: info.path, violations: violations, warnings: warnings, media: MediaSummary(info),
                      source: violations.isEmpty ? Planner.plan(sizeBytes: info.sizeBytes, policy: policy) : nil)
    }

    /// The failing report for a file that could not be probed: its error code is the violation.
    public static func report(for error: ProbeError) -> Report {
        var message = error.message
        if let ffmpeg = error.ffmpegMessage, !message.contains(ffmpeg) { message += " FFmpeg said: \(ffmpeg)" }
        return Report(path: error.path, violations: [Violation(code: error.code.rawValue, message: message)])
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
                                decode: DecodeOptions = DecodeOptions()) async throws -> Report {
        let info: MediaInfo
        do {
            info = try await MediaProbe.probe(path: path, options: options)
        } catch let error as ProbeError where error.code != .ffmpegUnavailable {
            return report(for: error)
        }
        var report = check(info, policy: policy)
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
            report.violations.append(Violation(code: error.code.rawValue, message: "Deep check: " + error.message))
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

/// The stable violation codes (the same strings appear in JSON output).
public enum ViolationCode {
    public static let durationTooShort = "duration_too_short"
    public static let durationTooLong = "duration_too_long"
    public static let durationUnknown = "duration_unknown"
    public static let resolutionTooSmall = "resolution_too_small"
    public static let resolutionTooLarge = "resolution_too_large"
    public static let aspectRatioOutOfRange = "aspect_ratio_out_of_range"
    public static let noVideoStream = "no_video_stream"
    public static let unsupportedCodec = "unsupported_codec"
    public static let fileTooLarge = "file_too_large"
    public static let truncated = "truncated"
    public static let decodeFailed = "decode_failed"
    public static let invalidPackets = "invalid_packets"
    public static let decodeTimeout = "decode_timeout"
}

/// The stable warning codes.
public enum WarningCode {
    public static let variableFrameRate = "variable_frame_rate"
    public static let interlaced = "interlaced"
    public static let hdrTransfer = "hdr_transfer"
    public static let nonSquarePixels = "non_square_pixels"
    public static let unusualFrameRate = "unusual_frame_rate"
    public static let nonzeroStartTime = "nonzero_start_time"
    public static let durationEstimated = "duration_estimated"
}
