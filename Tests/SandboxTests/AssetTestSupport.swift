import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// Raw HTTP against a live sandbox for the asset tests: binary bodies, absolute storage URLs, literal JSON.
struct AssetClient: Sendable {
    static let key = "asset-test-key"

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: body) }
    }

    let sandbox: RunningSandbox
    let http: HTTPClient

    var state: SandboxState { sandbox.state }
    /// `http://127.0.0.1:PORT`, without the version prefix.
    var origin: String { String(sandbox.baseURL.dropLast(SandboxConfiguration.pathPrefix.count)) }

    /// Sends `method` to `target`: a path under the base URL, or an absolute URL. `headers` nil sends the API key.
    func send(_ method: String, _ target: String, body: Data? = nil, headers: [String: String]? = nil) async throws -> Reply {
        let url = target.hasPrefix("http") ? target : sandbox.baseURL + target
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers ?? ["x-api-key": Self.key] { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 26)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// Sends a JSON text body with the API key.
    func post(_ path: String, json: String) async throws -> Reply {
        try await send("POST", path, body: Data(json.utf8), headers: ["x-api-key": Self.key, "Content-Type": "application/json"])
    }

    /// `PUT`s `bytes` to a presigned URL with the sandbox's required upload header (unless `headers` says otherwise).
    func put(_ url: String, _ bytes: Data, headers: [String: String] = ["x-sandbox-upload": "1"]) async throws -> Reply {
        try await send("PUT", url, body: bytes, headers: headers)
    }

    /// Runs `body` against a sandbox on a free port.
    static func with(
        _ configure: (inout SandboxConfiguration) -> Void = { _ in },
        _ body: (AssetClient) async throws -> Void
    ) async throws {
        var configuration = SandboxConfiguration(apiKey: key)
        configuration.port = 0
        configure(&configuration)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await Sandbox.withRunning(configuration) { sandbox in
                try await body(AssetClient(sandbox: sandbox, http: http))
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}

/// Builds `multipart/form-data` bodies by hand, so malformed ones can be built too.
struct FormBody {
    var boundary = "----tl-test-boundary-7MA4YWxkTrZu0gW"
    var data = Data()

    mutating func field(_ name: String, _ value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func file(_ bytes: Data, filename: String = "clip.mp4", name: String = "file") {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: video/mp4\r\n\r\n".utf8))
        data.append(bytes)
        data.append(Data("\r\n".utf8))
    }

    mutating func close() {
        data.append(Data("--\(boundary)--\r\n".utf8))
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// A complete direct-upload form.
    static func direct(_ bytes: Data, filename: String = "clip.mp4") -> FormBody {
        var form = FormBody()
        form.field("method", "direct")
        form.file(bytes, filename: filename)
        form.close()
        return form
    }
}

/// FNV-1a 64, written independently of the sandbox's, to check its `ETag`s.
func fnv1a(_ bytes: Data) -> String {
    var hash: UInt64 = 0xcbf29ce484222325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// The repository's `TestMedia` folder.
func testMedia(_ name: String) throws -> Data {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return try Data(contentsOf: url.appendingPathComponent("TestMedia").appendingPathComponent(name))
}

/// Files the inspector was given, with their bytes at that moment.
actor InspectedFiles {
    private(set) var seen: [(URL, Data)] = []
    func add(_ url: URL) { seen.append((url, (try? Data(contentsOf: url)) ?? Data())) }
}
