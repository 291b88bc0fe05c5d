import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// The real client (AsyncHTTPClient transport) against a real sandbox over loopback HTTP.
@Suite(.timeLimit(.minutes(3))) struct SandboxClientTests {
    @Test func createRetrieveFollowsTheLifecycle() async throws {
        let clock = ManualClock(mode: .manual)
        try await withSandboxClient(sandbox: {
            $0.clock = clock
            $0.lifecycle = TaskLifecycle(queued: .seconds(1), pending: .seconds(1), processing: .seconds(1))
        }) { _, client in
            var request = sampleRequest
            request.customID = "lifecycle-1"
            let created = try await client.createTask(request)
            #expect(created.status == .queued)
            var seen: [TaskStatus] = []
            for _ in 0..<4 {
                seen.append(try await client.retrieveTask(created.id).status)
                clock.advance(by: .seconds(1))
            }
            #expect(seen == [.queued, .pending, .processing, .ready])
            let task = try await client.retrieveTask(created.id)
            #expect(task.customID == "lifecycle-1")
            #expect(task.completedAt != nil)
            #expect(task.result?.finishReason == .stop)
            #expect(task.result?.data.contains("Describe the scene.") == true)
        }
    }

    @Test func waitForTaskReturnsTheStructuredResult() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        try await withSandboxClient(sandbox: { $0.clock = clock }, client: { $0.clock = clock }) { _, client in
            var request = sampleRequest
            request.responseFormat = ResponseFormat(jsonSchema: try jsonValue("""
                {"type": "object", "properties": {"products": {"type": "array", "items": {"type": "string"}},
                 "count": {"type": "integer", "minimum": 3}}, "required": ["products", "count"]}
                """))
            let created = try await client.createTask(request)
            let outcome = try await client.waitForTask(created.id)
            guard case .ready(let task) = outcome else { Issue.record("expected ready: \(outcome)"); return }
            struct Answer: Decodable, Equatable { var products: [String]; var count: Int }
            #expect(try task.result?.decodeJSON(as: Answer.self) == Answer(products: ["sample"], count: 3))
        }
    }

    @Test func truncatedStructuredResultIsReportedAsTruncated() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        try await withSandboxClient(sandbox: { $0.clock = clock }, client: { $0.clock = clock }) { _, client in
            var request = sampleRequest
            request.maxTokens = 2
            request.responseFormat = ResponseFormat(jsonSchema: try jsonValue(
                #"{"type": "object", "properties": {"summary": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}"#))
            let outcome = try await client.waitForTask(try await client.createTask(request).id)
            let task = try #require(outcome.task)
            #expect(task.status == .ready)
            #expect(task.result?.finishReason == .length)
            #expect(task.error?.code == "max_tokens_reached")
            #expect(throws: ResultDataError.self) { try task.result?.decodeJSON(as: JSONValue.self) }
        }
    }

    @Test func listPagesNewestFirstAndAllTasksWalksEveryPage() async throws {
        try await withSandboxClient { sandbox, client in
            sandbox.state.addReadyAsset(id: "asset-9")
            var ids: [String] = []
            for index in 0..<7 {
                var request = sampleRequest
                request.prompt = "task \(index)"
                ids.append(try await client.createTask(request).id)
            }
            let first = try await client.listTasks(page: 1, pageLimit: 3)
            #expect(first.data.map(\.id) == Array(ids.reversed().prefix(3)))
            #expect(first.pageInfo == PageInfo(limitPerPage: 3, page: 1, totalPage: 3, totalResults: 7))
            let last = try await client.listTasks(page: 3, pageLimit: 3)
            #expect(last.data.map(\.id) == [ids[0]])
            var all: [String] = []
            for try await task in client.allTasks(pageLimit: 2) { all.append(task.id) }
            #expect(all == ids.reversed())
            var byAsset = sampleRequest
            byAsset.video = .assetID("asset-9")
            let assetTask = try await client.createTask(byAsset).id
            #expect(try await client.listTasks(assetID: "asset-9").data.map(\.id) == [assetTask])
            var filtered: [String] = []
            for try await task in client.allTasks(pageLimit: 2, videoURL: "https://cdn.example.com/clip.mp4") { filtered.append(task.id) }
            #expect(filtered == ids.reversed())
            let none = try await client.listTasks(status: .failed)
            #expect(none.data.isEmpty && none.pageInfo.totalResults == 0)
            let localError = await expectAPIError { _ = try await client.listTasks(pageLimit: 51) }
            #expect(localError?.code == .validationFailed)
        }
    }

    @Test func deleteAndCancelFollowTheTaskState() async throws {
        let clock = ManualClock(mode: .manual)
        try await withSandboxClient(sandbox: { $0.clock = clock }) { _, client in
            let first = try await client.createTask(sampleRequest).id
            let conflict = await expectAPIError { try await client.deleteTask(first) }
            #expect(conflict?.code == .conflict)
            #expect(conflict?.status == 409)
            #expect(conflict?.operation == .deleteTask)

            let canceled = try await client.cancelTask(first)
            #expect(canceled == TaskReference(id: first, status: .canceled))
            let task = try await client.retrieveTask(first)
            #expect(task.status == .canceled && task.error?.code == "user_canceled")
            let again = await expectAPIError { _ = try await client.cancelTask(first) }
            #expect(again?.code == .conflict)

            try await client.deleteTask(first)
            let gone = await expectAPIError { _ = try await client.retrieveTask(first) }
            #expect(gone?.code == .notFound)
            #expect(gone?.platformCode == "resource_not_exist")

            let second = try await client.createTask(sampleRequest).id
            clock.advance(by: .seconds(10))
            try await client.deleteTask(second)
            let missingDelete = await expectAPIError { try await client.deleteTask(second) }
            #expect(missingDelete?.code == .notFound)
            let missingCancel = await expectAPIError { _ = try await client.cancelTask("does-not-exist") }
            #expect(missingCancel?.code == .notFound)
        }
    }

    @Test func wrongKeyIs401() async throws {
        try await withSandboxClient(client: { $0.apiKey = "not-the-key" }) { sandbox, client in
            let error = await expectAPIError { _ = try await client.listTasks() }
            #expect(error?.code == .unauthorized)
            #expect(error?.platformCode == "api_key_invalid")
            #expect(error?.attempts == 1)
            #expect(error.map { !$0.description.contains("not-the-key") } == true)
        }
    }

    @Test func platformRejectionsAre400() async throws {
        try await withSandboxClient { sandbox, client in
            // Not base64: only the platform can tell.
            let request = CreateAsyncAnalyzeRequest(video: .base64String("%%%not base64%%%"), prompt: "p")
            let error = await expectAPIError { _ = try await client.createTask(request) }
            #expect(error?.code == .badRequest)
            #expect(error?.platformCode == "parameter_invalid")
            #expect(error?.platformMessage?.contains("base64") == true)
            #expect(sandbox.state.createdTaskCount == 0)
        }
    }

    @Test(arguments: [
        (403, APIError.Code.forbidden, ErrorShape.flat), (408, .requestTimeout, .nested), (409, .conflict, .flat),
        (422, .unprocessable, .nested), (429, .rateLimited, .flat), (500, .serverError, .nested),
        (502, .serverError, .flat), (503, .serverError, .nested), (504, .serverError, .flat),
    ])
    func everyErrorStatusMapsToItsCodeForEveryOperation(status: Int, code: APIError.Code, shape: ErrorShape) async throws {
        try await withSandboxClient(client: { $0.retryPolicy = .none }) { sandbox, client in
            let operations: [(APIError.Operation, @Sendable () async throws -> Void)] = [
                (.createTask, { _ = try await client.createTask(sampleRequest) }),
                (.retrieveTask, { _ = try await client.retrieveTask("any") }),
                (.listTasks, { _ = try await client.listTasks() }),
                (.deleteTask, { try await client.deleteTask("any") }),
                (.cancelTask, { _ = try await client.cancelTask("any") }),
                // A wait polls on through transient failures; with a budget of one it reports the first.
                (.waitForTask, { _ = try await client.waitForTask("any", options: WaitOptions(maximumConsecutiveFailures: 1)) }),
            ]
            for (operation, call) in operations {
                sandbox.state.enqueue(ScriptedResponse(
                    status: status, code: "platform_\(status)", message: "scripted \(status)", shape: shape,
                    headers: ["x-request-id": "req-\(status)"]))
                let error = await expectAPIError { try await call() }
                #expect(error?.operation == operation)
                #expect(error?.status == status)
                #expect(error?.code == code)
                #expect(error?.platformCode == "platform_\(status)")
                #expect(error?.platformMessage == "scripted \(status)")
                #expect(error?.requestID == "req-\(status)")
            }
            #expect(sandbox.state.createdTaskCount == 0)
        }
    }

    @Test func retryableScriptedFailuresAreRetriedOverHTTP() async throws {
        try await withSandboxClient { sandbox, client in
            for status in [503, 502, 504] { sandbox.state.enqueue(ScriptedResponse(status: status)) }
            let task = try await client.createTask(sampleRequest)
            #expect(sandbox.state.requests.map(\.status) == [503, 502, 504, 202])
            let keys = Set(sandbox.state.requests.compactMap(\.idempotencyKey))
            #expect(keys.count == 1)
            #expect(try await client.retrieveTask(task.id).id == task.id)
        }
    }

    @Test func rateLimit429CarriesRetryAfterAndResetHeaders() async throws {
        let clock = ManualClock(mode: .manual)
        try await withSandboxClient(sandbox: { $0.clock = clock; $0.requestsPerMinute = 2 }, client: { $0.retryPolicy = .none }) { _, client in
            _ = try await client.listTasks()
            _ = try await client.listTasks()
            clock.advance(by: .seconds(20))
            let error = await expectAPIError { _ = try await client.listTasks() }
            #expect(error?.code == .rateLimited)
            #expect(error?.platformCode == "too_many_requests")
            #expect(error?.retryAfter == .seconds(40))
            clock.advance(by: .seconds(40))
            _ = try await client.listTasks()
        }
    }

    @Test func failedVideoInspectionFailsTheTask() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        try await withSandboxClient(sandbox: {
            $0.clock = clock
            $0.inspector = { url in
                let bytes = (try? Data(contentsOf: url)) ?? Data()
                return bytes == Data("tiny".utf8) ? "Duration 1.00 s is below the 4 s minimum." : nil
            }
        }, client: { $0.clock = clock }) { _, client in
            let bad = try await client.createTask(CreateAsyncAnalyzeRequest(video: .base64String(Data("tiny".utf8).base64EncodedString()), prompt: "p"))
            let good = try await client.createTask(CreateAsyncAnalyzeRequest(video: .base64String(Data("a real video".utf8).base64EncodedString()), prompt: "p"))
            let badOutcome = try await client.waitForTask(bad.id)
            guard case .failed(let task) = badOutcome else { Issue.record("expected failed: \(badOutcome)"); return }
            #expect(task.error?.message == "Duration 1.00 s is below the 4 s minimum.")
            #expect(task.result == nil)
            #expect(try await client.waitForTask(good.id).name == "ready")
        }
    }

    @Test func nestedErrorShapeOverHTTP() async throws {
        try await withSandboxClient(sandbox: { $0.errorShape = .nested }) { _, client in
            let error = await expectAPIError { _ = try await client.retrieveTask("missing") }
            #expect(error?.platformCode == "resource_not_exist")
            #expect(error?.platformMessage == "No task with id missing.")
        }
    }

    @Test func redirectToAnotherOriginNeverCarriesTheKey() async throws {
        var recorderConfiguration = SandboxConfiguration(apiKey: "recorder-key")
        recorderConfiguration.port = 0
        try await Sandbox.withRunning(recorderConfiguration) { recorder in
            let recorderOrigin = String(recorder.baseURL.dropLast(SandboxConfiguration.pathPrefix.count))
            try await withSandboxClient(sandbox: { $0.redirectOrigin = recorderOrigin }) { redirecting, client in
                // Our client: the 307 is an error, and the other origin sees nothing.
                let error = await expectAPIError { _ = try await client.listTasks() }
                #expect(error?.code == .unexpectedRedirect)
                #expect(error?.status == 307)
                #expect(recorder.state.requests.isEmpty)

                // Control: a redirect-following AsyncHTTPClient does leak the key, so the setup can detect a leak.
                var request = HTTPClientRequest(url: redirecting.baseURL + "/analyze/tasks")
                request.headers.add(name: "x-api-key", value: testKey)
                let following = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .follow(max: 3, allowCycles: false)))
                _ = try? await following.execute(request, timeout: .seconds(10))
                try await following.shutdown()
                #expect(recorder.state.requests.map(\.apiKey) == [testKey])
            }
        }
    }

    @Test func deadlineStopsAWaitPromptlyOverHTTP() async throws {
        try await withSandboxClient(sandbox: { $0.lifecycle.processing = .seconds(3600) }) { _, client in
            let id = try await client.createTask(sampleRequest).id
            let started = ContinuousClock.now
            let outcome = try await client.waitForTask(id, options: WaitOptions(minimumInterval: .seconds(30), timeout: .milliseconds(300)))
            guard case .timedOut(let lastSeen, _) = outcome else { Issue.record("expected timeout"); return }
            #expect(lastSeen?.status.isTerminal == false)
            // Bounds a hang only: without the deadline the next poll would be 30 s away.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func cancellationStopsAWaitPromptlyOverHTTP() async throws {
        try await withSandboxClient(sandbox: { $0.lifecycle.processing = .seconds(3600) }) { _, client in
            let id = try await client.createTask(sampleRequest).id
            let (polled, continuation) = AsyncStream.makeStream(of: Void.self)
            let wait = Task {
                try await client.waitForTask(id, options: WaitOptions(minimumInterval: .seconds(60), onUpdate: { _ in continuation.yield() }))
            }
            var iterator = polled.makeAsyncIterator()
            await iterator.next()
            let started = ContinuousClock.now
            wait.cancel()
            let result = await wait.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func manyConcurrentWaitsShareOneClientWithinTheRequestBudget() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        try await withSandboxClient(sandbox: { $0.clock = clock }, client: { $0.clock = clock }) { sandbox, client in
            let names = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        var request = sampleRequest
                        request.prompt = "budget \(index)"
                        return try await client.waitForTask(try await client.createTask(request).id).name
                    }
                }
                var names: [String] = []
                for try await name in group { names.append(name) }
                return names
            }
            #expect(names.count == 200 && names.allSatisfy { $0 == "ready" })
            // Create, the immediate poll, then polls spaced by the default 2 s minimum: well within 6 per task.
            #expect(sandbox.state.requestCount <= 200 * 6)
            #expect(sandbox.state.requests.filter { $0.method == "POST" }.count == 200)
        }
    }
}
