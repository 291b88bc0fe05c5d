import AnalyzeAPI
import ArgumentParser
import Foundation
import MediaProbe
import Preflight
import PlatformRules
import Submission

/// `--source`: how to send a local file.
enum SourceOption: String, ExpressibleByArgument, CaseIterable {
    case auto, base64, direct, multipart

    var choice: SourceChoice { SourceChoice(rawValue: rawValue) ?? .auto }
}

/// `tl submit`: a file, URL or asset → preflight → plan → upload → task(s) → (result).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a video for analysis: preflight, choose the source, upload if needed, create the task(s).",
        discussion: """
            Give one of PATH, --url or --asset-id, and at least one prompt (--prompt may be repeated; \
            several prompts share one upload and create one task each). A file that fails preflight is \
            refused before anything is sent, unless --force. --dry-run prints the plan and the request \
            (base64 elided) and sends nothing.
            Exit status: 0 ok, 1 the file failed preflight / a task failed / API error, 2 tool failure, 64 usage error.
            """)

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("A local video file.", valueName: "PATH"))
    var path: String?

    @Option(help: "A URL the platform fetches itself (not probed locally).")
    var url: String?

    @Option(name: .customLong("local-copy"), help: ArgumentHelp(
        "With --url: a local copy of the same video to preflight before the URL is sent (the URL is never fetched).",
        valueName: "FILE"))
    var localCopy: String?

    @Option(name: .customLong("asset-id"), help: "An uploaded asset (it must be ready).")
    var assetID: String?

    @OptionGroup(title: "What to ask") var analysis: AnalysisOptions

    @Flag(name: .customLong("no-prompt-limit"), help: "Send a prompt over the estimated token limit anyway (the estimate is conservative; the platform judges).")
    var noPromptLimit = false

    @Option(name: .customLong("custom-id"), help: "Your id for the task (1–64 of A–Z a–z 0–9 _ -); with several prompts each gets -1, -2, …")
    var customID: String?

    @Option(help: "How to send a local file: auto, base64, direct or multipart.")
    var source: SourceOption = .auto

    @Flag(help: "Send a file even though it fails preflight.")
    var force = false

    @Option(help: ArgumentHelp("A JSON file overriding policy limits, as for tl preflight; '-' reads standard input.", valueName: "FILE"),
            completion: .file())
    var policy: String?

    @Flag(help: "Treat preflight warnings as failures.")
    var strict = false

    @Option(help: ArgumentHelp(
        "Also check the video's data to its end before sending, as tl preflight --decode does: full (the default for a bare --decode), keyframes or packets.",
        valueName: "full|keyframes|packets"))
    var decode: DecodeMode?

    @Flag(help: "Wait for the task(s) and print the result.")
    var wait = false

    @Option(help: "With --wait: give up after this many seconds (default 3600; also bounds the asset's processing).")
    var timeout: Double?

    @Option(name: .customLong("poll-interval"), help: "With --wait: shortest pause between polls, in seconds (default 2).")
    var pollInterval: Double?

    @Flag(name: .customLong("dry-run"), help: "Print the plan and the request; send nothing.")
    var dryRun = false

    @Option(help: "Multipart: chunk uploads in flight at once (default 4).")
    var parallel: Int?

    @Option(name: .customLong("body-out"), help: ArgumentHelp(
        "With --dry-run and a base64 source: write the exact create-request body, streamed, to FILE ('-' for stdout).",
        valueName: "FILE"))
    var bodyOut: String?

    func validate() throws {
        let given = [path != nil, url != nil, assetID != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("Give exactly one of PATH, --url or --asset-id.") }
        guard !analysis.prompts.isEmpty || !analysis.promptFiles.isEmpty || analysis.segments != nil else {
            throw ValidationError("Give at least one --prompt or --prompt-file (or --segments for time_based_metadata).")
        }
        if let timeout {
            guard wait else { throw ValidationError("--timeout applies only with --wait.") }
            guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 seconds.") }
        }
        if let pollInterval {
            guard wait else { throw ValidationError("--poll-interval applies only with --wait.") }
            guard pollInterval > 0, pollInterval.isFinite else { throw ValidationError("--poll-interval must be more than 0 seconds.") }
        }
        if let parallel {
            guard path != nil, source == .auto || source == .multipart else {
                throw ValidationError("--parallel applies only to multipart uploads of a PATH (--source auto or multipart).")
            }
            guard (1...32).contains(parallel) else { throw ValidationError("--parallel must be 1–32.") }
        }
        if wait, dryRun { throw ValidationError("--wait and --dry-run cannot be combined: a dry run sends nothing.") }
        if path == nil, decode != nil || strict, url == nil || localCopy == nil {
            throw ValidationError("--decode and --strict check a local file: give a PATH, or --url with --local-copy.")
        }
        if bodyOut != nil, !dryRun { throw ValidationError("--body-out needs --dry-run.") }
        if localCopy != nil, url == nil { throw ValidationError("--local-copy goes with --url.") }
        if let url {
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
                  components.host?.isEmpty == false
            else { throw ValidationError("--url must be an http(s) URL, got '\(url)'.") }
        }
    }

    func run() async throws {
        try InputFile.checkOneStandardInput(
            analysis.files + [("--policy", policy), ("--api-key-file", api.apiKeyFile)])
        let request = try buildRequest()
        let subject: SubmissionSource = if let path { .file(path) } else if let url { .url(url) } else { .assetID(assetID ?? "") }
        var options = SubmitOptions()
        options.source = source.choice
        options.force = force
        options.strict = strict
        options.localCopy = localCopy
        if let policy { options.policy = try PolicyFile.load(policy) }
        if let decode { options.decode = DecodeOptions(mode: decode) }
        options.wait = wait
        let interval = pollInterval ?? 2
        let wait = WaitOptions(minimumInterval: .seconds(double: interval), maximumInterval: .seconds(double: max(interval, 10)),
                               timeout: .seconds(double: timeout ?? 3600))
        options.waitOptions = wait
        options.assetWaitOptions = wait
        options.multipart.waitOptions = wait
        options.multipart.parallelism = parallel ?? 4
        // The model's limits (max_tokens, modes, the window) come from PlatformRules, by --model.
        var requestPolicy = RequestPolicy()
        requestPolicy.enforcesPromptLimit = !noPromptLimit

        if dryRun {
            let plan: SubmissionPlan
            do {
                plan = try await Submitter.plan(subject, request: request, options: options, requestPolicy: requestPolicy)
            } catch let error as SubmissionError {
                throw SubmitOutput.fail(error, format: api.format)
            }
            if let bodyOut {
                try await writeBody(plan, to: bodyOut)
                if bodyOut == "-" { return }
            }
            try SubmitOutput.printDryRun(plan, format: api.format)
            return
        }

        // The key first (a missing one is a usage error, said before any probing), then check the file, then
        // drop FFmpeg (one submission, then the process ends) and only then build the HTTP client: the upload
        // runs without FFmpeg's libraries mapped.
        let configuration = try api.configuration(requestPolicy: requestPolicy)
        let plan: SubmissionPlan
        do {
            plan = try await Submitter.plan(subject, request: request, options: options, requestPolicy: requestPolicy)
        } catch let error as SubmissionError {
            throw SubmitOutput.fail(error, format: api.format)
        }
        MediaProbe.unloadLibraries()
        if [.direct, .multipart].contains(plan.decision.kind) { MemoryTuning.forUploads() }
        if api.format == .text { SubmitOutput.printPlan(plan) }

        // What was made so far is said as it is made, and again if the command is interrupted or fails:
        // the user must never be left without the id of a task that exists.
        let made = SubmissionTrail(format: api.format, prompts: plan.requests.count)
        options.onMilestone = { made.record($0) }
        let interruption = made.sayOnInterrupt()
        defer { interruption.cancel() }
        try await api.withClient(configuration: configuration) { client in
            let progress = SubmissionProgress()
            options.progress = progress
            let bar = Console.showsProgress ? Task { await ProgressBar.draw(progress.events) } : nil
            let result: SubmissionResult
            do {
                result = try await Submitter(client: client).submit(plan, options: options)
                await bar?.value
            } catch let error as SubmissionError {
                await bar?.value
                made.sayHowToContinue(failed: true)
                throw SubmitOutput.fail(error, format: api.format)
            } catch {
                await bar?.value
                made.sayHowToContinue(failed: true)
                throw error
            }
            return SubmitOutput.printResult(result, format: api.format)
        }
    }

    /// Streams the base64 create body of `plan` to `path`, chunk by chunk (never whole in memory).
    private func writeBody(_ plan: SubmissionPlan, to path: String) async throws {
        guard plan.decision.kind == .base64, case .file(let file) = plan.source, let request = plan.requests.first else {
            throw SubmitOutput.fail(SubmissionError(.sourceNotPossible,
                "--body-out writes base64 request bodies; this submission is planned as \(plan.decision.kind.rawValue)"), format: api.format)
        }
        let streamed: StreamedBase64Request
        do {
            streamed = try StreamedBase64Request(request: request, file: file)
        } catch let error as SubmissionError {
            throw SubmitOutput.fail(error, format: api.format)
        }
        let output: FileHandle
        if path == "-" {
            output = FileHandle.standardOutput
        } else {
            // open(2), not FileManager.createFile: that writes a temporary file and renames it over the
            // target, which would replace a device such as /dev/null with a regular file.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else {
                CLI.err("error: cannot open \(path): \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        }
        defer { if path != "-" { try? output.close() } }
        do {
            for try await chunk in streamed.chunks() { try output.write(contentsOf: chunk) }
        } catch {
            CLI.err("error: cannot write the body: \(error)")
            throw ExitCode(2)
        }
    }

    private func buildRequest() throws -> SubmissionRequest {
        var request = SubmissionRequest(
            prompts: try analysis.allPrompts(), temperature: analysis.temperature, maxTokens: analysis.maxTokensValue,
            responseFormat: try analysis.responseFormat(), customID: customID, modelName: analysis.model)
        request.analysisMode = analysis.analysisMode?.rawValue ?? (analysis.segments != nil ? analysis.mode : nil)
        request.mediaSources = try analysis.mediaSources()
        request.startTime = analysis.window?.start
        request.endTime = analysis.window?.end
        request.minSegmentDuration = analysis.minSegmentDuration
        request.maxSegmentDuration = analysis.maxSegmentDuration
        return request
    }
}
