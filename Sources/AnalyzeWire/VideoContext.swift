/// The one video source of an analysis request, discriminated on the wire by `type`.
///
/// ```json
/// {"type": "url", "url": "https://example.com/clip.mp4"}
/// {"type": "asset_id", "asset_id": "6710f6f6c1d3e2a8b9c0d1e2"}
/// {"type": "base64_string", "base64_string": "AAAAIGZ0eXBpc29t..."}
/// ```
public enum VideoContext: Sendable, Hashable, Codable {
    /// A direct link to a raw media file.
    case url(String)
    /// An uploaded asset; it must be `ready`.
    case assetID(String)
    /// The whole file, base64-encoded (at most 30 MB of encoded text).
    case base64String(String)

    /// The wire name of the source kind (`url`, `asset_id`, `base64_string`).
    public var type: String {
        switch self {
        case .url: "url"
        case .assetID: "asset_id"
        case .base64String: "base64_string"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case type, url
        case assetID = "asset_id"
        case base64String = "base64_string"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "url": self = .url(try container.decode(String.self, forKey: .url))
        case "asset_id": self = .assetID(try container.decode(String.self, forKey: .assetID))
        case "base64_string": self = .base64String(try container.decode(String.self, forKey: .base64String))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown video source type \"\(type)\".")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .url(let url): try container.encode(url, forKey: .url)
        case .assetID(let id): try container.encode(id, forKey: .assetID)
        case .base64String(let text): try container.encode(text, forKey: .base64String)
        }
    }
}
