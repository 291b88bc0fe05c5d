import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The production ``HTTPTransport``: AsyncHTTPClient with redirect following **disabled**.
///
/// AsyncHTTPClient forwards custom headers such as `x-api-key` when it follows a redirect to another origin;
/// with redirects disallowed a 3xx comes back to the client as an error instead, so the key never leaves
/// the configured origin.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    private let maximumResponseBytes: Int

    /// Creates a transport with its own `HTTPClient`; call ``shutdown()`` when done.
    ///
    /// - Parameters:
    ///   - maximumConnectionsPerHost: HTTP/1.1 connections kept per host.
    ///   - connectTimeout: How long establishing a connection may take.
    ///   - maximumResponseBytes: Larger responses fail instead of exhausting memory.
    public init(
        maximumConnectionsPerHost: Int = 16,
        connectTimeout: Duration = .seconds(10),
        maximumResponseBytes: Int = 64 << 20
    ) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .nanoseconds(Int64(connectTimeout.seconds * 1e9)))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maximumConnectionsPerHost)
        // AnalyzeClient retries with its own policy and deadline; AsyncHTTPClient's silent re-dialling until the
        // connect timeout would multiply every attempt (an unreachable host took over a minute to report).
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// Shuts the underlying `HTTPClient` down. Required before the transport is released.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Sends `request` and collects the whole response.
    public func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        switch request.content {
        case .data(let body):
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        case .stream(let length, let make):
            // A fresh sequence per send: AsyncHTTPClient never replays a stream, and the client retries
            // by calling `send` again.
            outgoing.body = .stream(ByteBufferChunks(base: make()), length: .known(length))
        case .file(let range):
            // Read straight into ByteBuffers: no zero-filled Data and no second copy of every byte.
            outgoing.body = .stream(FileRangeBuffers(range: range), length: .known(range.length))
        case nil:
            break
        }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
            let body = try await response.body.collect(upTo: maximumResponseBytes)
            return TransportResponse(
                status: Int(response.status.code),
                headers: response.headers.map { HTTPHeader($0.name, $0.value) },
                body: Data(body.readableBytesView))
        } catch let error as CancellationError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw TransportError(Self.explain(error, url: request.url), underlying: error)
        }
    }

    /// What went wrong below HTTP, in words: "could not connect to 127.0.0.1:8799 (connection refused)",
    /// not NIO's "connection reset (error set): Connection refused) (errno: 111)".
    static func explain(_ error: any Error, url: String) -> String {
        let components = URLComponents(string: url)
        let host = components?.host ?? "the server"
        let port = components?.port ?? (components?.scheme == "http" ? 80 : 443)
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        func errnoReason(_ code: Int32) -> String {
            let text = String(cString: strerror(code))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
        let connectErrnos: Set<Int32> = [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, EADDRNOTAVAIL, EHOSTDOWN]
        switch error {
        case let error as IOError where connectErrnos.contains(error.errnoCode):
            return "could not connect to \(address) (\(errnoReason(error.errnoCode)))"
        case let error as IOError where [ECONNRESET, EPIPE].contains(error.errnoCode):
            return "the connection to \(address) was reset before the answer was complete"
        case let error as IOError:
            return "the connection to \(address) failed (\(errnoReason(error.errnoCode)))"
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return explain(first.error, url: url) }
            return "could not resolve the host \(host)"
        case let error as HTTPClientError where error == .connectTimeout:
            return "could not connect to \(address) (timed out)"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "\(address) closed the connection before the answer was complete"
        case let error as HTTPClientError where error == .readTimeout || error == .deadlineExceeded:
            return "\(address) did not answer in time"
        case is NIOTooManyBytesError:
            return "the answer from \(address) is larger than this client accepts"
        default:
            return "no complete answer from \(address): \(error)"
        }
    }
}

/// Adapts ``ByteChunks`` to the `ByteBuffer` sequence AsyncHTTPClient streams.
private struct ByteBufferChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: ByteChunks

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        var base: ByteChunks.AsyncIterator
        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            return ByteBuffer(bytes: chunk)
        }
    }
}

/// A file range read with `pread(2)` directly into `ByteBuffer`s, `range.readSize` bytes at a time; a fresh
/// descriptor per iteration, so every attempt re-reads the file.
///
/// A new buffer per read: AsyncHTTPClient hands each chunk to the channel without waiting for the write, so
/// on loopback most of a 5 MiB chunk is in flight at once and a buffer cannot be reused (a ring of eight
/// got one reuse in four).
struct FileRangeBuffers: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let range: FileRange
    var allocator = ByteBufferAllocator()

    func makeAsyncIterator() -> Iterator { Iterator(range: range, allocator: allocator) }

    struct Iterator: AsyncIteratorProtocol {
        var cursor: FileRangeCursor
        let allocator: ByteBufferAllocator

        init(range: FileRange, allocator: ByteBufferAllocator) {
            cursor = FileRangeCursor(range: range)
            self.allocator = allocator
        }

        /// - Throws: ``FileReadError`` when the file cannot be opened or read, or ends before the range does.
        mutating func next() async throws -> ByteBuffer? {
            guard let wanted = try cursor.nextLength() else { return nil }
            var buffer = allocator.buffer(capacity: wanted)
            _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { bytes in
                try cursor.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes.prefix(wanted)))
            }
            return buffer
        }
    }
}
