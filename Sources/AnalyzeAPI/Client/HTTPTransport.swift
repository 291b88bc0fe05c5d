public import Foundation

/// One HTTP header field.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name, matched case-insensitively by readers.
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a value from its fields.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request as the client hands it to a transport.
public struct TransportRequest: Sendable {
    /// The HTTP method (`GET`, `POST`, `DELETE`).
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields, in order.
    public var headers: [HTTPHeader]
    /// The body, or `nil` for none: in memory or streamed (see ``RequestBody``).
    public var content: RequestBody?

    /// The body's bytes when it is held in memory; `nil` for none or for a stream. Setting it replaces
    /// ``content`` with an in-memory body.
    public var body: Data? {
        get { content?.data }
        set { content = newValue.map(RequestBody.data) }
    }

    /// Creates a request with an in-memory body.
    public init(method: String, url: String, headers: [HTTPHeader] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.content = body.map(RequestBody.data)
    }

    /// Creates a request with any body, streamed ones included.
    public init(method: String, url: String, headers: [HTTPHeader] = [], content: RequestBody?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content
    }

    /// The first value of the header `name`, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// A complete response, body included.
public struct TransportResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Header fields, in order.
    public var headers: [HTTPHeader]
    /// The complete body (empty when there was none).
    public var body: Data

    /// Creates a value from its fields.
    public init(status: Int, headers: [HTTPHeader] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Sends one HTTP request and returns the whole response, without retrying and without following redirects.
///
/// ``AsyncHTTPClientTransport`` is the real one; tests inject doubles. A transport throws for connection
/// failures (refused, reset, closed before a complete answer, timed out); the client retries those.
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse
}

/// A failure below HTTP: the request got no complete answer.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// A readable explanation.
    public var message: String
    /// The error behind this one, kept for diagnosis.
    public var underlying: (any Error)?

    /// Creates a value from its fields.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
