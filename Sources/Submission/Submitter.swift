public import AnalyzeAPI
import Foundation
public import MediaProbe
public import Preflight
import PlatformRules

/// Where a submission's video comes from.
public enum SubmissionSource: Sendable, Hashable {
    /// A local file: probed, checked, then sent as base64 or uploaded as an asset.
    case file(String)
    /// A URL the platform fetches; not probed locally (MediaProbe reads only local files).
    case url(String)
    /// An asset uploaded before (it must be `ready`).
    case assetID(String)
}

/// Which way to send a local file.
public enum SourceChoice: String, Sendable, Hashable, CaseIterable {
    /// The planner's choice from the file's size and the policy.
    case auto
    /// Inline base64 (refused when the encoded text exceeds the limit).
    case base64
    /// One `POST /assets` upload (refused above the direct-upload limit).
    case direct
    /// A chunked upload (refused above the file-size limit).
    case multipart
}

/// How ``Submitter`` behaves.
public struct SubmitOptions: Sendable {
    /// The way to send a local file; ``SourceChoice/auto`` lets the planner choose.
    public var source: SourceChoice = .auto
    /// Send a file that fails preflight anyway (the plan says so).
    public var force: Bool = false
    /// Wait for the tasks to finish.
    public var wait: Bool = false
    /// How to wait for tasks.
    public var waitOptions: WaitOptions = WaitOptions()
    /// How to wait for an uploaded asset (direct uploads; multipart uses ``multipart``'s own).
    public var assetWaitOptions: WaitOptions = WaitOptions(minimumInterval: .seconds(1), maximumInterval: .seconds(10))
    /// The preflight and planning limits.
    public var policy: Policy = .platformDefault
    /// How to probe the file.
    public var probeOptions: ProbeOptions = ProbeOptions()
    /// For a URL source: a local copy of the same video to probe and check before the URL is sent.
    /// The URL itself is never fetched (MediaProbe reads only local files); a copy that fails
    /// preflight stops the submission unless ``force`` is set. `nil` (the default): no check.
    public var localCopy: String?
    /// Multipart upload behaviour (parallelism, resume state, …).
    public var multipart: MultipartUploadOptions = MultipartUploadOptions()
    /// Where progress events go, if anywhere.
    public var progress: SubmissionProgress?
    /// Called, in order and as each happens, with what a caller must not lose: the asset a file
    /// becomes and each task created. Unlike ``progress`` (which keeps only the newest events for a
    /// slow reader) every milestone is delivered, so an interrupted caller can still say which task
    /// to follow.
    public var onMilestone: (@Sendable (SubmissionMilestone) -> Void)?
    /// Warnings count as failures (`--strict`): a file with warnings is refused unless ``force``.
    public var strict: Bool = false
    /// Also check the video's data to its end before sending (`--decode`): a truncated or damaged
    /// file fails preflight. `nil` (the default): the probe only.
    public var decode: DecodeOptions?
    /// The time budget of the ``decode`` check.
    public var decodeProbeOptions: ProbeOptions = ProbeOptions(timeout: .seconds(3600))

    /// The defaults: auto source, no force, no wait.
    public init() {}
}

/// The submission pipeline: probe → preflight → plan → upload if needed → create → (wait).
///
/// A file that fails preflight is refused before any byte is sent (unless ``SubmitOptions/force``), and the
/// request settings are validated before any upload. With several prompts the file is uploaded once as an
/// asset and one task is created per prompt.
///
/// ```swift
/// let submitter = Submitter(client: client)
/// let result = try await submitter.submit(file: "clip.mp4", request: SubmissionRequest(prompt: "Summarise."))
/// print(result.plan.decision.kind, result.tasks[0].reference.id)
/// ```
public struct Submitter: Sendable {
    /// The client every request goes through.
    public let client: AnalyzeClient

    /// A submitter over `client`.
    public init(client: AnalyzeClient) {
        self.client = client
    }

    /// Submits a local file.
    public func submit(file: String, request: SubmissionRequest, options: SubmitOptions = SubmitOptions()) async throws -> SubmissionResult {
        try await submit(.file(file), request: request, options: options)
    }

    /// Submits a file, a URL or an existing asset.
    ///
    /// - Throws: ``SubmissionError`` (`preflight_failed` with the report and `validation_failed` with the
    ///   issues, both before anything is sent; `probe_unavailable`, `source_not_possible`, `file_unreadable`,
    ///   `asset_failed`, `asset_timed_out`, `upload_failed`, `state_unusable`) or `APIError`.
    public func submit(_ source: SubmissionSource, request: SubmissionRequest, options: SubmitOptions = SubmitOptions()) async throws -> SubmissionResult {
        options.progress?.emit(.phase(.preflight))
        let plan: SubmissionPlan
        do {
            plan = try await Self.plan(source, request: request, options: options, requestPolicy: client.configuration.requestPolicy)
        } catch {
            options.progress?.finish()
            throw error
        }
        return try await submit(plan, options: options)
    }

    /// Carries out a plan made by ``plan(_:request:options:requestPolicy:)``: uploads if needed, creates the
    /// tasks and, with ``SubmitOptions/wait``, waits for them. Lets a caller check the file (and, say, unload
    /// FFmpeg with ``MediaProbe/unloadLibraries()``) before it builds the client that sends it.
    ///
    /// - Throws: ``SubmissionError`` (`source_not_possible`, `file_unreadable`, `asset_failed`,
    ///   `asset_timed_out`, `upload_failed`, `state_unusable`) or `APIError`.
    public func submit(_ plan: SubmissionPlan, options: SubmitOptions = SubmitOptions()) async throws -> SubmissionResult {
        defer { options.progress?.finish() }
        let progress = options.progress
        let source = plan.source

        var assetID: String?
        var asset: Asset?
        var multipart: MultipartUploadResult?
        var tasks: [SubmittedTask] = []

        switch (plan.decision.kind, source) {
        case (.base64, .file(let path)):
            progress?.emit(.phase(.creating))
            for settings in plan.requests {
                let streamed = try StreamedBase64Request(request: settings, file: path)
                let body = Self.counting(streamed.body, progress: progress)
                let reference = try await client.createTask(encodedBody: body)
                options.onMilestone?(.taskCreated(reference, prompt: settings.prompt, index: tasks.count))
                tasks.append(SubmittedTask(prompt: settings.prompt, reference: reference, outcome: nil))
            }
        case (.direct, .file(let path)):
            progress?.emit(.phase(.uploading))
            var onBytes: (@Sendable (Int64, Int64) -> Void)?
            if let progress { onBytes = { sent, total in progress.emit(.bytesSent(sent, total: total)) } }
            let uploaded = try await client.uploadAsset(file: path, progress: onBytes)
            options.onMilestone?(.assetCreated(assetID: uploaded.id, upload: nil))
            progress?.emit(.phase(.processingAsset))
            asset = try await waitUntilReady(uploaded.id, path: path, options: options.assetWaitOptions, progress: progress)
            assetID = uploaded.id
        case (.multipart, .file(let path)):
            progress?.emit(.phase(.uploading))
            var uploader = MultipartUploader(client: client, options: options.multipart)
            uploader.options.waitForReady = false
            if let milestone = options.onMilestone {
                let previous = uploader.options.onStart
                uploader.options.onStart = { start in
                    previous?(start)
                    milestone(.assetCreated(assetID: start.assetID, upload: start))
                }
            }
            let result = try await uploader.upload(file: path, onProgress: { update in
                progress?.emit(.bytesSent(update.bytesSent, total: update.totalBytes))
                progress?.emit(.partsDone(update.chunksDone, total: update.totalChunks))
            })
            progress?.emit(.phase(.processingAsset))
            asset = try await waitUntilReady(result.assetID, path: path, options: options.multipart.waitOptions, progress: progress)
            assetID = result.assetID
            multipart = result
        case (.url, .url(let url)):
            tasks = try await create(plan.requests, video: .url(url), options: options)
        case (.assetID, .assetID(let id)):
            assetID = id
        default:
            throw SubmissionError(.sourceNotPossible, "a \(plan.decision.kind.rawValue) source cannot carry \(source)")
        }
        if let assetID, tasks.isEmpty {
            tasks = try await create(plan.requests, video: .assetID(assetID), options: options)
        }

        if options.wait {
            progress?.emit(.phase(.waiting))
            tasks = try await waitForAll(tasks, options: options.waitOptions, progress: progress)
        }
        progress?.emit(.phase(.done))
        return SubmissionResult(plan: plan, assetID: assetID, asset: asset, multipart: multipart, tasks: tasks)
    }

    /// Preflight of a local file; a missing FFmpeg becomes ``SubmissionError/Code/probeUnavailable``.
    /// With an analysis window in `request`, the window is what is judged (inside the file, long enough).
    private static func evaluate(_ path: String, request: SubmissionRequest, options: SubmitOptions) async throws -> Report {
        let clip = request.startTime != nil || request.endTime != nil ? ClipWindow(start: request.startTime, end: request.endTime) : nil
        do {
            return try await Preflight.evaluate(
                path: path, policy: options.policy, options: options.probeOptions, deep: options.decode != nil,
                decodeOptions: options.decodeProbeOptions, decode: options.decode ?? DecodeOptions(), clip: clip
            ).judged(strict: options.strict)
        } catch let error as ProbeError {
            throw SubmissionError(.probeUnavailable, "\(path) could not be checked: \(error.message) Nothing was sent.",
                                  path: path, underlying: error)
        }
    }

    /// Decides everything a submission would do without sending anything: probes and checks a file, validates
    /// the settings, and chooses the source (what `tl submit --dry-run` prints).
    ///
    /// - Throws: ``SubmissionError`` (`preflight_failed`, `validation_failed`, `source_not_possible`,
    ///   `file_unreadable`, `probe_unavailable`).
    public static func plan(
        _ source: SubmissionSource, request: SubmissionRequest, options: SubmitOptions = SubmitOptions(),
        requestPolicy: RequestPolicy = RequestPolicy()
    ) async throws -> SubmissionPlan {
        // Settings first: a bad prompt or schema must not cost a probe, let alone an upload.
        let stand: VideoContext = switch source {
        case .file: .assetID("pending-upload")
        case .url(let url): .url(url)
        case .assetID(let id): .assetID(id)
        }
        let requests = request.createRequests(video: stand)
        let validator = RequestValidator(policy: requestPolicy)
        var issues: [ValidationIssue] = []
        for (index, candidate) in requests.enumerated() {
            for issue in validator.issues(in: candidate) {
                var issue = issue
                if requests.count > 1 { issue.field = "prompts[\(index)].\(issue.field)" }
                if !issues.contains(issue) { issues.append(issue) }
            }
        }
        let errors = issues.filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw SubmissionError(.validationFailed, errors.map(\.description).joined(separator: "; "), validationIssues: issues)
        }
        let warnings = issues.filter { $0.severity == .warning }

        switch source {
        case .url, .assetID:
            guard options.source == .auto else {
                throw SubmissionError(.sourceNotPossible, "--source \(options.source.rawValue) applies to local files; a \(source.kindName) source is sent as it is")
            }
            var report: Report?
            var decision = if case .url = source {
                SourceDecision(kind: .url, reason: "a URL source is fetched by the platform; it is not probed locally")
            } else {
                SourceDecision(kind: .assetID, reason: "an existing asset is used as it is")
            }
            if case .url = source, let copy = options.localCopy {
                // Asked to check: probe the local copy, never the URL.
                let checked = try await evaluate(copy, request: request, options: options)
                if !checked.ok && !options.force {
                    let codes = Self.failing(checked)
                    throw SubmissionError(.preflightFailed, "the local copy \(copy) fails preflight (\(codes)); nothing was sent", path: copy, report: checked)
                }
                decision.reason = "a URL source is fetched by the platform; its local copy \(copy) "
                    + (checked.ok ? "passed preflight" : "fails preflight (\(Self.failing(checked))) but force was set")
                report = checked
            }
            return SubmissionPlan(source: source, decision: decision, report: report,
                                  preflightOverridden: report.map { !$0.ok } ?? false, fileSize: nil,
                                  requests: requests, validationWarnings: warnings)
        case .file(let path):
            let report = try await evaluate(path, request: request, options: options)
            if !report.ok && !options.force {
                let codes = Self.failing(report)
                throw SubmissionError(.preflightFailed, "\(path) fails preflight (\(codes)); nothing was sent", path: path, report: report)
            }
            let size = try FileIdentity(file: path, baseURL: "").size
            guard size > 0 else { throw SubmissionError(.fileUnreadable, "\(path) is empty; there is nothing to send", path: path, report: report) }
            var decision = try decide(size: size, prompts: requests.count, options: options, requestPolicy: requestPolicy,
                                      inline: report.allowsInline())
            if !report.ok {
                decision.reason += "; sent despite failing preflight (\(Self.failing(report))) because force was set"
            }
            return SubmissionPlan(source: source, decision: decision, report: report, preflightOverridden: !report.ok,
                                  fileSize: size, requests: requests, validationWarnings: warnings)
        }
    }

    /// The codes a failing report fails for: its violations, or under strictness its warnings.
    package static func failing(_ report: Report) -> String {
        (report.violations.isEmpty ? report.warnings : []).map(\.code.rawValue).joined(separator: ", ")
            + report.violations.map(\.code.rawValue).joined(separator: ", ")
    }

    static func decide(size: Int64, prompts: Int, options: SubmitOptions, requestPolicy: RequestPolicy, inline: Bool = true) throws -> SourceDecision {
        let policy = options.policy
        let encoded = Planner.base64Length(of: size)
        let inlineLimit = min(policy.maxInlineEncodedBytes, Int64(requestPolicy.maxBase64Bytes))
        switch options.source {
        case .auto:
            guard let planned = Planner.plan(sizeBytes: size, policy: policy, inline: inline) else {
                throw SubmissionError(.sourceNotPossible,
                    "\(Planner.grouped(size)) bytes exceeds the \(Planner.grouped(policy.maxFileBytes))-byte multipart limit")
            }
            var kind = SourceKind(rawValue: planned.kind.rawValue) ?? .direct
            var reason = planned.reason
            if kind == .base64, encoded > inlineLimit {
                kind = .direct
                reason = "encoded size \(Planner.grouped(encoded)) bytes exceeds the request policy's \(Planner.grouped(inlineLimit))-byte inline limit"
            }
            if kind == .base64, prompts > 1 {
                kind = size <= policy.maxDirectUploadBytes ? .direct : .multipart
                reason = "\(prompts) prompts share one upload instead of sending the base64 text \(prompts) times (\(reason))"
            }
            return SourceDecision(kind: kind, reason: reason)
        case .base64:
            guard inline else {
                throw SubmissionError(.sourceNotPossible, "base64 was requested, but a clipped video longer than \(PlatformRules.current.sizes.inlineMaxDurationMicroseconds / 1_000_000) s must be uploaded as an asset")
            }
            guard encoded <= inlineLimit else {
                throw SubmissionError(.sourceNotPossible,
                    "base64 was requested, but the encoded size \(Planner.grouped(encoded)) bytes exceeds the \(Planner.grouped(inlineLimit))-byte inline limit")
            }
            return SourceDecision(kind: .base64, reason: "base64 requested by the caller (encoded size \(Planner.grouped(encoded)) bytes)")
        case .direct:
            guard size <= policy.maxDirectUploadBytes else {
                throw SubmissionError(.sourceNotPossible,
                    "a direct upload was requested, but \(Planner.grouped(size)) bytes exceeds the \(Planner.grouped(policy.maxDirectUploadBytes))-byte direct upload limit")
            }
            return SourceDecision(kind: .direct, reason: "direct upload requested by the caller (\(Planner.grouped(size)) bytes)")
        case .multipart:
            guard size <= policy.maxFileBytes else {
                throw SubmissionError(.sourceNotPossible,
                    "a multipart upload was requested, but \(Planner.grouped(size)) bytes exceeds the \(Planner.grouped(policy.maxFileBytes))-byte limit")
            }
            return SourceDecision(kind: .multipart, reason: "multipart upload requested by the caller (\(Planner.grouped(size)) bytes)")
        }
    }

    private func create(_ requests: [CreateAsyncAnalyzeRequest], video: VideoContext, options: SubmitOptions) async throws -> [SubmittedTask] {
        options.progress?.emit(.phase(.creating))
        var tasks: [SubmittedTask] = []
        for var request in requests {
            request.video = video
            let reference = try await client.createTask(request)
            options.onMilestone?(.taskCreated(reference, prompt: request.prompt, index: tasks.count))
            tasks.append(SubmittedTask(prompt: request.prompt, reference: reference, outcome: nil))
        }
        return tasks
    }

    private func waitUntilReady(_ id: String, path: String, options: WaitOptions, progress: SubmissionProgress?) async throws -> Asset {
        try await client.readyAsset(id, file: path, options: options, onUpdate: { asset in
            progress?.emit(.assetStatus(assetID: asset.id, status: asset.status.rawValue))
        })
    }

    private func waitForAll(_ tasks: [SubmittedTask], options: WaitOptions, progress: SubmissionProgress?) async throws -> [SubmittedTask] {
        var waitOptions = options
        let previous = options.onUpdate
        waitOptions.onUpdate = { task in
            previous?(task)
            progress?.emit(.taskStatus(taskID: task.id, status: task.status.rawValue))
        }
        let client = self.client
        let shared = waitOptions
        let outcomes = try await withThrowingTaskGroup(of: (Int, WaitOutcome).self) { group in
            for (index, task) in tasks.enumerated() {
                group.addTask { (index, try await client.waitForTask(task.reference.id, options: shared)) }
            }
            var outcomes = [Int: WaitOutcome]()
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        return tasks.enumerated().map { index, task in
            var task = task
            task.outcome = outcomes[index]
            return task
        }
    }

    /// Wraps a stream body so that every chunk handed to the transport is counted as sent.
    static func counting(_ body: RequestBody, progress: SubmissionProgress?) -> RequestBody {
        guard let progress else { return body }
        return body.observingProgress { sent, total in progress.emit(.bytesSent(sent, total: total)) }
    }
}

extension SubmissionSource {
    var kindName: String {
        switch self {
        case .file: "file"
        case .url: "URL"
        case .assetID: "asset id"
        }
    }
}

