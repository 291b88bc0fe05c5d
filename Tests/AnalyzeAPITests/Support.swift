import AnalyzeAPI
import Foundation
import Sandbox
import NIOConcurrencyHelpers
import Testing

/// A transport double: answers from a closure and records every request it got.
final class RecordingTransport: HTTPTransport {
    private let handler: @Sendable (TransportRequest, Int) throws -> TransportResponse
    private let recorded = NIOLockedValueBox<[TransportRequest]>([])

    /// `handler` gets each request and its 0-based index.
    init(_ handler: @escaping @Sendable (TransportRequest, Int) throws -> TransportResponse) {
        self.handler = handler
    }

    /// Answers with `responses` in order (the last one repeats).
    convenience init(sequence responses: [Result<TransportResponse, TransportError>]) {
        self.init { _, index in
            try responses[min(index, responses.count - 1)].get()
        }
    }

    var requests: [TransportRequest] { recorded.withLockedValue { $0 } }

    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        let index = recorded.withLockedValue { list -> Int in
            list.append(request)
            return list.count - 1
        }
        return try handler(request, index)
    }
}

func response(_ status: Int, _ body: String = "", headers: [String: String] = [:]) -> TransportResponse {
    TransportResponse(status: status, headers: headers.map { HTTPHeader($0.key, $0.value) }, body: Data(body.utf8))
}

func jsonValue(_ text: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

func jsonValue(encoding value: some Encodable) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: WireCoding.encoder().encode(value))
}

let testKey = "sk-test-0123456789abcdef"

/// A client over a transport double on an auto-advancing clock, with jitter off so waits are exact.
func makeClient(
    _ transport: any HTTPTransport, clock: ManualClock = ManualClock(mode: .autoAdvance),
    configure: (inout AnalyzeClient.Configuration) -> Void = { _ in }
) -> AnalyzeClient {
    var configuration = AnalyzeClient.Configuration(apiKey: testKey, baseURL: "https://api.example.test/v1.3", clock: clock)
    configuration.retryPolicy.jitter = 0
    configure(&configuration)
    return AnalyzeClient(configuration: configuration, transport: transport)
}

/// Runs `body` with a sandbox on a free loopback port and a real (AsyncHTTPClient) client pointed at it.
func withSandboxClient<T: Sendable>(
    sandbox configureSandbox: (inout SandboxConfiguration) -> Void = { _ in },
    client configureClient: (inout AnalyzeClient.Configuration) -> Void = { _ in },
    _ body: (RunningSandbox, AnalyzeClient) async throws -> T
) async throws -> T {
    var sandboxConfiguration = SandboxConfiguration(apiKey: testKey)
    sandboxConfiguration.port = 0
    configureSandbox(&sandboxConfiguration)
    return try await Sandbox.withRunning(sandboxConfiguration) { sandbox in
        var configuration = AnalyzeClient.Configuration(apiKey: testKey, baseURL: sandbox.baseURL)
        configuration.retryPolicy.initialBackoff = .milliseconds(5)
        configuration.retryPolicy.maximumBackoff = .milliseconds(50)
        configureClient(&configuration)
        return try await AnalyzeClient.withClient(configuration: configuration) { client in
            try await body(sandbox, client)
        }
    }
}

let sampleRequest = CreateAsyncAnalyzeRequest(
    video: .url("https://cdn.example.com/clip.mp4"), prompt: "Describe the scene.")

/// Expects `body` to throw an `APIError` and returns it.
func expectAPIError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> APIError? {
    do {
        try await body()
        Issue.record("expected an APIError, got success", sourceLocation: sourceLocation)
    } catch let error as APIError {
        return error
    } catch {
        Issue.record("expected an APIError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The path of a file in the repository's `TestMedia` folder.
func testMediaPath(_ name: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("TestMedia").appendingPathComponent(name).path
}
