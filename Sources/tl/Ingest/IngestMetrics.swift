import Foundation
import Hummingbird
import Ingest
import Logging
import Metrics
import NIOCore
import Prometheus
import Webhooks

/// `tl ingest run --metrics-port`: what the run and its API client report through swift-metrics, served as
/// Prometheus text at `/metrics`, plus `ingest_items{state}`, the job's items per state, read from the journal
/// every two seconds (so a fleet's scrape of any one worker sees the whole job).
enum IngestMetrics {
    /// Bootstraps the Prometheus backend and starts the server; returns once the port is open.
    static func start(host: String, port: Int, journal: IngestJournal, job: String) async throws -> Task<Void, any Error> {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let limit = ConnectionLimit(limit: 64)
        let (opened, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [limit.handler()], idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(host, port: port), serverName: "tl-ingest-metrics"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: Logger(label: "tl-ingest-metrics", factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = Task {
            defer { continuation.finish() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await application.runService(gracefulShutdownSignals: []) }
                group.addTask {
                    while !Task.isCancelled {
                        if let status = try? await journal.status(job: job) {
                            for (state, count) in status.items {
                                Gauge(label: "ingest_items", dimensions: [("state", state)]).record(count)
                            }
                        }
                        try await Task.sleep(for: .seconds(2))
                    }
                }
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
                failure = "the address is in use; pick another --metrics-port, or 0 for a free one"
            } catch {
                failure = "\(error)"
            }
            throw UsageError("Could not serve metrics on \(host):\(port): \(failure).")
        }
        Console.note("metrics: http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/metrics")
        return server
    }
}
