import Hummingbird

/// Sets the error body shape of the endpoint being answered (``ErrorShape/published(method:path:)``, or the
/// configured override) for everything after it, and turns the router's "no route" into the platform's
/// 404 `resource_not_exist` in that shape.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let configuration: SandboxConfiguration

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        let path = SandboxResponder.apiPath(request)
        let shape = configuration.errorShape ?? ErrorShape.published(method: request.method.rawValue, path: path)
        return try await ErrorShape.$current.withValue(shape) {
            do {
                return try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound {
                throw SandboxError(404, .resourceNotExist, "No route for \(request.method.rawValue) \(path).")
            }
        }
    }
}
