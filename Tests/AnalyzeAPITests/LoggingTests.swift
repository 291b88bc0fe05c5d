import AnalyzeAPI
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// Log lines shared between a test and its handler.
final class LogLines: Sendable {
    private let storage = NIOLockedValueBox<[String]>([])
    func append(_ line: String) { storage.withLockedValue { $0.append(line) } }
    var all: [String] { storage.withLockedValue { $0 } }
}

/// Collects every log line, with its metadata, for inspection.
struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(into lines: LogLines) {
        self.lines = lines
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
    }
}

@Suite struct LoggingTests {
    @Test func retriesAreLoggedWithoutTheKey() async throws {
        let lines = LogLines()
        let handler = CapturingLogHandler(into: lines)
        let transport = RecordingTransport { request, index in
            let key = request.header("x-api-key") ?? ""
            switch index {
            case 0: throw TransportError("connection reset; request had x-api-key \(key)")
            case 1: return response(503, #"{"code":"unavailable","message":"echo \#(key)"}"#)
            default: return response(200, #"{"task_id":"t1","status":"processing"}"#)
            }
        }
        let client = makeClient(transport) { $0.logger = Logger(label: "test", factory: { _ in handler }) }
        _ = try await client.retrieveTask("t1")
        let logged = lines.all
        #expect(logged.count >= 3)
        #expect(logged.contains { $0.hasPrefix("warning") && $0.contains("retrying") })
        #expect(logged.contains { $0.contains("→ 200") })
        #expect(logged.allSatisfy { !$0.contains(testKey) })
    }

    @Test func validationWarningsAreLogged() async throws {
        let lines = LogLines()
        let handler = CapturingLogHandler(into: lines)
        let transport = RecordingTransport { _, _ in response(202, #"{"task_id":"t1","status":"queued"}"#) }
        let client = makeClient(transport) { $0.logger = Logger(label: "test", factory: { _ in handler }) }
        var request = sampleRequest
        request.responseFormat = ResponseFormat(jsonSchema: .object(["oneOf": .array([.object(["type": .string("string")])])]))
        _ = try await client.createTask(request)
        #expect(lines.all.contains { $0.hasPrefix("warning") && $0.contains("schema_keyword_ignored") && $0.contains("/oneOf") })
    }
}
