/// The delivery state of one webhook of a task.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    /// The webhook endpoint.
    public var url: String
    /// Whether a delivery succeeded.
    public var delivered: Bool
    /// Delivery attempts so far.
    public var attempts: Int
    /// Why the last attempt failed, if it did.
    public var lastError: String?

    /// Creates a value from its fields.
    public init(url: String, delivered: Bool, attempts: Int, lastError: String? = nil) {
        self.url = url
        self.delivered = delivered
        self.attempts = attempts
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case url, delivered, attempts
        case lastError = "last_error"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodeIfPresent(String.self, forKey: .url) ?? ""
        delivered = try container.decodeIfPresent(Bool.self, forKey: .delivered) ?? false
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
    }
}
