public import HummingbirdCore
public import NIOCore
import HTTPTypes
import NIOHTTPTypes
import Synchronization

/// The bounds of an HTTP listener that strangers can reach, such as a webhook receiver: how many
/// connections may be open at once, and how long a client may take to send a request.
///
/// ```swift
/// let limits = ListenerLimits(maxConnections: 256, headerTimeout: .seconds(10), readTimeout: .seconds(30))
/// let app = Application(responder: receiver, server: limits.http1Server(), configuration: …)
/// ```
///
/// The idle timeout alone does not stop a slowloris client, which sends a byte every few seconds and is
/// never idle: the header and read timeouts are deadlines, counted from the moment the connection can send
/// a request, whatever arrives in between.
public struct ListenerLimits: Sendable, Hashable {
    /// The most connections open at once; those beyond are closed as they arrive.
    public var maxConnections: Int
    /// How long a connection may stay silent (between requests, or in the middle of one).
    public var idleTimeout: Duration
    /// How long a client has to send a request's whole head: from the connection's opening, or from the end
    /// of the previous response on a kept-alive connection.
    public var headerTimeout: Duration
    /// How long a client has to send a whole request, head and body, counted like ``headerTimeout``.
    public var readTimeout: Duration

    /// Limits for a listener: 256 connections, 10 s idle, 10 s for the head, 30 s for the whole request.
    public init(maxConnections: Int = 256, idleTimeout: Duration = .seconds(10),
                headerTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(30)) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.readTimeout = readTimeout
    }

    /// An HTTP/1.1 server that enforces these limits on every connection.
    public func http1Server() -> HTTPServerBuilder {
        let connections = ConnectionLimit(limit: maxConnections)
        let header = TimeAmount(headerTimeout), read = TimeAmount(readTimeout)
        return .http1(configuration: .init(
            additionalChannelHandlers: [connections.handler(), RequestDeadlines(header: header, read: read)],
            idleTimeout: TimeAmount(idleTimeout)))
    }
}

/// Closes connections beyond `limit` open at once, so that a flood of idle sockets cannot exhaust the
/// receiver. Add one instance's ``handler()`` to every connection (`additionalChannelHandlers`), or use
/// ``ListenerLimits/http1Server()``, which does.
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

/// One connection's two deadlines: the request's head must be in by `header`, and its end by `read`, both
/// counted from when the connection became ready for a request (its opening, or the end of the last
/// response). A connection that misses one is closed. The clock stops while the server works on a request.
final class RequestDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart

    private enum Phase {
        /// The clocks run: the client owes a request (or the rest of one).
        case reading
        /// The whole request is in; the server works on it.
        case handling
        /// The server answered before the request's end (a refusal): the client must still finish in time.
        case answeredEarly
    }

    private let header: TimeAmount
    private let read: TimeAmount
    private var phase = Phase.reading
    private var headerTimer: Scheduled<Void>?
    private var readTimer: Scheduled<Void>?

    init(header: TimeAmount, read: TimeAmount) {
        self.header = header
        self.read = read
    }

    func handlerAdded(context: ChannelHandlerContext) { arm(context) }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headerTimer?.cancel()
            headerTimer = nil
        case .body:
            break
        case .end:
            disarm()
            if phase == .answeredEarly {
                arm(context)
            } else {
                phase = .handling
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            if phase == .handling {
                arm(context)  // The next request on this connection gets the same time as the first did.
            } else {
                phase = .answeredEarly
            }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        phase = .reading
        let loop = context.eventLoop.assumeIsolated()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        headerTimer = loop.scheduleTask(in: header) { bound.value.close(promise: nil) }
        readTimer = loop.scheduleTask(in: read) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        headerTimer?.cancel()
        readTimer?.cancel()
        headerTimer = nil
        readTimer = nil
    }
}
