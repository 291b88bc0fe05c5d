import HTTPTypes
import Hummingbird

/// Refuses an API request without the configured `x-api-key` (401 `api_key_invalid`).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let configuration: SandboxConfiguration

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        guard let key = request.headers[HTTPField.Name("x-api-key")!], key == configuration.apiKey else {
            let missing = request.headers[HTTPField.Name("x-api-key")!] == nil
            throw SandboxError(401, .apiKeyInvalid, missing ? "The x-api-key header is required." : "The API key is invalid.")
        }
        return try await next(request, context)
    }
}
