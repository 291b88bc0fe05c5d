/// The platform's two error body shapes.
public enum ErrorShape: String, Sendable, Hashable, CaseIterable {
    /// `{"code": "...", "message": "..."}`
    case flat
    /// `{"error": {"code": "...", "message": "..."}}`
    case nested

    /// The shape the published contract (`openapi-analyze-assets.json`) gives the errors of an
    /// endpoint: nested for `/analyze/batches*`, `POST /analyze/tasks` and `/analyze/tasks/{id}*`;
    /// flat for `GET /analyze/tasks` (the list), `/assets*` and the multipart-upload endpoints.
    /// An endpoint the contract does not list takes the shape of its family.
    public static func published(method: String, path: String) -> ErrorShape {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if path.hasPrefix("/analyze/") {
            return method == "GET" && path == "/analyze/tasks" ? .flat : .nested
        }
        return .flat
    }

    /// The shape of the request being answered (set by the responder for each request).
    @TaskLocal static var current: ErrorShape?
}
