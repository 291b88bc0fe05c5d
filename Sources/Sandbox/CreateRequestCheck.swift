import AnalyzeAPI
import Foundation
import PlatformRules

/// A rejection the sandbox answers with, in the platform's terms.
struct PlatformRejection: Error {
    var status: Int
    var code: PlatformErrorCode
    var message: String
}

/// Checks a create body the way the platform does, from the raw JSON, so that each mistake gets the
/// platform's status and error code (and the client's own validation is not what is being tested).
/// The limits are ``PlatformRules``, the same data the client validates with; the code that applies
/// them is this one, and a test runs every rule through both.
enum CreateRequestCheck {
    static func parse(_ body: Data, rules: PlatformRules = .current) throws(PlatformRejection) -> CreateAsyncAnalyzeRequest {
        func invalid(_ message: String) -> PlatformRejection {
            PlatformRejection(status: 400, code: .parameterInvalid, message: message)
        }
        func missing(_ field: String) -> PlatformRejection {
            PlatformRejection(status: 400, code: .parameterNotProvided, message: "The \(field) parameter is required.")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body), let object = value.objectValue else {
            throw invalid("The request body must be a JSON object.")
        }
        if let unknown = object.keys.sorted().first(where: { !CreateAsyncAnalyzeRequest.knownFields.contains($0) }) {
            throw PlatformRejection(status: 400, code: .parameterUnknown, message: "Unknown parameter \(unknown).")
        }

        guard let videoValue = object["video"], videoValue != .null else { throw missing("video") }
        guard let video = videoValue.objectValue else { throw invalid("video must be an object.") }
        guard let type = video["type"]?.stringValue else { throw missing("video.type") }
        let sources = ["url", "asset_id", "base64_string"].filter { video[$0] != nil && video[$0] != .null }
        guard ["url", "asset_id", "base64_string"].contains(type) else {
            throw invalid("video.type must be one of url, asset_id, base64_string; got \(type).")
        }
        if sources.count > 1 { throw invalid("video must have exactly one source; got \(sources.joined(separator: ", ")).") }
        guard let source = video[type]?.stringValue, !source.isEmpty else { throw missing("video.\(type)") }
        if type == "base64_string", Int64(source.utf8.count) > rules.sizes.inlineBase64Bytes {
            throw PlatformRejection(status: 400, code: .videoFileTooLarge,
                                    message: "The base64 video exceeds \(rules.sizes.inlineBase64Bytes / 1_000_000) MB.")
        }

        let modelName = object["model_name"]?.stringValue ?? rules.defaultModel
        guard let model = rules.models[modelName] else {
            throw invalid("model_name must be one of \(rules.models.keys.sorted().joined(separator: ", ")); got \(modelName).")
        }
        let mode = object["analysis_mode"]?.stringValue ?? rules.defaultMode
        guard let modeRules = model.modes[mode] else {
            throw invalid("analysis_mode \(mode) is not supported by \(modelName).")
        }

        // The platform counts with its tokenizer; the sandbox uses the client's conservative estimate so
        // that the two agree at the limit.
        func checkLength(_ prompt: String) throws(PlatformRejection) {
            if PromptTokenEstimate.tokens(in: prompt) > rules.request.maxPromptTokens {
                throw PlatformRejection(status: 400, code: .tokenLimitExceeded, message: "The prompt exceeds \(rules.request.maxPromptTokens) tokens.")
            }
        }
        let prompt = object["prompt"]?.stringValue.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        let promptV2Given = object["prompt_v2"].map { $0 != .null } ?? false
        if modeRules.segmentDefinitions {
            if prompt != nil || promptV2Given { throw invalid("analysis_mode \(mode) does not take prompt or prompt_v2.") }
        } else if let promptV2 = object["prompt_v2"], promptV2 != .null {
            if prompt != nil { throw invalid("prompt and prompt_v2 are mutually exclusive.") }
            guard model.promptV2 else { throw invalid("\(modelName) does not take prompt_v2.") }
            guard let text = promptV2["input_text"]?.stringValue, !text.allSatisfy(\.isWhitespace) else { throw missing("prompt_v2.input_text") }
            try checkLength(text)
            try checkMediaSources(promptV2["media_sources"], field: "prompt_v2.media_sources", rules: rules)
        } else if let prompt {
            try checkLength(prompt)
        } else {
            throw missing("prompt")
        }
        for field in ["min_segment_duration", "max_segment_duration"] {
            guard let value = object[field] else { continue }
            guard modeRules.segmentDefinitions else { throw invalid("\(field) is only for analysis_mode time_based_metadata.") }
            guard let seconds = value.numberValue, seconds >= rules.request.minSegmentSeconds else {
                throw invalid("\(field) must be a number of at least \(Int(rules.request.minSegmentSeconds)) seconds.")
            }
        }
        if let low = object["min_segment_duration"]?.numberValue, let high = object["max_segment_duration"]?.numberValue, high < low {
            throw invalid("max_segment_duration must be at least min_segment_duration.")
        }
        if let temperature = object["temperature"] {
            guard let number = temperature.numberValue, rules.request.temperature.contains(number) else {
                throw invalid("temperature must be a number between \(rules.request.temperature.lowerBound) and \(rules.request.temperature.upperBound).")
            }
        }
        if let maxTokens = object["max_tokens"] {
            switch maxTokens {
            case .integer(let count) where modeRules.maxTokens.contains(count): break
            case .string("unlimited") where modeRules.unlimited: break
            default:
                throw invalid("max_tokens must be an integer between \(modeRules.maxTokens.lowerBound) and \(modeRules.maxTokens.upperBound) for \(modelName) (\(mode)).")
            }
        }
        if let customID = object["custom_id"], customID != .null {
            guard let text = customID.stringValue, RequestValidator.isValidCustomID(text) else {
                throw invalid("custom_id must be 1-64 characters of letters, digits, '_' or '-'.")
            }
        }
        for field in ["start_time", "end_time"] {
            if let time = object[field], time.numberValue == nil || time.numberValue! < 0 {
                throw invalid("\(field) must be a non-negative number of seconds.")
            }
        }
        if object["start_time"] != nil || object["end_time"] != nil, !model.clipWindow {
            throw invalid("\(modelName) does not take start_time or end_time.")
        }
        if let end = object["end_time"]?.numberValue, let start = object["start_time"]?.numberValue {
            guard rules.request.window.contains(end - start) else {
                throw invalid("end_time - start_time must be between \(Int(rules.request.window.lowerBound)) s and \(Int(rules.request.window.upperBound)) s.")
            }
        }
        let format = object["response_format"].flatMap { $0 == .null ? nil : $0 }
        if modeRules.segmentDefinitions {
            guard let format, format["type"]?.stringValue == "segment_definitions" else {
                throw invalid("analysis_mode \(mode) needs response_format of type segment_definitions.")
            }
            try checkSegments(format, windowed: object["start_time"] != nil || object["end_time"] != nil,
                              segmentDurations: object["min_segment_duration"] != nil || object["max_segment_duration"] != nil, rules: rules)
        } else if let format {
            guard format["type"]?.stringValue == "json_schema" else { throw invalid("response_format.type must be json_schema for analysis_mode \(mode).") }
            guard let schema = format["json_schema"], schema.objectValue != nil else {
                throw invalid("response_format.json_schema must be a JSON Schema object.")
            }
            if let first = SchemaLint.errors(in: schema).first {
                throw PlatformRejection(
                    status: 422, code: .responseFormatInvalid,
                    message: "Unsupported JSON Schema construct at \(first.pointer ?? ""): \(first.message)")
            }
        }
        do {
            return try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: body)
        } catch {
            throw invalid("The request body does not match CreateAsyncAnalyzeRequest.")
        }
    }

    private static func invalid(_ message: String) -> PlatformRejection {
        PlatformRejection(status: 400, code: .parameterInvalid, message: message)
    }

    static func checkMediaSources(_ value: JSONValue?, field: String, rules: PlatformRules) throws(PlatformRejection) {
        guard let value, value != .null else { return }
        guard case .array(let sources) = value else { throw invalid("\(field) must be an array.") }
        if sources.count > rules.request.maxMediaSources { throw invalid("\(field) takes at most \(rules.request.maxMediaSources) media sources.") }
        var names: Set<String> = []
        for (index, source) in sources.enumerated() {
            guard let name = source["name"]?.stringValue, !name.isEmpty else { throw invalid("\(field)[\(index)].name is required.") }
            guard names.insert(name).inserted else { throw invalid("\(field)[\(index)].name \(name) is used twice.") }
            guard source["media_type"]?.stringValue == "image" else { throw invalid("\(field)[\(index)].media_type must be image.") }
            let given = ["url", "asset_id", "base64_string"].filter { source[$0]?.stringValue.map { !$0.isEmpty } ?? false }
            guard given.count == 1 else { throw invalid("\(field)[\(index)] needs exactly one of url, asset_id, base64_string.") }
        }
    }

    private static func checkSegments(_ format: JSONValue, windowed: Bool, segmentDurations: Bool, rules: PlatformRules) throws(PlatformRejection) {
        let limits = rules.request
        if let timeFormat = format["segment_time_format"], !limits.segmentTimeFormats.contains(timeFormat.stringValue ?? "") {
            throw invalid("segment_time_format must be one of \(limits.segmentTimeFormats.sorted().joined(separator: ", ")).")
        }
        guard case .array(let definitions)? = format["segment_definitions"], limits.segmentDefinitions.contains(definitions.count) else {
            throw invalid("response_format.segment_definitions must hold \(limits.segmentDefinitions.lowerBound)–\(limits.segmentDefinitions.upperBound) definitions.")
        }
        var ids: Set<String> = []
        for (index, definition) in definitions.enumerated() {
            let at = "segment_definitions[\(index)]"
            guard let id = definition["id"]?.stringValue, !id.isEmpty, ids.insert(id).inserted else { throw invalid("\(at).id must be given and unique.") }
            guard let description = definition["description"]?.stringValue, !description.allSatisfy(\.isWhitespace) else {
                throw invalid("\(at).description is required.")
            }
            if case .array(let fields)? = definition["fields"] {
                for (number, field) in fields.enumerated() {
                    guard let name = field["name"]?.stringValue, !name.isEmpty else { throw invalid("\(at).fields[\(number)].name is required.") }
                    if limits.reservedSegmentFieldNames.contains(name) { throw invalid("\(at).fields[\(number)].name \(name) is reserved.") }
                    guard let text = field["description"]?.stringValue, !text.allSatisfy(\.isWhitespace) else {
                        throw PlatformRejection(status: 400, code: .parameterNotProvided, message: "\(at).fields[\(number)].description is required.")
                    }
                    let type = field["type"]?.stringValue ?? ""
                    if type == "timestamp", field["format"] == nil { throw invalid("\(at).fields[\(number)] is a timestamp and needs a format.") }
                    guard limits.segmentFieldTypes.contains(type) else { throw invalid("\(at).fields[\(number)].type \(type) is not supported.") }
                    if let fieldFormat = field["format"], type != "timestamp" || !limits.segmentTimeFormats.contains(fieldFormat.stringValue ?? "") {
                        throw invalid("\(at).fields[\(number)].format is only for timestamp fields.")
                    }
                    if type == "array", !limits.segmentItemTypes.contains(field["items"]?["type"]?.stringValue ?? "") {
                        throw invalid("\(at).fields[\(number)].items.type is required for an array field.")
                    }
                }
            }
            try checkMediaSources(definition["media_sources"], field: "\(at).media_sources", rules: rules)
            if case .array(let ranges)? = definition["time_ranges"] {
                if windowed, !ranges.isEmpty { throw invalid("\(at).time_ranges and start_time/end_time are mutually exclusive.") }
                var seen: [(Double, Double)] = []
                for range in ranges {
                    guard let start = range["start_time"]?.numberValue, let end = range["end_time"]?.numberValue, start >= 0,
                          end - start >= limits.minSegmentSeconds else {
                        throw invalid("\(at).time_ranges need 0 ≤ start_time and at least \(Int(limits.minSegmentSeconds)) s each.")
                    }
                    if seen.contains(where: { $0.0 < end && start < $0.1 }) { throw invalid("\(at).time_ranges overlap.") }
                    seen.append((start, end))
                }
                if !ranges.isEmpty, segmentDurations {
                    throw invalid("\(at).time_ranges and min_segment_duration/max_segment_duration are mutually exclusive.")
                }
            }
        }
    }
}
