import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird

/// ``SandboxConfiguration/requestsPerMinute`` per key, in fixed one-minute windows: `X-RateLimit-*` on every
/// answer (errors included), and over the limit 429 `too_many_requests` with `Retry-After`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let state: SandboxState

    func handle(_ request: Request, context: SandboxContext, next: (Request, SandboxContext) async throws -> Response) async throws -> Response {
        let clock = state.configuration.clock
        guard let key = request.headers[HTTPField.Name("x-api-key")!], let decision = state.admit(key: key, now: clock.now()) else {
            return try await next(request, context)
        }
        let resetIn = max(1, Int(decision.resetIn.seconds.rounded(.up)))
        let resetEpoch = Int(clock.currentDate().timeIntervalSince1970.rounded(.down)) + resetIn
        let limits = [
            "X-RateLimit-Limit": String(decision.limit), "X-RateLimit-Remaining": String(decision.remaining),
            "X-RateLimit-Reset": String(resetEpoch),
        ]
        guard decision.allowed else {
            throw SandboxError(429, .tooManyRequests, "Rate limit of \(decision.limit) requests per minute exceeded.",
                               headers: limits.merging(["Retry-After": String(resetIn)]) { $1 })
        }
        func adding(_ fields: inout HTTPFields) {
            // An answer's own headers win over the window's.
            for (name, value) in limits.sorted(by: { $0.key < $1.key }) where fields[HTTPField.Name(name)!] == nil {
                fields[HTTPField.Name(name)!] = value
            }
        }
        do {
            var response = try await next(request, context)
            adding(&response.headers)
            return response
        } catch var error as SandboxError {
            adding(&error.headers)
            throw error
        }
    }
}
