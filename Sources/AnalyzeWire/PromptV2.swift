/// `prompt_v2` of a create request, and the prompt of a batch: text that may name reference images,
/// `{"input_text": "Is there a <@tiger-1> in the video?", "media_sources": [...]}`.
public struct PromptV2: Sendable, Hashable, Codable {
    /// The prompt; `<@name>` refers to the media source of that name.
    public var inputText: String
    /// At most 4 reference images.
    public var mediaSources: [MediaSource]?

    /// Creates a value from its fields.
    public init(inputText: String, mediaSources: [MediaSource]? = nil) {
        self.inputText = inputText
        self.mediaSources = mediaSources
    }

    enum CodingKeys: String, CodingKey {
        case inputText = "input_text"
        case mediaSources = "media_sources"
    }
}

/// A reference image: `{"name", "media_type": "image", "url" | "asset_id" | "base64_string"}`.
public struct MediaSource: Sendable, Hashable, Codable {
    /// Where the image's bytes come from.
    public enum Source: Sendable, Hashable {
        /// A direct link to the image.
        case url(String)
        /// An uploaded image asset.
        case assetID(String)
        /// The image's bytes, base64-encoded.
        case base64String(String)
    }

    /// The name a prompt refers to it by (`<@name>`).
    public var name: String
    /// `image`, the only kind published.
    public var mediaType: String
    /// Its bytes.
    public var source: Source

    /// An image called `name`.
    public init(name: String, source: Source, mediaType: String = "image") {
        self.name = name
        self.source = source
        self.mediaType = mediaType
    }

    enum CodingKeys: String, CodingKey {
        case name, url
        case mediaType = "media_type"
        case assetID = "asset_id"
        case base64String = "base64_string"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        mediaType = try container.decodeIfPresent(String.self, forKey: .mediaType) ?? "image"
        if let url = try container.decodeIfPresent(String.self, forKey: .url) {
            source = .url(url)
        } else if let id = try container.decodeIfPresent(String.self, forKey: .assetID) {
            source = .assetID(id)
        } else if let text = try container.decodeIfPresent(String.self, forKey: .base64String) {
            source = .base64String(text)
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .url, in: container, debugDescription: "A media source needs url, asset_id or base64_string.")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(mediaType, forKey: .mediaType)
        switch source {
        case .url(let url): try container.encode(url, forKey: .url)
        case .assetID(let id): try container.encode(id, forKey: .assetID)
        case .base64String(let text): try container.encode(text, forKey: .base64String)
        }
    }
}
