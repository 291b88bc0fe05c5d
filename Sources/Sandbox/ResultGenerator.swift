import AnalyzeAPI
import Foundation

/// A task's deterministic output, computed when the task is created.
struct GeneratedResult: Sendable {
    var data: String
    var finishReason: FinishReason
    var warning: TaskError?
    var usage: TokenUsage
}

/// Produces the sandbox's deterministic results: a sentence for plain-text prompts, and for a `json_schema`
/// response format a document that conforms to the schema; for `segment_definitions`, an object keyed by
/// definition id, each an array of `{"start_time", "end_time", "metadata"}` inside the analysed window, with a
/// value of each field's type, times in the requested `segment_time_format`. Output is cut at `max_tokens` (one token per
/// four UTF-8 bytes), with `finish_reason: "length"` and a warning, as the platform does.
enum ResultGenerator {
    static func result(for request: CreateAsyncAnalyzeRequest) -> GeneratedResult {
        let full: String
        if let definitions = request.responseFormat?.segmentDefinitions {
            let document = segments(definitions, request: request)
            full = String(decoding: (try? WireCoding.encoder().encode(document)) ?? Data("{}".utf8), as: UTF8.self)
        } else if let schema = request.responseFormat?.jsonSchema {
            let document = example(for: schema, root: schema, depth: 0)
            full = String(decoding: (try? WireCoding.encoder().encode(document)) ?? Data("{}".utf8), as: UTF8.self)
        } else {
            let prompt = request.prompt ?? request.promptV2?.inputText ?? ""
            let quoted = prompt.count > 80 ? String(prompt.prefix(80)) + "…" : prompt
            full = "Sandbox analysis of a \(request.video.type) video. Prompt: \"\(quoted)\". "
                + "The video shows a short scene; this text is generated deterministically by the local sandbox."
        }
        let inputTokens = 900 + (request.prompt?.utf8.count ?? 0 + 3) / 4
        let fullTokens = tokens(in: full)
        if case .count(let limit) = request.maxTokens, fullTokens > limit {
            let cut = truncate(full, toBytes: limit * 4)
            return GeneratedResult(
                data: cut, finishReason: .length,
                warning: TaskError(message: "The output reached max_tokens (\(limit)) and was truncated.", code: "max_tokens_reached"),
                usage: TokenUsage(outputTokens: limit, inputTokens: inputTokens))
        }
        return GeneratedResult(
            data: full, finishReason: .stop, warning: nil,
            usage: TokenUsage(outputTokens: fullTokens, inputTokens: inputTokens))
    }

    /// Two segments per definition, in its first time range or the request's window (0–60 s without either).
    static func segments(_ definitions: [SegmentDefinition], request: CreateAsyncAnalyzeRequest) -> JSONValue {
        let timeFormat = request.responseFormat?.segmentTimeFormat ?? "seconds"
        var result: [String: JSONValue] = [:]
        for definition in definitions {
            let range = definition.timeRanges?.first
            let start = range?.startTime ?? request.startTime ?? 0
            let end = range?.endTime ?? request.endTime ?? start + 60
            let middle = start + (end - start) / 2
            result[definition.id] = .array([(start, middle), (middle, end)].map { from, to in
                var metadata: [String: JSONValue] = [:]
                for field in definition.fields {
                    metadata[field.name] = switch field.type {
                    case "array": .array([sample(field.itemType)])
                    case "timestamp": time(from, format: field.format ?? timeFormat)
                    case "string": .string(field.enumValues?.first ?? "sample")
                    default: sample(field.type)
                    }
                }
                return .object(["start_time": time(from, format: timeFormat), "end_time": time(to, format: timeFormat), "metadata": .object(metadata)])
            })
        }
        return .object(result)
    }

    /// A value of a segment field's (or array item's) scalar `type`.
    static func sample(_ type: String?) -> JSONValue {
        switch type {
        case "boolean": .bool(true)
        case "integer": .integer(1)
        case "number": .number(0.5)
        default: .string("sample")
        }
    }

    /// `seconds` as a number, or `hh:mm:ss` / `hh:mm:ss.fff` text.
    static func time(_ seconds: Double, format: String) -> JSONValue {
        guard format != "seconds" else { return .number((seconds * 1000).rounded() / 1000) }
        let millis = Int((seconds * 1000).rounded())
        let text = String(format: "%02d:%02d:%02d", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60)
        return .string(format == "hh:mm:ss.fff" ? text + String(format: ".%03d", millis % 1000) : text)
    }

    static func tokens(in text: String) -> Int {
        (text.utf8.count + 3) / 4
    }

    private static func truncate(_ text: String, toBytes limit: Int) -> String {
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > limit { break }
            result.append(character)
            used += size
        }
        return result
    }

    /// A value conforming to `schema` (within the subset the platform honours).
    static func example(for schema: JSONValue, root: JSONValue, depth: Int) -> JSONValue {
        guard depth < 16, let object = schema.objectValue else { return .null }
        if let constant = object["const"] { return constant }
        if let options = object["enum"]?.arrayValue, let first = options.first { return first }
        if let reference = object["$ref"]?.stringValue, reference.hasPrefix("#/$defs/") {
            let name = String(reference.dropFirst("#/$defs/".count))
                .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            return example(for: root["$defs"]?[name] ?? .null, root: root, depth: depth + 1)
        }
        if let branches = object["anyOf"]?.arrayValue {
            // The first branch that is not just `null`, so the document says something.
            let branch = branches.first { $0["type"]?.stringValue != "null" } ?? branches.first
            if let branch { return example(for: branch, root: root, depth: depth + 1) }
        }
        let type: String? = object["type"]?.stringValue
            ?? object["type"]?.arrayValue?.compactMap(\.stringValue).first { $0 != "null" }
            ?? (object["properties"] != nil ? "object" : object["items"] != nil ? "array" : nil)
        switch type {
        case "object":
            var members: [String: JSONValue] = [:]
            for (name, sub) in object["properties"]?.objectValue ?? [:] {
                members[name] = example(for: sub, root: root, depth: depth + 1)
            }
            return .object(members)
        case "array":
            let count = max(1, Int(object["minItems"]?.numberValue ?? 1))
            let item = example(for: object["items"] ?? .object([:]), root: root, depth: depth + 1)
            return .array(Array(repeating: item, count: count))
        case "string":
            switch object["format"]?.stringValue {
            case "date-time": return .string("2026-01-01T00:00:00Z")
            case "date": return .string("2026-01-01")
            case "uri": return .string("https://example.com/")
            default: return .string("sample")
            }
        case "integer":
            let minimum = object["minimum"]?.numberValue
                ?? object["exclusiveMinimum"]?.numberValue.map { $0.rounded(.down) + 1 }
            let maximum = object["maximum"]?.numberValue
                ?? object["exclusiveMaximum"]?.numberValue.map { $0.rounded(.up) - 1 }
            var value = minimum.map { Int($0.rounded(.up)) } ?? 1
            if let maximum, Double(value) > maximum { value = Int(maximum.rounded(.down)) }
            return .integer(value)
        case "number":
            return .number(0.5)
        case "boolean":
            return .bool(true)
        case "null":
            return .null
        default:
            return .string("sample")
        }
    }
}
