import AnalyzeAPI
import Foundation
import NIOConcurrencyHelpers

/// An in-memory stand-in for the asset, multipart-upload, storage and task routes, answering through the
/// ``HTTPTransport`` protocol: it records every request and can refuse chosen chunk PUTs, so the uploader's
/// retry, refresh and resume logic is tested deterministically without a network.
final class FakeAssetAPI: HTTPTransport {
    struct Recorded: Sendable {
        var method: String
        var url: String
        var headers: [HTTPHeader]
        var body: Data
    }

    struct State {
        var requests: [Recorded] = []
        var chunkSize: Int64 = 4096
        var firstURLs = 3
        /// Presigned-URL requests still to refuse with a 400 (not retried by the client).
        var refuseURLRequests = 0
        /// A completion report is answered only once this many PUTs have arrived after it began, or every
        /// chunk has, or 30 s have passed. A client that held its uploads for a report's answer would stall each
        /// report to the deadline and leave ``mostPutsDuringAReport`` at the PUTs already in flight; one that
        /// keeps uploading passes at once, however loaded the machine.
        var reportWaitsForPuts = 0
        /// The most PUTs that arrived while one report waited for its answer.
        var mostPutsDuringAReport = 0
        var putsArrived = 0
        var uploadHeaders: [String: String] = ["x-storage-class": "test"]
        var total: Int64 = 0
        var totalChunks = 0
        var nextSignature = 0
        var liveURLs: Set<String> = []
        var stored: [Int: Data] = [:]
        var reported: [Int: String] = [:]
        var putFailures: [Int: [Int]] = [:]
        var putCounts: [Int: Int] = [:]
        var inFlight = 0
        var maxInFlight = 0
        var expiresIn: TimeInterval = 3600
        var uploadStatus = "active"
        var assetStatus = "ready"
        var taskCount = 0
    }

    let state = NIOLockedValueBox(State())
    let apiKey: String
    static let storage = "https://storage.test"

    init(apiKey: String = "sk-fake-key") {
        self.apiKey = apiKey
    }

    func configure(_ change: (inout State) -> Void) { state.withLockedValue { value in change(&value) } }
    var snapshot: State { state.withLockedValue { $0 } }
    var requests: [Recorded] { snapshot.requests }
    func requests(_ method: String, _ pathPart: String) -> [Recorded] {
        requests.filter { $0.method == method && $0.url.contains(pathPart) }
    }

    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        let body = try await request.content?.collect() ?? Data()
        let recorded = Recorded(method: request.method, url: request.url, headers: request.headers, body: body)
        let isPut = request.method == "PUT"
        state.withLockedValue {
            $0.requests.append(recorded)
            if isPut {
                $0.inFlight += 1
                $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
                $0.putsArrived += 1
            }
        }
        if isPut {
            for _ in 0..<3 { await Task.yield() }
            defer { state.withLockedValue { $0.inFlight -= 1 } }
            return put(recorded)
        }
        guard request.header("x-api-key") == apiKey else { return json(401, #"{"code":"api_key_invalid","message":"bad key"}"#) }
        let path = URLComponents(string: request.url)!.path
        let wanted = state.withLockedValue { $0.reportWaitsForPuts }
        if request.method == "POST", path == "/v1/assets/multipart-uploads/u1", wanted > 0 {
            let before = state.withLockedValue { $0.putsArrived }
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline,
                  state.withLockedValue({ $0.putsArrived - before < wanted && $0.putsArrived < $0.totalChunks }) {
                try? await Task.sleep(for: .milliseconds(5))
            }
            state.withLockedValue { $0.mostPutsDuringAReport = max($0.mostPutsDuringAReport, $0.putsArrived - before) }
        }
        return state.withLockedValue { state in answer(method: request.method, path: path, body: body, state: &state) }
    }

    private func put(_ request: Recorded) -> TransportResponse {
        state.withLockedValue { state in
            guard let components = URLComponents(string: request.url), components.host == "storage.test",
                  let index = Int(components.path.split(separator: "/").last ?? "")
            else { return json(404, "{}") }
            state.putCounts[index, default: 0] += 1
            if request.headers.contains(where: { $0.name.lowercased() == "x-api-key" }) { return json(400, #"{"message":"api key sent to storage"}"#) }
            guard state.liveURLs.remove(request.url) != nil else { return json(403, #"{"message":"expired or used"}"#) }
            if var failures = state.putFailures[index], !failures.isEmpty {
                let status = failures.removeFirst()
                state.putFailures[index] = failures
                return json(status, "{}")
            }
            let expected = min(state.chunkSize, state.total - Int64(index - 1) * state.chunkSize)
            guard Int64(request.body.count) == expected else { return json(400, #"{"message":"wrong size"}"#) }
            for (name, value) in state.uploadHeaders where !request.headers.contains(where: { $0.name == name && $0.value == value }) {
                return json(400, #"{"message":"upload header missing"}"#)
            }
            state.stored[index] = request.body
            return TransportResponse(status: 200, headers: [HTTPHeader("ETag", "\"etag-\(index)-\(request.body.count)\"")])
        }
    }

    private func urls(_ range: ClosedRange<Int>, state: inout State) -> String {
        let expires = RFC3339.string(from: Date(timeIntervalSince1970: 1_800_000_000).addingTimeInterval(state.expiresIn))
        var items: [String] = []
        for index in range where index <= state.totalChunks {
            state.nextSignature += 1
            let url = "\(Self.storage)/upload/u1/\(index)?sig=\(state.nextSignature)"
            state.liveURLs.insert(url)
            items.append(#"{"chunk_index":\#(index),"url":"\#(url)","expires_at":"\#(expires)"}"#)
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    private func answer(method: String, path: String, body: Data, state: inout State) -> TransportResponse {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        switch (method, path) {
        case ("POST", "/v1/assets/multipart-uploads"):
            state.total = (object["total_size"] as? NSNumber)?.int64Value ?? 0
            state.totalChunks = Int((state.total + state.chunkSize - 1) / state.chunkSize)
            let headers = String(decoding: try! JSONSerialization.data(withJSONObject: state.uploadHeaders), as: UTF8.self)
            let list = urls(1...max(1, state.firstURLs), state: &state)
            return json(201, #"{"upload_id":"u1","asset_id":"a1","chunk_size":\#(state.chunkSize),"total_chunks":\#(state.totalChunks),"upload_urls":\#(list),"upload_headers":\#(headers)}"#)
        case ("POST", "/v1/assets/multipart-uploads/u1/presigned-urls"):
            let start = (object["start"] as? Int) ?? 1, count = (object["count"] as? Int) ?? 1
            guard count <= 50 else { return json(400, #"{"message":"count over 50"}"#) }
            if state.refuseURLRequests > 0 {
                state.refuseURLRequests -= 1
                return json(400, #"{"code":"parameter_invalid","message":"refused on purpose"}"#)
            }
            return json(200, #"{"upload_urls":\#(urls(start...(start + count - 1), state: &state))}"#)
        case ("POST", "/v1/assets/multipart-uploads/u1"):
            let chunks = object["completed_chunks"] as? [[String: Any]] ?? []
            var processed = 0, duplicate = 0
            for chunk in chunks {
                let index = chunk["chunk_index"] as? Int ?? 0
                let proof = chunk["proof"] as? String ?? ""
                guard let data = state.stored[index], proof == "etag-\(index)-\(data.count)" else {
                    return json(400, #"{"message":"bad proof for chunk \#(index)"}"#)
                }
                if state.reported[index] == nil { processed += 1 } else { duplicate += 1 }
                state.reported[index] = proof
            }
            if state.reported.count == state.totalChunks { state.uploadStatus = "completed" }
            return json(200, #"{"asset_id":"a1","processed_chunks":\#(processed),"duplicate_chunks":\#(duplicate),"total_completed":\#(state.reported.count)}"#)
        case ("GET", "/v1/assets/multipart-uploads/u1"):
            // The published shape (ChunkInfo), with a failed entry for a chunk stored but not reported.
            let uploaded = (state.reported.keys.sorted().map { #"{"index":\#($0),"status":"completed","uploaded_at":"2026-11-30T10:00:00Z","updated_at":"2026-11-30T10:00:00Z"}"# }
                + state.stored.keys.filter { state.reported[$0] == nil }.sorted().map { #"{"index":\#($0),"status":"failed","error":"not reported"}"# })
                .joined(separator: ",")
            return json(200, #"{"status":"\#(state.uploadStatus)","chunks_completed":\#(state.reported.count),"chunks_pending":\#(state.totalChunks - state.reported.count),"chunks_failed":0,"uploaded_chunks":[\#(uploaded)]}"#)
        case ("GET", "/v1/assets/a1"), ("GET", "/v1/assets/d1"):
            let id = path.hasSuffix("a1") ? "a1" : "d1"
            let error = state.assetStatus == "failed" ? #","error":{"message":"not a video"}"# : ""
            return json(200, #"{"_id":"\#(id)","status":"\#(state.assetStatus)"\#(error)}"#)
        case ("POST", "/v1/assets"):
            return json(201, #"{"_id":"d1","status":"processing","method":"direct"}"#)
        case ("POST", "/v1/analyze/tasks"):
            state.taskCount += 1
            return json(202, #"{"task_id":"t\#(state.taskCount)","status":"queued"}"#)
        default:
            return json(404, #"{"code":"resource_not_exist","message":"no route \#(method) \#(path)"}"#)
        }
    }

    private func json(_ status: Int, _ text: String) -> TransportResponse {
        TransportResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")], body: Data(text.utf8))
    }
}

/// A client over `transport` on an auto-advancing clock (retries and polls run instantly).
func fakeClient(_ transport: FakeAssetAPI, clock: ManualClock = ManualClock(mode: .autoAdvance)) -> AnalyzeClient {
    var configuration = AnalyzeClient.Configuration(apiKey: transport.apiKey, baseURL: "https://api.test/v1", clock: clock)
    configuration.retryPolicy.jitter = 0
    return AnalyzeClient(configuration: configuration, transport: transport)
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("submission-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A file of `count` pseudo-random bytes (deterministic per seed).
func makeFile(in directory: URL, name: String = "video.bin", count: Int, seed: UInt64 = 1) throws -> String {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// The package's `TestMedia/` fixtures.
let testMedia: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("TestMedia")

func fixture(_ name: String) -> String { testMedia.appendingPathComponent(name).path }
