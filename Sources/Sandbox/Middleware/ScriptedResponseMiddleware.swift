import Hummingbird
import NIOCore

/// Answers the next request matching a queued ``ScriptedResponse`` (``SandboxState/enqueue(_:)``) with it,
/// after authentication and the rate limit, instead of the route.
struct ScriptedResponseMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let state: SandboxState

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        guard let scripted = state.takeScripted(path: SandboxResponder.apiPath(request)) else { return try await next(request, context) }
        if let code = scripted.code {
            throw SandboxError(scripted.status, PlatformErrorCode(rawValue: code), scripted.message, headers: scripted.headers, shape: scripted.shape)
        }
        var outcome = SandboxResponder.Outcome(status: scripted.status, body: nil)
        outcome.headers = scripted.headers
        return outcome.response
    }
}
