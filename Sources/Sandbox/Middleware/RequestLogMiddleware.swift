import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Records every request in ``SandboxState/requests`` (path without the `/v1.3` prefix, the status answered,
/// 0 for a dropped connection, any `Retry-After`) and logs one line at `info`. The outermost middleware; it
/// also closes the connection of a ``SandboxDrop``, after recording it.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let state: SandboxState

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        let receivedAt = state.configuration.clock.now()
        func log(_ status: Int, retryAfter: String? = nil) {
            state.record(RecordedRequest(
                method: request.method.rawValue, path: SandboxResponder.apiPath(request), receivedAt: receivedAt,
                apiKey: request.headers[HTTPField.Name("x-api-key")!], idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!],
                status: status, retryAfterSeconds: retryAfter.flatMap { Int($0) }))
            state.configuration.logger.info("\(request.method.rawValue) \(request.uri.path) → \(status == 0 ? "dropped" : String(status))")
        }
        do {
            let response = try await next(request, context)
            log(Int(response.status.code), retryAfter: response.headers[.retryAfter])
            return response
        } catch let error as SandboxError {
            log(Int(error.status.code), retryAfter: error.headers[.retryAfter])
            throw error
        } catch let error as any HTTPResponseError {
            log(Int(error.status.code))
            throw error
        } catch let drop as SandboxDrop {
            // Recorded before the connection closes, so that a client which sees the close finds it in the log.
            log(0)
            try? await context.channel.close()
            throw drop
        } catch {
            log(500)
            throw error
        }
    }
}
