import Foundation
import Hummingbird
import Logging
import NIOCore
import Webhooks

/// The bounded HTTP listeners of `tl ingest run` (webhooks, metrics): ``ListenerLimits``' connection limit, idle
/// timeout and request deadlines,
/// started in a task of their own, returned once the port is open.
enum IngestListener {
    /// Starts `responder` on `host:port` (beside `alongside`, which runs as long as the server); returns the
    /// task that runs them until canceled and the port bound.
    ///
    /// - Throws: ``UsageError`` naming `option` when the port cannot be opened.
    static func start<Responder: HTTPResponder>(
        _ responder: Responder, host: String, port: Int, name: String, connections: Int, option: String,
        alongside: (@Sendable () async throws -> Void)? = nil
    ) async throws -> (server: Task<Void, any Error>, port: Int) where Responder.Context == BasicRequestContext {
        let (opened, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            responder: responder,
            server: ListenerLimits(maxConnections: connections, idleTimeout: .seconds(30)).http1Server(),
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: Logger(label: name, factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = Task {
            defer { continuation.finish() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await application.runService(gracefulShutdownSignals: []) }
                if let alongside { group.addTask { try await alongside() } }
                try await group.next()
                group.cancelAll()
            }
        }
        var iterator = opened.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            let failure: String
            do {
                try await server.value
                failure = "it stopped"
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                failure = "the address is in use; pick another \(option), or 0 for a free one"
            } catch {
                failure = "\(error)"
            }
            throw UsageError("Could not listen on \(host):\(port) (\(option)): \(failure).")
        }
        return (server, bound)
    }

    /// `host` as it goes in a URL.
    static func shown(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
