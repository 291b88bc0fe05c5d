import AnalyzeAPI
import ArgumentParser
import Foundation
import Preflight
import Submission

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
        if format == .json {
            var object: [String: JSONValue] = ["code": .string(error.code.rawValue), "message": .string(error.message)]
            if let report = error.report, let value = try? json(report) { object["report"] = value }
            if !error.validationIssues.isEmpty {
                object["issues"] = .array(error.validationIssues.map { issue in
                    .object(["field": .string(issue.field), "code": .string(issue.code), "message": .string(issue.message),
                             "severity": .string(issue.severity.rawValue)])
                })
            }
            CLI.printJSON(JSONValue.object(["error": .object(object)]))
        }
        return ExitCode(status)
    }

    static func printDryRun(_ plan: SubmissionPlan, format: OutputFormat) throws {
        let requests = try plan.requests.map { try displayRequest($0, plan: plan) }
        if format == .json {
            var object: [String: JSONValue] = [
                "dry_run": .bool(true),
                "source": .object(["kind": .string(plan.decision.kind.rawValue), "reason": .string(plan.decision.reason)]),
                "preflight_overridden": .bool(plan.preflightOverridden),
                "requests": .array(requests),
            ]
            if let report = plan.report { object["report"] = try json(report) }
            CLI.printJSON(JSONValue.object(object))
            return
        }
        CLI.out("source: \(plan.decision.kind.rawValue) (\(plan.decision.reason))")
        if let report = plan.report {
            CLI.out("preflight: \(report.ok ? "ok" : "FAILED (\(report.violations.map(\.code).joined(separator: ", ")))")\(report.warnings.isEmpty ? "" : ", warnings: \(report.warnings.map(\.code).joined(separator: ", "))")")
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
        if format == .json {
            var object: [String: JSONValue] = [
                "source": .object(["kind": .string(result.plan.decision.kind.rawValue), "reason": .string(result.plan.decision.reason)]),
                "preflight_overridden": .bool(result.plan.preflightOverridden),
                "tasks": .array(result.tasks.map(taskJSON)),
            ]
            if let assetID = result.assetID { object["asset_id"] = .string(assetID) }
            if let report = result.plan.report, let value = try? json(report) { object["report"] = value }
            if let multipart = result.multipart { object["multipart"] = multipartJSON(multipart) }
            CLI.printJSON(JSONValue.object(object))
            return status
        }
        CLI.out("source: \(result.plan.decision.kind.rawValue) (\(result.plan.decision.reason))")
        if result.plan.preflightOverridden { CLI.out("warning: the file fails preflight and was sent because of --force") }
        if let assetID = result.assetID { CLI.out("asset:  \(assetID)\(result.asset.map { " (\($0.status))" } ?? "")") }
        for task in result.tasks {
            CLI.out("task:   \(task.reference.id) \(task.outcome?.name ?? task.reference.status.rawValue)")
            if let outcome = task.outcome, let seen = outcome.task {
                if let data = seen.result?.data { CLI.out(prettyResult(data)) }
                if let error = seen.error { CLI.out("  \(error.code ?? "error"): \(error.message)") }
            }
        }
        return status
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
