import AnalyzeAPI
import Hummingbird

/// Seeded random faults (``FaultInjection``): a 5xx before the route runs, or after it (the request took
/// effect, the answer is lost); a bare 429; a connection dropped after the route ran (any request, or creates
/// only); a delayed answer.
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let state: SandboxState

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        guard let (kind, roll) = state.drawFault() else { return try await next(request, context) }
        if kind == .dropAfterCreate {
            let path = request.uri.path
            guard request.method == .post, path.hasSuffix("/analyze/tasks") || path.hasSuffix("/analyze/batches") else {
                return try await next(request, context)
            }
        }
        let serverError = SandboxError([500, 502, 503][Int(roll / 2 % 3)], .internalError, "Injected server error.")
        switch kind {
        case .serverError where roll % 2 == 0:
            throw serverError
        case .rateLimited:
            return Response(status: .tooManyRequests, headers: [.retryAfter: "1"])
        default:
            break
        }
        let response = try await next(request, context)
        switch kind {
        case .serverError:
            throw serverError
        case .dropConnection, .dropAfterCreate:
            throw SandboxDrop()
        case .delay:
            try await state.configuration.clock.sleep(for: state.faultDelay)
            return response
        case .rateLimited:
            return response
        }
    }
}
