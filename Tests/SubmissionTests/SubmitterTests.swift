import AnalyzeAPI
import Foundation
import Preflight
@testable import Submission
import Testing

@Suite("Submitter over a test-double API")
struct SubmitterTests {
    static let ok = fixture("ok_640x360_5s.mp4")

    func options(_ directory: URL, _ configure: (inout SubmitOptions) -> Void = { _ in }) -> SubmitOptions {
        var options = SubmitOptions()
        options.multipart.stateStore = UploadStateStore(directory: directory)
        configure(&options)
        return options
    }

    @Test("a file that fails preflight is refused with its report before anything is sent")
    func preflightRefusal() async throws {
        let api = FakeAssetAPI()
        do {
            _ = try await Submitter(client: fakeClient(api)).submit(file: fixture("short_3.9s.mp4"), request: SubmissionRequest(prompt: "Describe."))
            Issue.record("expected a refusal")
        } catch let error as SubmissionError {
            #expect(error.code == .preflightFailed)
            #expect(error.report?.violations.map(\.code) == ["duration_too_short"])
        }
        #expect(api.requests.isEmpty)
    }

    @Test("force sends a failing file and the plan says so")
    func forced() async throws {
        let api = FakeAssetAPI()
        var options = SubmitOptions()
        options.force = true
        let result = try await Submitter(client: fakeClient(api)).submit(file: fixture("short_3.9s.mp4"), request: SubmissionRequest(prompt: "Describe."), options: options)
        #expect(result.plan.preflightOverridden)
        #expect(result.plan.decision.reason.contains("despite failing preflight (duration_too_short)"))
        #expect(api.requests("POST", "/analyze/tasks").count == 1)
    }

    @Test("invalid settings are refused before any probe or byte", arguments: [
        SubmissionRequest(prompt: "x", temperature: 5),
        SubmissionRequest(prompts: []),
        SubmissionRequest(prompt: "x", customID: "bad id!"),
        SubmissionRequest(prompt: "x", maxTokens: 0),
        SubmissionRequest(prompt: "x", responseFormat: ResponseFormat(jsonSchema: .object(["type": .string("string"), "maxLength": .integer(3)]))),
    ])
    func invalidSettings(request: SubmissionRequest) async throws {
        let api = FakeAssetAPI()
        do {
            // The path does not even exist: settings are checked first.
            _ = try await Submitter(client: fakeClient(api)).submit(file: "/nonexistent.mp4", request: request)
            Issue.record("expected a validation failure")
        } catch let error as SubmissionError {
            #expect(error.code == .validationFailed)
            #expect(!error.validationIssues.isEmpty)
        }
        #expect(api.requests.isEmpty)
    }

    @Test("a small file goes inline as base64, streamed, byte-identical to the plain encoding")
    func base64() async throws {
        let api = FakeAssetAPI()
        let progress = SubmissionProgress()
        var options = SubmitOptions()
        options.progress = progress
        let request = SubmissionRequest(prompt: "Describe.", temperature: 0.3, customID: "c1")
        let events = progress.events
        async let collected: [SubmissionEvent] = {
            var out: [SubmissionEvent] = []
            for await event in events { out.append(event) }
            return out
        }()
        let result = try await Submitter(client: fakeClient(api)).submit(file: Self.ok, request: request, options: options)
        #expect(result.plan.decision.kind == .base64)
        #expect(result.plan.decision.reason.contains("within the 30,000,000-byte inline limit"))
        let create = try #require(api.requests("POST", "/analyze/tasks").first)
        var plain = request.createRequests(video: .base64String(try Data(contentsOf: URL(fileURLWithPath: Self.ok)).base64EncodedString()))[0]
        plain.video = .base64String(try Data(contentsOf: URL(fileURLWithPath: Self.ok)).base64EncodedString())
        #expect(create.body == (try WireCoding.encoder().encode(plain)))
        #expect(create.headers.contains { $0.name == "Idempotency-Key" })
        let seen = await collected
        #expect(seen.first == .phase(.preflight) && seen.last == .phase(.done))
        #expect(seen.contains(.phase(.creating)))
        #expect(seen.contains { if case .bytesSent(let sent, let total) = $0 { sent == total && total > 0 } else { false } })
    }

    @Test("a direct upload reports its bytes as the form body streams, up to the whole body")
    func directUploadProgress() async throws {
        let api = FakeAssetAPI()
        let progress = SubmissionProgress()
        var options = SubmitOptions()
        options.progress = progress
        options.source = .direct
        let events = progress.events
        async let collected: [SubmissionEvent] = {
            var out: [SubmissionEvent] = []
            for await event in events { out.append(event) }
            return out
        }()
        let result = try await Submitter(client: fakeClient(api)).submit(file: Self.ok, request: SubmissionRequest(prompt: "Describe."), options: options)
        #expect(result.plan.decision.kind == .direct)
        let sent = await collected.compactMap { event -> (Int64, Int64)? in
            if case .bytesSent(let sent, let total) = event { (sent, total) } else { nil }
        }
        // The form body is its head, the file, its tail: at least three steps, rising to the total.
        #expect(sent.count >= 3, "\(sent)")
        #expect(zip(sent, sent.dropFirst()).allSatisfy { $0.0 < $1.0 })
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: Self.ok)[.size] as? Int)
        #expect(sent.last.map { $0.0 == $0.1 && $0.1 > Int64(fileSize) } == true)
    }

    @Test("several prompts upload once (direct) and create one task each, custom ids numbered")
    func severalPrompts() async throws {
        let api = FakeAssetAPI()
        let result = try await Submitter(client: fakeClient(api)).submit(
            file: Self.ok, request: SubmissionRequest(prompts: ["One?", "Two?", "Three?"], customID: "batch"))
        #expect(result.plan.decision.kind == .direct)
        #expect(result.plan.decision.reason.hasPrefix("3 prompts share one upload"))
        #expect(result.assetID == "d1" && result.tasks.count == 3)
        #expect(api.requests("POST", "/v1/assets").filter { $0.url.hasSuffix("/assets") }.count == 1)
        let creates = try api.requests("POST", "/analyze/tasks").map { try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: $0.body) }
        #expect(creates.map(\.prompt) == ["One?", "Two?", "Three?"])
        #expect(creates.map(\.customID) == ["batch-1", "batch-2", "batch-3"])
        #expect(creates.allSatisfy { $0.video == .assetID("d1") })
        let upload = try #require(api.requests("POST", "/v1/assets").first { $0.url.hasSuffix("/assets") })
        let text = String(decoding: upload.body, as: UTF8.self)
        #expect(text.contains("name=\"method\"\r\n\r\ndirect\r\n"))
        #expect(upload.body.range(of: try Data(contentsOf: URL(fileURLWithPath: Self.ok))) != nil)
        #expect(upload.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("multipart/form-data; boundary=") })
    }

    @Test("a forced multipart upload ends in a task on the asset")
    func multipart() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = FakeAssetAPI()
        api.configure { $0.chunkSize = 8192 }
        let result = try await Submitter(client: fakeClient(api)).submit(
            file: Self.ok, request: SubmissionRequest(prompt: "Describe."), options: options(directory) { $0.source = .multipart })
        #expect(result.plan.decision.kind == .multipart && result.plan.decision.reason.contains("requested by the caller"))
        #expect(result.multipart?.totalChunks == 7)
        #expect(result.assetID == "a1")
        let create = try #require(api.requests("POST", "/analyze/tasks").first)
        #expect(try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: create.body).video == .assetID("a1"))
    }

    @Test("a URL source is not probed; an asset id is used as it is")
    func urlAndAsset() async throws {
        let api = FakeAssetAPI()
        let submitter = Submitter(client: fakeClient(api))
        let viaURL = try await submitter.submit(.url("https://cdn.example.com/a.mp4"), request: SubmissionRequest(prompt: "Describe."))
        #expect(viaURL.plan.decision.kind == .url && viaURL.plan.report == nil)
        let viaAsset = try await submitter.submit(.assetID("a1"), request: SubmissionRequest(prompt: "Describe."))
        #expect(viaAsset.plan.decision.kind == .assetID && viaAsset.assetID == "a1")
        let creates = try api.requests("POST", "/analyze/tasks").map { try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: $0.body).video }
        #expect(creates == [.url("https://cdn.example.com/a.mp4"), .assetID("a1")])
        var options = SubmitOptions()
        options.source = .multipart
        await #expect(throws: SubmissionError.self) {
            _ = try await submitter.submit(.url("https://cdn.example.com/a.mp4"), request: SubmissionRequest(prompt: "x"), options: options)
        }
    }

    @Test("a forced source the file cannot use is refused before sending", arguments: [SourceChoice.base64, .direct])
    func impossibleForce(choice: SourceChoice) async throws {
        let api = FakeAssetAPI()
        var options = SubmitOptions()
        options.source = choice
        options.policy.maxInlineEncodedBytes = 1000
        options.policy.maxDirectUploadBytes = 1000
        do {
            _ = try await Submitter(client: fakeClient(api)).submit(file: Self.ok, request: SubmissionRequest(prompt: "x"), options: options)
            Issue.record("expected a refusal")
        } catch let error as SubmissionError {
            #expect(error.code == .sourceNotPossible)
        }
        #expect(api.requests.isEmpty)
    }

    @Test("the planner's thresholds choose the source", arguments: [
        (Int64(22_500_000), SourceKind.base64), (Int64(22_500_001), .direct), (Int64(200_000_000), .direct),
        (Int64(200_000_001), .multipart), (Int64(10_000_000_000), .multipart),
    ])
    func thresholds(size: Int64, kind: SourceKind) throws {
        let decision = try Submitter.decide(size: size, prompts: 1, options: SubmitOptions(), requestPolicy: RequestPolicy())
        #expect(decision.kind == kind)
    }

    @Test("the dry-run plan needs no client and names the source")
    func plan() async throws {
        let plan = try await Submitter.plan(.file(Self.ok), request: SubmissionRequest(prompt: "x"))
        #expect(plan.decision.kind == .base64 && plan.fileSize == 49_527 && plan.report?.ok == true)
    }
}
