import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import PlatformRules
import Synchronization

/// `/analyze/tasks*`: create (202, with `Idempotency-Key`), list (filters, pages), retrieve, delete and
/// cancel, and the task lifecycle on the sandbox clock.
extension SandboxResponder {
    func addTaskRoutes(to api: RouterGroup<SandboxContext>) {
        api.post("analyze/tasks") { request, context in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 40_000_000)
            } catch {
                return try await deliver(self.error(400, .videoFileTooLarge, "The request body is too large."), context)
            }
            let key = request.headers[HTTPField.Name("x-api-key")!] ?? ""
            return try await deliver(await create(Data(body.readableBytesView), apiKey: key,
                                                  idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!]), context)
        }
        api.get("analyze/tasks") { request, context in try await deliver(list(Self.query(request)), context) }
        api.get("analyze/tasks/:id") { _, context in try await deliver(retrieve(try context.parameters.require("id")), context) }
        api.delete("analyze/tasks/:id") { _, context in try await deliver(delete(try context.parameters.require("id")), context) }
        api.post("analyze/tasks/:id/cancel") { _, context in try await deliver(cancel(try context.parameters.require("id")), context) }
    }

    private func create(_ body: Data, apiKey: String, idempotencyKey: String?) async -> Outcome {
        let scopedKey = configuration.honorsIdempotencyKeys ? idempotencyKey.map { apiKey + "\u{0}" + $0 } : nil
        let fingerprint = scopedKey.map { _ in BodyFingerprint(body) }
        if let scopedKey, let existing = state.storage.withLockedValue({ $0.idempotency[scopedKey] }) {
            guard existing.body == fingerprint else {
                return error(409, .idempotencyKeyReused, "This Idempotency-Key was used with a different request body.")
            }
            return json(202, TaskReference(id: existing.taskID, status: .queued))
        }
        let request: CreateAsyncAnalyzeRequest
        do {
            request = try CreateRequestCheck.parse(body, rules: configuration.rules)
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        // A video the platform takes but cannot analyse fails the task, not the request: a file the inspector
        // refuses, or an analysed span over 2 h (a whole inline video, or an asset's window or whole length).
        let longest = configuration.rules.request.window.upperBound
        var failure: (message: String, code: String)?
        switch request.video {
        case .assetID(let assetID):
            if let rejection = await assetRejection(assetID) { return error(rejection.status, rejection.code, rejection.message) }
            if let duration = await assetDuration(assetID) {
                let span = Self.analysedSeconds(duration: duration, start: request.startTime, end: request.endTime)
                if span > longest {
                    failure = ("The analysed span (\(Int(span)) s) exceeds the maximum of \(Int(longest)) s.", "video_duration_too_long")
                }
            }
        case .base64String(let text):
            guard let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                return error(400, .parameterInvalid, "video.base64_string is not valid base64.")
            }
            let (refusal, duration) = await inspect(bytes)
            if let refusal {
                failure = (refusal, "video_not_supported")
            } else if let duration, duration * 1_000_000 > Double(configuration.rules.sizes.inlineMaxDurationMicroseconds) {
                failure = ("An inline video may last at most \(configuration.rules.sizes.inlineMaxDurationMicroseconds / 1_000_000) s, even clipped; this one lasts \(Int(duration)) s.", "video_duration_too_long")
            }
        case .url:
            break
        }
        let result = ResultGenerator.result(for: request)
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let (id, created) = state.insertTask(
            request, failure: failure, result: result, idempotency: scopedKey.flatMap { key in fingerprint.map { (key, $0) } },
            now: now, date: date)
        if created { announceWhenFinished(id) }
        return json(202, TaskReference(id: id, status: .queued))
    }

    /// The inspector's verdict on a decoded inline video, and its duration when a ``SandboxConfiguration/durationProbe`` is set.
    private func inspect(_ bytes: Data) async -> (refusal: String?, seconds: Double?) {
        let inspector = configuration.inspector ?? SandboxConfiguration.defaultInspector
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("tl-sandbox-\(UUID().uuidString).video")
        do {
            try bytes.write(to: file)
        } catch {
            return ("The sandbox could not store the video: \(error.localizedDescription)", nil)
        }
        defer { try? FileManager.default.removeItem(at: file) }
        return (await inspector(file), await configuration.durationProbe?(file))
    }

    private func retrieve(_ id: String) -> Outcome {
        guard let task = state.task(id, now: configuration.clock.now()) else { return error(404, .resourceNotExist, "No task with id \(id).") }
        return json(200, task)
    }

    private func list(_ query: [String: String]) -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let status = query["status"].map { TaskStatus(rawValue: String($0)) }
        let videoURL = query["video_url"]
        let assetID = query["asset_id"]
        let mode = query["analysis_mode"]
        if let mode, !configuration.rules.analysisModes.contains(mode) {
            return error(400, .parameterInvalid, "analysis_mode must be one of \(configuration.rules.analysisModes.sorted().joined(separator: ", ")).")
        }
        let now = configuration.clock.now()
        let all = state.storage.withLockedValue { storage in
            storage.tasks.values.sorted { $0.sequence > $1.sequence }
        }
        let matching = all.map { state.view(of: $0, now: now) }.enumerated().filter { index, task in
            let record = all[index]
            if let status, task.status != status { return false }
            if let videoURL, record.video != .url(videoURL) { return false }
            if let assetID, record.video != .assetID(assetID) { return false }
            if let mode, record.analysisMode != mode { return false }
            return true
        }.map(\.element)
        let (slice, info) = paging.slice(matching)
        return json(200, TaskPage(data: slice, pageInfo: info))
    }

    private func delete(_ id: String) -> Outcome {
        switch state.deleteTask(id, now: configuration.clock.now()) {
        case .notFound: error(404, .resourceNotExist, "No task with id \(id).")
        case .conflict: error(409, .taskNotFinished, "The task is still being processed; cancel it or wait.")
        case .done: Outcome(status: 204, body: nil)
        }
    }

    private func cancel(_ id: String) -> Outcome {
        switch state.cancelTask(id, now: configuration.clock.now()) {
        case .notFound: error(404, .resourceNotExist, "No task with id \(id).")
        case .conflict: error(409, .taskAlreadyFinished, "The task has already finished.")
        case .done: json(200, TaskReference(id: id, status: .canceled))
        }
    }


}
