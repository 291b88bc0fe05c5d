import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlatformRules
import Synchronization

/// The request context: Hummingbird's basics plus the channel, so a fault can close the connection unanswered.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The sandbox's routes and their handlers, over one ``SandboxState``. Each resource's routes are in their
/// own file (`Routes/`); what every request goes through is middleware (`Middleware/`), assembled by
/// ``makeRouter()``:
///
/// - every request: ``RequestLogMiddleware``, then ``ErrorShapeMiddleware``;
/// - `/_sandbox/*` (the test API) and `/storage/uploads/*` (presigned-URL storage): no key;
/// - the API, under `/v1.3` and at the root: ``RedirectMiddleware``, ``APIKeyMiddleware``,
///   ``RateLimitMiddleware``, ``ScriptedResponseMiddleware``, ``FaultInjectionMiddleware``, then tasks,
///   batches, assets and multipart uploads.
struct SandboxResponder: Sendable {
    let state: SandboxState
    var configuration: SandboxConfiguration { state.configuration }

    /// The whole sandbox as one Hummingbird router.
    func makeRouter() -> Router<SandboxContext> {
        let router = Router(context: SandboxContext.self)
        router.add(middleware: RequestLogMiddleware(state: state))
        router.add(middleware: ErrorShapeMiddleware(configuration: configuration))
        addControlRoutes(to: router.group("_sandbox"))
        addStorageRoutes(to: router.group("storage/uploads"))
        for prefix in ["", String(SandboxConfiguration.pathPrefix.dropFirst())] {
            let api = router.group(RouterPath(prefix))
                .add(middleware: RedirectMiddleware(configuration: configuration))
                .add(middleware: APIKeyMiddleware(configuration: configuration))
                .add(middleware: RateLimitMiddleware(state: state))
                .add(middleware: ScriptedResponseMiddleware(state: state))
                .add(middleware: FaultInjectionMiddleware(state: state))
            addTaskRoutes(to: api)
            addBatchRoutes(to: api)
            addAssetRoutes(to: api)
            addMultipartUploadRoutes(to: api)
        }
        return router
    }

    /// The request's path without the `/v1.3` prefix: what the platform's paths, the request log and the
    /// error shapes are written in.
    static func apiPath(_ request: Request) -> String {
        var path = request.uri.path
        if path.hasPrefix(SandboxConfiguration.pathPrefix + "/") { path.removeFirst(SandboxConfiguration.pathPrefix.count) }
        return path
    }

    /// What a handler answers, before it is written.
    struct Outcome {
        var status: Int
        var body: Data?
        var headers: [String: String] = [:]
        /// Close the connection instead of answering (storage faults).
        var dropped = false
        /// Answer only after this long (storage faults).
        var delay: Duration?
        var contentType = "application/json"

        /// The response to write.
        var response: Response {
            var fields = HTTPFields()
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields[HTTPField.Name(name)!] = value }
            if body != nil { fields[.contentType] = contentType }
            return Response(status: HTTPResponse.Status(code: status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body ?? Data())))
        }
    }

    /// Writes `outcome`: after its delay, or, when it is dropped, not at all (``RequestLogMiddleware`` closes
    /// the connection).
    func deliver(_ outcome: Outcome, _ context: SandboxContext) async throws -> Response {
        if outcome.dropped { throw SandboxDrop() }
        if let delay = outcome.delay { try await configuration.clock.sleep(for: delay) }
        return outcome.response
    }

    /// The query parameters of `request`, the first of each name.
    static func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where query[String(key)] == nil {
            query[String(key)] = String(value)
        }
        return query
    }

    /// Which page of a list a request asks for.
    struct Paging {
        var page: Int
        var limit: Int

        /// This page of `items`, and its page info.
        func slice<C: Collection>(_ items: C) -> (items: [C.Element], info: PageInfo) {
            (Array(items.dropFirst((page - 1) * limit).prefix(limit)),
             PageInfo(limitPerPage: limit, page: page, totalPage: (items.count + limit - 1) / limit, totalResults: items.count))
        }
    }

    /// `page` (from 1, default 1) and `page_limit` (``PlatformRules/pageLimit``) of a list request, or the 400 to answer.
    func paging(_ query: [String: String]) throws(Refusal) -> Paging {
        let rules = configuration.rules
        let page = query["page"].map { Int($0) } ?? 1
        let limit = query["page_limit"].map { Int($0) } ?? rules.defaultPageLimit
        guard let page, page >= 1 else { throw Refusal(error(400, .parameterInvalid, "page must be an integer of 1 or more.")) }
        guard let limit, rules.pageLimit.contains(limit) else {
            throw Refusal(error(400, .parameterInvalid,
                "page_limit must be an integer between \(rules.pageLimit.lowerBound) and \(rules.pageLimit.upperBound)."))
        }
        return Paging(page: page, limit: limit)
    }

    /// An answer that ends a request early, as an error value.
    struct Refusal: Error {
        var outcome: Outcome
        init(_ outcome: Outcome) { self.outcome = outcome }
    }

    func json(_ status: Int, _ value: some Encodable) -> Outcome {
        Outcome(status: status, body: (try? WireCoding.encoder().encode(value)) ?? Data("{}".utf8))
    }

    /// A ``SandboxError`` as an answer, in the shape of the endpoint being answered.
    func error(_ status: Int, _ code: PlatformErrorCode, _ message: String) -> Outcome {
        SandboxError(status, code, message, shape: ErrorShape.current ?? configuration.errorShape ?? .flat).outcome
    }
}
