public import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
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
/// object is 400. A delivery seen before (its event `id`, or its signature when it has no id) is answered
/// 200 and not handed on again: see ``replayGuard``.
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
    /// The deliveries already handed on; `nil` hands on every verified delivery, repeats included.
    public var replayGuard: ReplayGuard? = ReplayGuard()
    /// Called with each verified delivery that was not handed on because it was seen before.
    public var onRepeat: @Sendable (WebhookEvent) async -> Void = { _ in }

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
        let signature = request.headers[HTTPField.Name("TL-Signature")!]
        do throws(TLSignature.Failure) {
            try TLSignature.verify(header: signature, body: body, secret: secret, tolerance: tolerance)
        } catch {
            return await refuse(.unauthorized, error.description)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            return await refuse(.badRequest, "the body is not a JSON object")
        }
        let event = WebhookEvent(body: body, id: object["id"] as? String, type: object["type"] as? String)
        // Acknowledged either way, so that the platform stops retrying; handed on once.
        if let replayGuard, !replayGuard.admit(event.id.map { "id:" + $0 } ?? "sig:" + (signature ?? "")) {
            await onRepeat(event)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"received":true,"repeat":true}"#)))
        }
        await onEvent(event)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"received":true}"#)))
    }

    private func refuse(_ status: HTTPResponse.Status, _ reason: String) async -> Response {
        await onRefusal(status.code, reason)
        let text = (try? JSONSerialization.data(withJSONObject: ["error": reason])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }
}
