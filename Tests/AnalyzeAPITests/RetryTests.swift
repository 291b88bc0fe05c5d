import AnalyzeAPI
import Foundation
import Testing

@Suite struct RetryTests {
    static let created = #"{"task_id":"t1","status":"queued"}"#

    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func retryableStatusesAreRetried(status: Int) async throws {
        let transport = RecordingTransport(sequence: [.success(response(status)), .success(response(202, Self.created))])
        let clock = ManualClock(mode: .autoAdvance)
        let client = makeClient(transport, clock: clock)
        let reference = try await client.createTask(sampleRequest)
        #expect(reference.id == "t1")
        #expect(transport.requests.count == 2)
        #expect(clock.sleeps == [.milliseconds(500)])
    }

    @Test(arguments: [400, 401, 403, 404, 409, 422])
    func clientErrorsAreNotRetried(status: Int) async throws {
        let transport = RecordingTransport(sequence: [.success(response(status, #"{"code":"x","message":"m"}"#))])
        let client = makeClient(transport)
        let error = await expectAPIError { _ = try await client.createTask(sampleRequest) }
        #expect(transport.requests.count == 1)
        #expect(error?.status == status)
        #expect(error?.attempts == 1)
        #expect(error?.code == APIError.code(forStatus: status))
    }

    @Test func connectionFailuresAreRetriedWithExponentialBackoff() async throws {
        let transport = RecordingTransport { _, index in
            if index < 4 { throw TransportError("connection reset") }
            return response(202, Self.created)
        }
        let clock = ManualClock(mode: .autoAdvance)
        let client = makeClient(transport, clock: clock)
        _ = try await client.createTask(sampleRequest)
        #expect(transport.requests.count == 5)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
    }

    @Test func backoffIsCappedAndJittered() {
        var policy = RetryPolicy()
        policy.initialBackoff = .seconds(1)
        policy.maximumBackoff = .seconds(5)
        policy.jitter = 0.5
        #expect(policy.backoff(retry: 1, unit: 0) == .seconds(1))
        #expect(policy.backoff(retry: 3, unit: 0) == .seconds(4))
        #expect(policy.backoff(retry: 10, unit: 0) == .seconds(5))
        #expect(policy.backoff(retry: 10, unit: 0.999_999).seconds > 2.5 - 1e-3)
        #expect(policy.backoff(retry: 10, unit: 1) == .seconds(2.5))
    }

    @Test func attemptsAreBounded() async {
        let transport = RecordingTransport(sequence: [.success(response(503, #"{"code":"unavailable","message":"down"}"#))])
        let client = makeClient(transport) { $0.retryPolicy.maximumAttempts = 3 }
        let error = await expectAPIError { _ = try await client.retrieveTask("t1") }
        #expect(transport.requests.count == 3)
        #expect(error?.code == .serverError)
        #expect(error?.attempts == 3)
        #expect(error?.platformMessage == "down")
    }

    @Test func totalDeadlineStopsRetrying() async {
        let transport = RecordingTransport(sequence: [.success(response(500))])
        let clock = ManualClock(mode: .autoAdvance)
        let client = makeClient(transport, clock: clock) {
            $0.retryPolicy.maximumAttempts = 100
            $0.retryPolicy.totalDeadline = .seconds(10)
        }
        let error = await expectAPIError { _ = try await client.retrieveTask("t1") }
        // 0.5 + 1 + 2 + 4 = 7.5 s of waits; the next (8 s) would end past 10 s.
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
        #expect(clock.now() <= .seconds(10))
        #expect(error?.detail?.contains("retry deadline") == true)
    }

    @Test func retryAfterSecondsIsHonoured() async throws {
        let transport = RecordingTransport(sequence: [
            .success(response(429, "", headers: ["retry-after": "7"])), .success(response(202, Self.created)),
        ])
        let clock = ManualClock(mode: .autoAdvance)
        _ = try await makeClient(transport, clock: clock).createTask(sampleRequest)
        let slept = try #require(clock.sleeps.first)
        #expect(slept >= .seconds(7) && slept <= .seconds(7.7))
    }

    @Test func retryAfterHTTPDateIsHonoured() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        let date = RetryHints.httpDateString(clock.currentDate().addingTimeInterval(30))
        let transport = RecordingTransport(sequence: [
            .success(response(503, "", headers: ["Retry-After": date])), .success(response(202, Self.created)),
        ])
        _ = try await makeClient(transport, clock: clock).createTask(sampleRequest)
        let slept = try #require(clock.sleeps.first)
        #expect(slept >= .seconds(30) && slept <= .seconds(33))
    }

    @Test func rateLimitResetHeadersAreHonouredCaseInsensitively() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        let reset = Int(clock.currentDate().timeIntervalSince1970) + 12
        let transport = RecordingTransport(sequence: [
            .success(response(429, "", headers: [
                "x-RATELIMIT-requests-minute-Reset": String(reset), "X-RateLimit-Requests-Minute-Remaining": "0",
                // A limit that is not exhausted does not count.
                "X-RateLimit-Tokens-Day-Reset": String(reset + 80_000), "X-RateLimit-Tokens-Day-Remaining": "500",
            ])),
            .success(response(202, Self.created)),
        ])
        _ = try await makeClient(transport, clock: clock).createTask(sampleRequest)
        let slept = try #require(clock.sleeps.first)
        #expect(slept >= .seconds(12) && slept <= .seconds(13.2))
    }

    @Test func tooLongServerDelayIsNotWaitedOut() async {
        let transport = RecordingTransport(sequence: [.success(response(429, "", headers: ["Retry-After": "3600"]))])
        let clock = ManualClock(mode: .autoAdvance)
        let error = await expectAPIError { _ = try await makeClient(transport, clock: clock).createTask(sampleRequest) }
        #expect(transport.requests.count == 1)
        #expect(clock.sleeps.isEmpty)
        #expect(error?.retryAfter == .seconds(3600))
        #expect(error?.code == .rateLimited)
    }

    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
    ])
    func httpDates(text: String, seconds: Double) throws {
        #expect(try #require(RetryHints.httpDate(text)).timeIntervalSince1970 == seconds)
        #expect(RetryHints.httpDateString(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func idempotencyKeyIsReusedOnRetriesAndFreshPerCreate() async throws {
        let transport = RecordingTransport { _, index in
            if index % 3 != 2 { throw TransportError("dropped") }
            return response(202, Self.created)
        }
        let client = makeClient(transport)
        _ = try await client.createTask(sampleRequest)
        _ = try await client.createTask(sampleRequest)
        let keys = transport.requests.map { $0.header("Idempotency-Key") }
        #expect(keys.count == 6)
        #expect(keys.allSatisfy { $0 != nil && UUID(uuidString: $0!) != nil })
        #expect(Set(keys[0..<3]).count == 1)
        #expect(Set(keys[3..<6]).count == 1)
        #expect(keys[0] != keys[3])
        // A caller-chosen key is sent as is.
        _ = try await client.createTask(sampleRequest, idempotencyKey: "order-42")
        #expect(transport.requests.last?.header("idempotency-key") == "order-42")
    }

    @Test func onlyCreateSendsAnIdempotencyKeyAndEveryRequestSendsTheAPIKey() async throws {
        let transport = RecordingTransport { request, _ in
            request.method == "GET" ? response(200, #"{"task_id":"t1","status":"queued"}"#) : response(202, Self.created)
        }
        let client = makeClient(transport)
        _ = try await client.retrieveTask("t1")
        #expect(transport.requests[0].header("Idempotency-Key") == nil)
        #expect(transport.requests[0].header("x-api-key") == testKey)
        #expect(transport.requests[0].url == "https://api.example.test/v1.3/analyze/tasks/t1")
    }

    @Test func invalidRequestIsNotSent() async {
        let transport = RecordingTransport(sequence: [.success(response(202, Self.created))])
        var request = sampleRequest
        request.temperature = 3
        let error = await expectAPIError { _ = try await makeClient(transport).createTask(request) }
        #expect(error?.code == .validationFailed)
        #expect(error?.attempts == 0)
        #expect(error?.validationIssues.map(\.field) == ["temperature"])
        #expect(transport.requests.isEmpty)
    }

    @Test func errorContextIsComplete() async {
        let transport = RecordingTransport(sequence: [.success(response(
            400, #"{"error":{"code":"parameter_invalid","message":"temperature must be 0-1"}}"#,
            headers: ["X-Request-Id": "req-123"]))])
        let error = await expectAPIError { _ = try await makeClient(transport).retrieveTask("t") }
        #expect(error?.code == .badRequest)
        #expect(error?.operation == .retrieveTask)
        #expect(error?.platformCode == "parameter_invalid")
        #expect(error?.platformMessage == "temperature must be 0-1")
        #expect(error?.requestID == "req-123")
        #expect(error?.description.contains("req-123") == true)
    }

    @Test func rawTextAndEmptyBodiesAreKept() async {
        let text = RecordingTransport(sequence: [.success(response(502, "<html>Bad Gateway</html>"))])
        let error = await expectAPIError { _ = try await makeClient(text) { $0.retryPolicy = .none }.retrieveTask("t") }
        #expect(error?.platformCode == nil)
        #expect(error?.platformMessage == "<html>Bad Gateway</html>")
        let empty = RecordingTransport(sequence: [.success(response(429, ""))])
        let emptyError = await expectAPIError { _ = try await makeClient(empty) { $0.retryPolicy = .none }.retrieveTask("t") }
        #expect(emptyError?.code == .rateLimited)
        #expect(emptyError?.platformMessage == nil)
    }

    @Test func theAPIKeyNeverAppearsInErrorsOrDescriptions() async throws {
        // A hostile server echoing the key in its body, its request id and a connection error.
        let transport = RecordingTransport { request, index in
            let key = request.header("x-api-key") ?? ""
            if index == 0 { throw TransportError("reset while sending x-api-key: \(key)") }
            return response(401, #"{"code":"api_key_invalid","message":"key \#(key) is invalid"}"#, headers: ["x-request-id": key])
        }
        let client = makeClient(transport)
        let error = try #require(await expectAPIError { _ = try await client.retrieveTask("t") })
        #expect(error.code == .unauthorized)
        for text in [error.description, String(reflecting: error), "\(error.platformMessage ?? "")", error.requestID ?? ""] {
            #expect(!text.contains(testKey))
        }
        var dumped = ""
        dump(client.configuration, to: &dumped)
        #expect(!dumped.contains(testKey))
        #expect(!client.configuration.description.contains(testKey))
        #expect(!String(reflecting: client.configuration).contains(testKey))
    }

    @Test func missingKeyNamesTheVariable() throws {
        do {
            _ = try AnalyzeClient.Configuration.fromEnvironment(["TWELVELABS_BASE_URL": "http://x"])
            Issue.record("expected an error")
        } catch let error as APIError {
            #expect(error.code == .missingAPIKey)
            #expect(error.description.contains("TWELVE_LABS_API_KEY"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        let configuration = try? AnalyzeClient.Configuration.fromEnvironment(["TWELVE_LABS_API_KEY": "k", "TWELVELABS_BASE_URL": "http://h/v1.3"])
        #expect(configuration?.baseURL == "http://h/v1.3")
        #expect(try AnalyzeClient.Configuration.fromEnvironment(["TWELVE_LABS_API_KEY": "k"]).baseURL == "https://api.twelvelabs.io/v1.3")
    }

    @Test func redirectsAreErrorsNotFollowed() async {
        let transport = RecordingTransport(sequence: [.success(response(307, "", headers: ["Location": "https://evil.test/steal"]))])
        let error = await expectAPIError { _ = try await makeClient(transport).retrieveTask("t") }
        #expect(error?.code == .unexpectedRedirect)
        #expect(transport.requests.count == 1)
    }

    @Test func invalidSuccessBodyIsAnInvalidResponse() async {
        let transport = RecordingTransport(sequence: [.success(response(200, "{}"))])
        let error = await expectAPIError { _ = try await makeClient(transport).retrieveTask("t") }
        #expect(error?.code == .invalidResponse)
    }

    @Test func createSendsTheEncodedBodyAsJSON() async throws {
        let transport = RecordingTransport { _, _ in response(202, Self.created) }
        var request = sampleRequest
        request.temperature = 0.5
        request.maxTokens = 100
        _ = try await makeClient(transport).createTask(request)
        let sent = try #require(transport.requests.first)
        #expect(sent.method == "POST")
        #expect(sent.url == "https://api.example.test/v1.3/analyze/tasks")
        #expect(sent.header("content-type") == "application/json")
        let body = try JSONDecoder().decode(JSONValue.self, from: try #require(sent.body))
        #expect(body == (try jsonValue("""
            {"video": {"type": "url", "url": "https://cdn.example.com/clip.mp4"}, "prompt": "Describe the scene.",
             "temperature": 0.5, "max_tokens": 100}
            """)))
    }

    @Test func pathAndQueryAreEscaped() async throws {
        let transport = RecordingTransport { request, _ in
            request.method == "GET" && request.url.contains("?")
                ? response(200, #"{"data": [], "page_info": {"limit_per_page": 5, "page": 2, "total_page": 0, "total_results": 0}}"#)
                : response(200, #"{"task_id": "a/b", "status": "queued"}"#)
        }
        let client = makeClient(transport)
        _ = try await client.retrieveTask("a/b?c")
        _ = try await client.listTasks(page: 2, pageLimit: 5, status: .unknown("x&y"))
        #expect(transport.requests.map(\.url) == [
            "https://api.example.test/v1.3/analyze/tasks/a%2Fb%3Fc",
            "https://api.example.test/v1.3/analyze/tasks?page=2&page_limit=5&status=x%26y",
        ])
    }
}
