/// The platform's two error body shapes.
public enum ErrorShape: String, Sendable, Hashable {
    /// `{"code": "...", "message": "..."}`
    case flat
    /// `{"error": {"code": "...", "message": "..."}}`
    case nested
}
