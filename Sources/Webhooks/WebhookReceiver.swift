public import Foundation
import HTTPTypes
public import Hummingbird
public import NIOCore
import Synchronization

/// One verified webhook delivery.
public struct WebhookEvent: Sendable, Hashable {
    /// The raw body, exactly as signed.
    public var body: Data
    /// The event's `id` (the same across retries of one event), when the body has one.
    public var id: String?
    /// Its `type` (`analyze.task.ready`, …).
    public var type: String?
}

/// A Hummingbird responder for webhook deliveries, for a receiver in your own server or behind
/// `tl webhooks listen`: it reads the raw body (at most ``maxBodyBytes``), verifies `TL-Signature`,
/// hands the event to `onEvent`, and answers 200. A bad signature is 401 and the event is not
/// handed on; a body over the limit is 413; anything but `POST` is 405; a body that is not a JSON
/// object is 400.
public struct WebhookReceiver<Context: RequestContext>: HTTPResponder {
    /// The signing secret of the webhook endpoint.
    public var secret: String
    /// How far the signed timestamp may be from now.
    public var tolerance: Duration = TLSignature.defaultTolerance
    /// The largest body accepted.
    public var maxBodyBytes = 1 << 20
    /// Called with each verified event, before the 200 is sent.
    public var onEvent: @Sendable (WebhookEvent) async -> Void
    /// Called with each refused delivery and why (for a log line).
    public var onRefusal: @Sendable (_ status: Int, _ reason: String) async -> Void = { _, _ in }

    /// A receiver that verifies with `secret` and hands events to `onEvent`.
    public init(secret: String, onEvent: @escaping @Sendable (WebhookEvent) async -> Void) {
        self.secret = secret
        self.onEvent = onEvent
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .post else { return await refuse(.methodNotAllowed, "only POST is accepted") }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            return await refuse(.contentTooLarge, "the body is larger than \(maxBodyBytes) bytes")
        }
        let body = Data(buffer.readableBytesView)
        do throws(TLSignature.Failure) {
            try TLSignature.verify(header: request.headers[HTTPField.Name("TL-Signature")!], body: body, secret: secret, tolerance: tolerance)
        } catch {
            return await refuse(.unauthorized, error.description)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            return await refuse(.badRequest, "the body is not a JSON object")
        }
        await onEvent(WebhookEvent(body: body, id: object["id"] as? String, type: object["type"] as? String))
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"received":true}"#)))
    }

    private func refuse(_ status: HTTPResponse.Status, _ reason: String) async -> Response {
        await onRefusal(status.code, reason)
        let text = (try? JSONSerialization.data(withJSONObject: ["error": reason])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }
}

/// Closes connections beyond `limit` open at once, so that a flood of idle sockets cannot exhaust the
/// receiver (with the HTTP channel's idle timeout, a slowloris client is dropped too). Add one
/// instance's ``handler()`` to every connection (`additionalChannelHandlers`).
public final class ConnectionLimit: Sendable {
    /// The most connections open at once.
    public let limit: Int
    private let open = Atomic<Int>(0)

    /// A limit of `limit` connections.
    public init(limit: Int) { self.limit = limit }

    /// The connections open now.
    public var current: Int { open.load(ordering: .relaxed) }

    /// The handler for one new connection.
    public func handler() -> any RemovableChannelHandler { Handler(limit: self) }

    fileprivate func enter() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        return now <= limit
    }

    fileprivate func leave() { open.wrappingSubtract(1, ordering: .relaxed) }

    private final class Handler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = NIOAny
        let limit: ConnectionLimit
        init(limit: ConnectionLimit) { self.limit = limit }

        func handlerAdded(context: ChannelHandlerContext) {
            if !limit.enter() { context.close(promise: nil) }
        }

        func handlerRemoved(context: ChannelHandlerContext) { limit.leave() }
    }
}
