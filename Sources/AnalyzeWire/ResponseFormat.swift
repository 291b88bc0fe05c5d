/// `response_format`: either a JSON document conforming to a JSON Schema (2020-12), for general analysis,
/// or time-stamped segments (`segment_definitions`), for `time_based_metadata`.
///
/// The raw schema sits directly under `json_schema`, with no name or strict wrapper:
/// `{"type": "json_schema", "json_schema": {"type": "object", ...}}`. Lint it with AnalyzeAPI's `SchemaLint` before sending.
public struct ResponseFormat: Sendable, Hashable, Codable {
    /// The wire `type` of a JSON Schema format.
    public static let jsonSchemaType = "json_schema"
    /// The wire `type` of a segment-definitions format.
    public static let segmentDefinitionsType = "segment_definitions"

    /// `json_schema` or `segment_definitions` (other strings are kept, and refused by validation).
    public var type: String
    /// The raw JSON Schema, for `json_schema`.
    public var jsonSchema: JSONValue?
    /// What to find, for `segment_definitions`: 1–20 definitions.
    public var segmentDefinitions: [SegmentDefinition]?
    /// How segment times are written in the result: `seconds` (the platform's default), `hh:mm:ss` or `hh:mm:ss.fff`.
    public var segmentTimeFormat: String?

    /// A `json_schema` response format.
    public init(jsonSchema: JSONValue) {
        type = Self.jsonSchemaType
        self.jsonSchema = jsonSchema
    }

    /// A `segment_definitions` response format.
    public init(segmentDefinitions: [SegmentDefinition], timeFormat: String? = nil) {
        type = Self.segmentDefinitionsType
        self.segmentDefinitions = segmentDefinitions
        segmentTimeFormat = timeFormat
    }

    private enum CodingKeys: String, CodingKey {
        case type
        case jsonSchema = "json_schema"
        case segmentDefinitions = "segment_definitions"
        case segmentTimeFormat = "segment_time_format"
    }
}

/// One kind of segment to find in `time_based_metadata` analysis, and the fields to fill for each.
public struct SegmentDefinition: Sendable, Hashable, Codable {
    /// The key of this definition's segments in the result.
    public var id: String
    /// What a segment of this kind is.
    public var description: String
    /// The metadata to extract for each segment.
    public var fields: [SegmentField]
    /// Reference images this definition refers to.
    public var mediaSources: [MediaSource]?
    /// Only look in these parts of the video (exclusive with the request's `start_time`/`end_time`).
    public var timeRanges: [TimeRange]?

    /// Creates a value from its fields.
    public init(id: String, description: String, fields: [SegmentField] = [], mediaSources: [MediaSource]? = nil, timeRanges: [TimeRange]? = nil) {
        self.id = id
        self.description = description
        self.fields = fields
        self.mediaSources = mediaSources
        self.timeRanges = timeRanges
    }

    enum CodingKeys: String, CodingKey {
        case id, description, fields
        case mediaSources = "media_sources"
        case timeRanges = "time_ranges"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        fields = try container.decodeIfPresent([SegmentField].self, forKey: .fields) ?? []
        mediaSources = try container.decodeIfPresent([MediaSource].self, forKey: .mediaSources)
        timeRanges = try container.decodeIfPresent([TimeRange].self, forKey: .timeRanges)
    }
}

/// One metadata field of a ``SegmentDefinition``.
public struct SegmentField: Sendable, Hashable, Codable {
    /// The field's key in each segment's `metadata`.
    public var name: String
    /// `string`, `boolean`, `number`, `integer`, `array` or `timestamp`.
    public var type: String
    /// What to put in it.
    public var description: String?
    /// For `timestamp`: `seconds`, `hh:mm:ss` or `hh:mm:ss.fff`.
    public var format: String?
    /// The allowed values of a `string` field.
    public var enumValues: [String]?
    /// For `array`: the type of its items (`string`, `number`, `boolean`, `integer`).
    public var itemType: String?

    /// Creates a value from its fields.
    public init(name: String, type: String, description: String? = nil, format: String? = nil, enumValues: [String]? = nil, itemType: String? = nil) {
        self.name = name
        self.type = type
        self.description = description
        self.format = format
        self.enumValues = enumValues
        self.itemType = itemType
    }

    enum CodingKeys: String, CodingKey {
        case name, type, description, format, items
        case enumValues = "enum"
    }

    private struct Items: Codable { var type: String }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(String.self, forKey: .type)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        format = try container.decodeIfPresent(String.self, forKey: .format)
        enumValues = try container.decodeIfPresent([String].self, forKey: .enumValues)
        itemType = try container.decodeIfPresent(Items.self, forKey: .items)?.type
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(enumValues, forKey: .enumValues)
        try container.encodeIfPresent(itemType.map(Items.init), forKey: .items)
    }
}

/// A part of a video, in seconds of its own timeline.
public struct TimeRange: Sendable, Hashable, Codable {
    /// Where it starts.
    public var startTime: Double
    /// Where it ends.
    public var endTime: Double

    /// Creates a value from its fields.
    public init(startTime: Double, endTime: Double) {
        self.startTime = startTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case startTime = "start_time"
        case endTime = "end_time"
    }
}
