import Metrics

/// What every attempt of every request reports through swift-metrics (a no-op until the application
/// bootstraps a backend, as `tl ingest run --metrics-port` does with Prometheus):
/// - `tl_api_request_duration_seconds{operation, status}`: the attempt's time, `status` the HTTP status or
///   `none` when no answer came;
/// - `tl_api_rate_limited_total{operation}`: answers 429.
enum RequestMetrics {
    static func record(_ operation: APIError.Operation, outcome: Result<TransportResponse, any Error>, duration: Duration) {
        let status: String
        switch outcome {
        case .success(let response): status = String(response.status)
        case .failure: status = "none"
        }
        Timer(label: "tl_api_request_duration_seconds", dimensions: [("operation", operation.rawValue), ("status", status)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if status == "429" {
            Counter(label: "tl_api_rate_limited_total", dimensions: [("operation", operation.rawValue)]).increment()
        }
    }
}
