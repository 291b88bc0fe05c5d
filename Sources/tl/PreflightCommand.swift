import ArgumentParser
import Foundation
import Logging
import MediaProbe
import Preflight

/// `tl preflight`: check files against the platform's limits; exit 0 when all pass, 1 when any
/// fails, 2 when the tool itself fails, 64 on a usage error.
struct PreflightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check video files against the platform's limits before upload.",
        discussion: """
            Exit status: 0 every file passes (warnings allowed), 1 at least one file fails \
            (a missing or unreadable file is a failing file), 2 the tool itself failed, 64 usage error.
            Directories contribute the media files inside them (by extension); --recursive descends.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, jsonl
    }

    @Option(name: .shortAndLong, help: "Output format: text (default on a terminal), json (default otherwise) or jsonl (one report per line as each finishes).")
    var format: Format?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the reports to FILE instead of standard output.", valueName: "FILE"),
            completion: .file())
    var output: String?

    @Option(name: .shortAndLong, help: "Files checked at once (default: the number of cores).")
    var jobs: Int?

    @Flag(name: .shortAndLong, help: "Descend into subdirectories of directory arguments.")
    var recursive = false

    @Flag(help: "Check every file found in directories, not only media extensions.")
    var allFiles = false

    @Flag(help: "Treat warnings as failures.")
    var strict = false

    @Option(help: ArgumentHelp(
        "Also check each video stream's data to the end, to catch truncated or damaged files: full (decode every frame; the default for a bare --decode), keyframes (decode key frames only) or packets (read packets without decoding).",
        valueName: "full|keyframes|packets"))
    var decode: DecodeMode?

    @Option(help: ArgumentHelp("A JSON file overriding policy limits (see README); '-' reads standard input.", valueName: "FILE"),
            completion: .file())
    var policy: String?

    @Option(help: ArgumentHelp(
        "Judge the analysis window START-END (seconds or [hh:]mm:ss[.fff] of each video's own timeline; START- runs to the end) instead of the whole file, as a request with start_time/end_time would be.",
        valueName: "START-END"))
    var clip: String?

    @Option(help: "Time budget per file for the probe, in seconds.")
    var timeout: Double = 10

    @Option(help: "With --decode packets: the longest allowed step between two packets, in seconds (default 2; at least three frame intervals are always allowed).")
    var gapThreshold: Double?

    @Option(help: "With --decode: time budget per file, in seconds (default 3600).")
    var decodeTimeout: Double?

    @Flag(name: .shortAndLong, help: "Show FFmpeg's warnings and errors on stderr.")
    var verbose = false

    @OptionGroup var console: OutputOptions

    @Argument(help: ArgumentHelp("Files or directories to check. Use -- before paths that start with '-'.", valueName: "PATH"),
              completion: .file())
    var paths: [String] = []

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one PATH to check.") }
        try AnalysisOptions.checkClip(clip)
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256.") }
        if !(timeout > 0 && timeout <= 86_400) { throw ValidationError("--timeout must be more than 0 and at most 86400 seconds.") }
        if let decodeTimeout {
            if decode == nil { throw ValidationError("--decode-timeout applies only with --decode.") }
            if !(decodeTimeout > 0 && decodeTimeout <= 604_800) { throw ValidationError("--decode-timeout must be more than 0 and at most 604800 seconds.") }
        }
        if let gapThreshold {
            if decode != .packets { throw ValidationError("--gap-threshold applies only to --decode packets.") }
            if !(gapThreshold > 0 && gapThreshold <= 86_400) { throw ValidationError("--gap-threshold must be more than 0 and at most 86400 seconds.") }
        }
    }

    func run() async throws {
        do {
            try await check()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let error as UsageError {
            throw error
        } catch is CancellationError {
            throw ExitCode(130)
        } catch {
            // Anything else is the tool failing, not a file: say so and exit 2.
            CLI.err("error: \(error)")
            throw ExitCode(2)
        }
    }

    private func check() async throws {
        let policy = try loadPolicy()
        let format = self.format ?? (Terminal.stdoutIsTTY && output == nil ? .text : .json)
        let files = PathExpansion(recursive: recursive, allFiles: allFiles).expand(paths)
        let logger = makeLogger()
        let options = ProbeOptions(timeout: .milliseconds(Int64(timeout * 1000)), logger: logger)
        let decodeOptions = ProbeOptions(timeout: .milliseconds(Int64((decodeTimeout ?? 3600) * 1000)), logger: logger)
        let renderer = ReportRenderer(format: format, style: Style(enabled: format == .text && Console.colors))
        let sink = try output.map(OutputSink.init(path:)) ?? OutputSink()

        // A missing FFmpeg is the tool failing (exit 2), said before any output starts.
        if !files.isEmpty { try MediaProbe.loadLibraries() }
        try await sink.out(renderer.header())
        // Memory stays flat however many files there are: finished reports are written and
        // dropped, keeping only a tally and the few that finished before an earlier file.
        var tally = Tally()
        var pending: [Int: Report] = [:]
        var nextToWrite = 0
        let limit = jobs ?? Terminal.cores()
        let deepMode = decode
        // Decoder threads share the cores with the files checked at once; a lone check gets them all,
        // FFmpeg's own choice, as the ffmpeg CLI makes it.
        let cores = Terminal.cores()
        let running = max(1, min(limit, files.count))
        let threads = running == 1 ? 0 : max(1, cores / running)
        let progress = DecodeProgress(enabled: deepMode != nil && Console.showsProgress)
        let gap = gapThreshold ?? DecodeOptions().gapThreshold
        try await withThrowingTaskGroup(of: (Int, Report).self) { group in
            var started = 0
            let window = clip.flatMap(ClipWindow.init(parsing:))
            func startNext() {
                guard started < files.count else { return }
                let index = started, path = files[index]
                started += 1
                group.addTask {
                    let decode = DecodeOptions(mode: deepMode ?? .full, threads: threads, gapThreshold: gap,
                                               progress: progress.reporter(for: path))
                    let report = try await Preflight.evaluate(path: path, policy: policy, options: options,
                                                              deep: deepMode != nil, decodeOptions: decodeOptions, decode: decode,
                                                              clip: window)
                    progress.finish(path)
                    return (index, Self.displayed(report.judged(strict: strict)))
                }
            }
            for _ in 0..<min(limit, files.count) { startNext() }
            while let (index, report) = try await group.next() {
                startNext()
                tally.count(report)
                if format == .jsonl {
                    // As each finishes.
                    try await sink.out(try renderer.line(report))
                    continue
                }
                // In argument order, as soon as every earlier file is done.
                pending[index] = report
                while let ready = pending.removeValue(forKey: nextToWrite) {
                    try await sink.out(try renderer.ordered(ready, first: nextToWrite == 0))
                    nextToWrite += 1
                }
            }
        }
        try await sink.out(try renderer.footer(tally))
        if files.isEmpty {
            CLI.err("tl: no media files found in \(paths.joined(separator: " ")) (use --all-files to check every file)")
        }
        if tally.failed > 0 { throw ExitCode(1) }
    }

    /// A report on a file whose name is not UTF-8, with the name shown as `\xNN` escapes (``RawPath``).
    static func displayed(_ report: Report) -> Report {
        guard RawPath.hasEscapes(report.path) else { return report }
        var shown = report
        let raw = report.path, display = RawPath.display(raw)
        shown.path = display
        for index in shown.violations.indices {
            shown.violations[index].message = shown.violations[index].message.replacingOccurrences(of: raw, with: display)
        }
        return shown
    }

    private func loadPolicy() throws -> Policy {
        guard let path = policy else { return .platformDefault }
        return try PolicyFile.load(path)
    }

    private func makeLogger() -> Logger {
        guard verbose else { return Logger(label: "tl.ffmpeg", factory: { _ in SwiftLogNoOpLogHandler() }) }
        var logger = Logger(label: "ffmpeg", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return logger
    }
}
