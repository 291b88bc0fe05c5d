import AnalyzeAPI
import ArgumentParser
import Foundation
import Preflight
import Submission
import NIOConcurrencyHelpers
import Synchronization

/// How `tl submit` and `tl assets` print plans, results and failures.
enum SubmitOutput {
    /// Prints a submission failure and returns the exit code to throw: 1 for a file or upload that failed,
    /// 64 for settings or a forced source that cannot work, 2 for the tool's own failures.
    static func fail(_ error: SubmissionError, format: OutputFormat) -> ExitCode {
        let status: Int32 = switch error.code {
        case .validationFailed, .sourceNotPossible: 64
        case .preflightFailed, .fileUnreadable, .assetFailed, .assetTimedOut, .uploadFailed: 1
        default: 2
        }
        if let report = error.report, format == .text {
            for violation in report.violations { CLI.err("  \(violation.code): \(violation.message)") }
        }
        CLI.err("error: \(error.message)")
        if format.isJSON {
            var object: [String: JSONValue] = ["code": .string(error.code.rawValue), "message": .string(error.message)]
            if let report = error.report, let value = try? json(report) { object["report"] = value }
            if !error.validationIssues.isEmpty {
                object["issues"] = .array(error.validationIssues.map { issue in
                    .object(["field": .string(issue.field), "pointer": .string(issue.jsonPointer), "code": .string(issue.code), "message": .string(issue.message),
                             "severity": .string(issue.severity.rawValue)])
                })
            }
            CLI.printJSON(JSONValue.object(["error": .object(object)]), format: format)
        }
        return ExitCode(status)
    }

    static func printDryRun(_ plan: SubmissionPlan, format: OutputFormat) throws {
        let requests = try plan.requests.map { try displayRequest($0, plan: plan) }
        if format.isJSON {
            var object: [String: JSONValue] = [
                "dry_run": .bool(true),
                "source": .object(["kind": .string(plan.decision.kind.rawValue), "reason": .string(plan.decision.reason)]),
                "preflight_overridden": .bool(plan.preflightOverridden),
                "requests": .array(requests),
            ]
            if let report = plan.report { object["report"] = try json(report) }
            CLI.printJSON(JSONValue.object(object), format: format)
            return
        }
        CLI.out("source: \(plan.decision.kind.rawValue) (\(plan.decision.reason))")
        if let report = plan.report {
            CLI.out("preflight: \(report.ok ? "ok" : "FAILED (\(report.violations.map(\.code.rawValue).joined(separator: ", ")))")\(report.warnings.isEmpty ? "" : ", warnings: \(report.warnings.map(\.code.rawValue).joined(separator: ", "))")")
        }
        for warning in plan.validationWarnings { CLI.out("warning: \(warning)") }
        for (index, request) in requests.enumerated() {
            CLI.out(requests.count > 1 ? "request \(index + 1):" : "request:")
            CLI.out(pretty(request))
        }
        CLI.out("dry run: nothing was sent")
    }

    /// The request as it would be sent: base64 elided, an upload's asset id named as pending.
    static func displayRequest(_ request: CreateAsyncAnalyzeRequest, plan: SubmissionPlan) throws -> JSONValue {
        var request = request
        switch (plan.decision.kind, plan.source) {
        case (.base64, .file(let path)):
            let text = try StreamedBase64Request(request: request, file: path).elidedJSON()
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        case (.direct, _), (.multipart, _):
            request.video = .assetID("<asset id from the \(plan.decision.kind.rawValue) upload>")
        default:
            break
        }
        return try json(request)
    }

    /// Prints a finished submission; returns 0, or 1 when a waited task did not end ready.
    static func printResult(_ result: SubmissionResult, format: OutputFormat) -> Int32 {
        var status: Int32 = 0
        for task in result.tasks {
            if let outcome = task.outcome, outcome.name != "ready" { status = 1 }
        }
        if format.isJSON {
            var object: [String: JSONValue] = [
                "source": .object(["kind": .string(result.plan.decision.kind.rawValue), "reason": .string(result.plan.decision.reason)]),
                "preflight_overridden": .bool(result.plan.preflightOverridden),
                "tasks": .array(result.tasks.map(taskJSON)),
            ]
            if let assetID = result.assetID { object["asset_id"] = .string(assetID) }
            if let report = result.plan.report, let value = try? json(report) { object["report"] = value }
            if let multipart = result.multipart { object["multipart"] = multipartJSON(multipart) }
            CLI.printJSON(JSONValue.object(object), format: format)
            return status
        }
        // The source, asset and task lines were printed as each became known (printPlan, SubmissionTrail);
        // what is left is each waited task's outcome, naming its prompt when there are several.
        let several = result.tasks.count > 1
        for (index, task) in result.tasks.enumerated() {
            guard let outcome = task.outcome else { continue }
            CLI.out("task:   \(task.reference.id) \(outcome.name)\(several ? " (prompt \(index + 1) of \(result.tasks.count)\(quoted(task.prompt)))" : "")")
            if let seen = outcome.task {
                if let data = seen.result?.data { CLI.out(prettyResult(data)) }
                if let error = seen.error { CLI.out("  \(error.code ?? "error"): \(error.message)") }
            }
        }
        return status
    }

    /// `: "Who appears?"`, shortened to 40 characters; empty without a prompt.
    static func quoted(_ prompt: String?) -> String {
        guard let prompt else { return "" }
        let line = prompt.replacingOccurrences(of: "\n", with: " ")
        return ": \"" + (line.count > 40 ? line.prefix(39) + "…" : line) + "\""
    }

    /// The plan in text, as soon as it is made: the source and why, and every warning (printed on stderr
    /// unless `--quiet`; a file sent with `--force` is always said).
    static func printPlan(_ plan: SubmissionPlan) {
        CLI.out("source: \(plan.decision.kind.rawValue) (\(plan.decision.reason))")
        if plan.preflightOverridden { CLI.err("warning: the file fails preflight and is sent because of --force") }
        guard !Console.quiet else { return }
        for warning in plan.report?.warnings ?? [] { CLI.err("warning: \(warning.code): \(warning.message)") }
        for warning in plan.validationWarnings { CLI.err("warning: \(warning)") }
    }

    static func taskJSON(_ task: SubmittedTask) -> JSONValue {
        var entry: [String: JSONValue] = [
            "task_id": .string(task.reference.id), "status": .string(task.outcome?.task?.status.rawValue ?? task.reference.status.rawValue),
        ]
        if let prompt = task.prompt { entry["prompt"] = .string(prompt) }
        if let outcome = task.outcome {
            entry["outcome"] = .string(outcome.name)
            if let seen = outcome.task, let value = try? json(seen) { entry["task"] = value }
        }
        return .object(entry)
    }

    static func multipartJSON(_ result: MultipartUploadResult) -> JSONValue {
        .object([
            "upload_id": .string(result.uploadID),
            "total_chunks": .integer(result.totalChunks),
            "chunks_sent": .array(result.chunksSent.sorted().map { .integer($0) }),
            "chunks_resumed": .integer(result.chunksResumed),
            "resumed": .bool(result.resumed),
            "bytes_sent": .integer(Int(result.bytesSent)),
            "transfer_seconds": .number((result.transferDuration.seconds * 1e6).rounded() / 1e6),
        ])
    }

    /// A JSON result pretty-printed; other text as it is.
    static func prettyResult(_ data: String) -> String {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)),
              value.objectValue != nil || value.arrayValue != nil
        else { return data }
        return pretty(value)
    }

    static func pretty(_ value: JSONValue) -> String {
        CLI.prettyJSON(value) ?? ""
    }

    static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: WireCoding.encoder().encode(value))
    }
}

/// Draws submission progress on stderr (callers start it only on a terminal).
enum ProgressBar {
    static func draw(_ events: AsyncStream<SubmissionEvent>) async {
        var phase = SubmissionPhase.preflight
        var bytes: (Int64, Int64)?
        var parts: (Int, Int)?
        var status: String?
        for await event in events {
            switch event {
            case .phase(let next):
                phase = next
                status = nil
                bytes = nil
                parts = nil
            case .bytesSent(let sent, let total): bytes = (sent, total)
            case .partsDone(let done, let total): parts = (done, total)
            case .assetStatus(_, let value), .taskStatus(_, let value): status = value
            }
            var line = phase.rawValue.replacingOccurrences(of: "_", with: " ")
            if phase == .uploading || phase == .creating, let (sent, total) = bytes, total > 0 {
                let fraction = min(1, Double(sent) / Double(total))
                let width = 24
                let filled = Int(fraction * Double(width))
                line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
                line += " \(Int(fraction * 100))% \(size(sent)) of \(size(total))"
                if let (done, total) = parts { line += " chunks \(done)/\(total)" }
            }
            if let status { line += " (\(status))" }
            CLI.progress(line)
        }
        CLI.endProgress()
    }

    /// `48.4 kB`, `22.5 MB`, `1.2 GB`.
    static func size(_ bytes: Int64) -> String {
        let units: [(Double, String)] = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (scale, unit) in units where Double(bytes) >= scale {
            let tenths = Int64((Double(bytes) / scale * 10).rounded())
            return "\(tenths / 10).\(tenths % 10) \(unit)"
        }
        return "\(bytes) B"
    }
}

/// What a running `tl submit` has made (the asset, the tasks), printed as each is made and again, as
/// the way to continue, when the command is interrupted or fails.
final class SubmissionTrail: Sendable {
    private struct State {
        var assetID: String?
        var upload: UploadStart?
        var taskIDs: [String] = []
    }
    private let state = NIOLockedValueBox(State())
    private let format: OutputFormat
    private let prompts: Int
    /// The watch whose message is kept up to date with what exists, once ``sayOnInterrupt()`` ran.
    fileprivate let interruptWatch = NIOLockedValueBox<SignalWatch?>(nil)

    init(format: OutputFormat, prompts: Int) {
        self.format = format
        self.prompts = prompts
    }

    /// Remembers `milestone` and, in text, prints its line at once.
    func record(_ milestone: SubmissionMilestone) {
        let line: String = state.withLockedValue { state in
            switch milestone {
            case .assetCreated(let assetID, let upload):
                state.assetID = assetID
                state.upload = upload
                guard let upload else { return "asset:  \(assetID) (uploaded)" }
                let resumed = upload.chunksResumed > 0 ? ", resumed \(upload.chunksResumed) of \(upload.totalChunks) chunks" : ""
                return "asset:  \(assetID) (uploading \(upload.totalChunks) chunk\(upload.totalChunks == 1 ? "" : "s")\(resumed))"
            case .taskCreated(let reference, let prompt, let index):
                state.taskIDs.append(reference.id)
                let which = prompts > 1 ? " (prompt \(index + 1) of \(prompts)\(SubmitOutput.quoted(prompt)))" : ""
                return "task:   \(reference.id) \(reference.status.rawValue)\(which)"
            }
        }
        if let watch = interruptWatch.withLockedValue({ $0 }) {
            watch.setMessage(["interrupted", howToContinue(failed: true, checkingState: false)].compactMap { $0 }.joined(separator: "\n"))
        }
        guard format == .text else { return }
        CLI.endProgress()
        CLI.out(line)
    }

    /// On stderr: how to go on from what exists: `tl tasks wait <ids>`, or run the command again to
    /// resume an upload.
    func sayHowToContinue(failed: Bool) {
        CLI.endProgress()
        if let text = howToContinue(failed: failed) { CLI.err(text) }
    }

    private func howToContinue(failed: Bool, checkingState: Bool = true) -> String? {
        let (tasks, upload) = state.withLockedValue { ($0.taskIDs, $0.upload) }
        if !tasks.isEmpty {
            return "\(failed ? "created before it stopped" : "created"): \(tasks.count) task\(tasks.count == 1 ? "" : "s"); follow with: tl tasks wait \(tasks.joined(separator: " "))"
        }
        guard let upload, failed else { return nil }
        // The state file is removed once every chunk is stored: then there is nothing to resume.
        // (A signal handler's text is prepared ahead, without looking.)
        if !checkingState || UploadStateStore.standard().entries().contains(where: { $0.state?.uploadID == upload.uploadID }) {
            return "the multipart upload \(upload.uploadID) is saved; run the same command again to send only the missing chunks"
        }
        return "the upload of asset \(upload.assetID) was complete, but no task was created"
    }

    /// Until cancelled, SIGINT and SIGTERM print the way on (as ``sayHowToContinue(failed:)`` would)
    /// and exit 130 / 143. The text is prepared as each milestone is recorded.
    func sayOnInterrupt() -> SignalWatch {
        let watch = SignalWatch(signals: [SIGINT, SIGTERM])
        watch.setMessage("interrupted")
        interruptWatch.withLockedValue { $0 = watch }
        return watch
    }
}

/// Handles `signals` instead of their default action, until ``cancel()``: writes ``message`` on
/// stderr and exits 128 + the signal.
///
/// A plain `sigaction` handler, not a dispatch source: a dispatch source needs the signal to reach a
/// thread that has it blocked, and with several NIO and Dispatch threads running, a process-directed
/// signal could land on one that merely ignored it and be lost. The handler only loads a prepared
/// C string (an atomic pointer), `write`s it and calls `_exit`: all async-signal-safe.
final class SignalWatch: Sendable {
    /// The prepared C string's address (0: none).
    private static let text = Atomic<UInt>(0)
    private let signals: [Int32]

    /// Sets the text the handler writes (after erasing a progress line; a line break is added).
    func setMessage(_ message: String) {
        let bytes = Array(((Console.showsProgress ? "\r\u{1B}[K" : "") + message + "\n").utf8) + [0]
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyMemory(from: bytes, byteCount: bytes.count)
        // The previous text is left allocated: a handler may be reading it this instant.
        _ = Self.text.exchange(UInt(bitPattern: Int(bitPattern: buffer)), ordering: .acquiringAndReleasing)
    }

    init(signals: [Int32]) {
        self.signals = signals
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                if let text = UnsafeMutableRawPointer(bitPattern: SignalWatch.text.load(ordering: .acquiring)) {
                    _ = write(STDERR_FILENO, text, strlen(text.assumingMemoryBound(to: CChar.self)))
                }
                _exit(128 + signal)
            }
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    /// Convenience: a watch with a fixed message.
    convenience init(signals: [Int32], text: () -> String) {
        self.init(signals: signals)
        setMessage(text())
    }

    func cancel() {
        for number in signals { signal(number, SIG_DFL) }
    }
}
