import Hummingbird

/// With ``SandboxConfiguration/redirectOrigin``, answers every API request `307` to that origin (same path
/// and query), to test that clients do not follow redirects with the key.
struct RedirectMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let configuration: SandboxConfiguration

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        guard var location = configuration.redirectOrigin else { return try await next(request, context) }
        while location.hasSuffix("/") { location.removeLast() }
        return Response(status: .temporaryRedirect, headers: [.location: location + request.uri.description])
    }
}
