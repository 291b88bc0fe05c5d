import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Records every request in ``SandboxState/requests`` (path without the `/v1.3` prefix, the status answered,
/// 0 for a dropped connection, any `Retry-After`) and logs one line at `info`. The outermost middleware.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let state: SandboxState

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        let receivedAt = state.configuration.clock.now()
        var status = 0
        var retryAfter: Int?
        defer {
            state.record(RecordedRequest(
                method: request.method.rawValue, path: SandboxResponder.apiPath(request), receivedAt: receivedAt,
                apiKey: request.headers[HTTPField.Name("x-api-key")!], idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!],
                status: status, retryAfterSeconds: retryAfter))
            state.configuration.logger.info("\(request.method.rawValue) \(request.uri.path) → \(status == 0 ? "dropped" : String(status))")
        }
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            retryAfter = response.headers[.retryAfter].flatMap { Int($0) }
            return response
        } catch let error as SandboxError {
            status = Int(error.status.code)
            retryAfter = error.headers[.retryAfter].flatMap { Int($0) }
            throw error
        } catch let error as any HTTPResponseError {
            status = Int(error.status.code)
            throw error
        }
    }
}
