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
        let (server, bound) = try await IngestListener.start(
            router.buildResponder(), host: host, port: port, name: "tl-ingest-metrics", connections: 64, option: "--metrics-port",
            alongside: {
                while !Task.isCancelled {
                    if let status = try? await journal.status(job: job) {
                        for (state, count) in status.items {
                            Gauge(label: "ingest_items", dimensions: [("state", state)]).record(count)
                        }
                    }
                    try await Task.sleep(for: .seconds(2))
                }
            })
        Console.note("metrics: http://\(IngestListener.shown(host)):\(bound)/metrics")
        return server
    }
}
