import AnalyzeAPI
import Foundation
import PlatformRules

/// A rejection the sandbox answers with, in the platform's terms.
struct PlatformRejection: Error {
    var status: Int
    var code: String
    var message: String
}

/// Checks a create body the way the platform does, from the raw JSON, so that each mistake gets the
/// platform's status and error code (and the client's own validation is not what is being tested).
/// The limits are ``PlatformRules``, the same data the client validates with; the code that applies
/// them is this one, and a test runs every rule through both.
enum CreateRequestCheck {
    static func parse(_ body: Data, rules: PlatformRules = .current) throws(PlatformRejection) -> CreateAsyncAnalyzeRequest {
        func invalid(_ message: String) -> PlatformRejection {
            PlatformRejection(status: 400, code: "parameter_invalid", message: message)
        }
        func missing(_ field: String) -> PlatformRejection {
            PlatformRejection(status: 400, code: "parameter_not_provided", message: "The \(field) parameter is required.")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body), let object = value.objectValue else {
            throw invalid("The request body must be a JSON object.")
        }
        if let unknown = object.keys.sorted().first(where: { !CreateAsyncAnalyzeRequest.knownFields.contains($0) }) {
            throw PlatformRejection(status: 400, code: "parameter_unknown", message: "Unknown parameter \(unknown).")
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
            throw PlatformRejection(status: 400, code: "video_file_too_large",
                                    message: "The base64 video exceeds \(rules.sizes.inlineBase64Bytes / 1_000_000) MB.")
        }

        guard let prompt = object["prompt"]?.stringValue, !prompt.allSatisfy(\.isWhitespace) else { throw missing("prompt") }
        // The platform counts with its tokenizer; the sandbox uses the client's conservative estimate so
        // that the two agree at the limit.
        if PromptTokenEstimate.tokens(in: prompt) > rules.request.maxPromptTokens {
            throw PlatformRejection(status: 400, code: "token_limit_exceeded", message: "The prompt exceeds \(rules.request.maxPromptTokens) tokens.")
        }
        if let temperature = object["temperature"] {
            guard let number = temperature.numberValue, rules.request.temperature.contains(number) else {
                throw invalid("temperature must be a number between \(rules.request.temperature.lowerBound) and \(rules.request.temperature.upperBound).")
            }
        }
        let modelName = object["model_name"]?.stringValue ?? rules.defaultModel
        guard let model = rules.models[modelName] else {
            throw invalid("model_name must be one of \(rules.models.keys.sorted().joined(separator: ", ")); got \(modelName).")
        }
        let mode = object["analysis_mode"]?.stringValue ?? rules.defaultMode
        guard let modeRules = model.modes[mode] else {
            throw invalid("analysis_mode \(mode) is not supported by \(modelName).")
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
        if let end = object["end_time"]?.numberValue {
            let start = object["start_time"]?.numberValue ?? 0
            guard rules.request.window.contains(end - start) else {
                throw invalid("end_time - start_time must be between \(Int(rules.request.window.lowerBound)) s and \(Int(rules.request.window.upperBound)) s.")
            }
        }
        if let format = object["response_format"], format != .null {
            guard format["type"]?.stringValue == "json_schema" else { throw invalid("response_format.type must be json_schema.") }
            guard let schema = format["json_schema"], schema.objectValue != nil else {
                throw invalid("response_format.json_schema must be a JSON Schema object.")
            }
            if let first = SchemaLint.errors(in: schema).first {
                throw PlatformRejection(
                    status: 422, code: "response_format_invalid",
                    message: "Unsupported JSON Schema construct at \(first.pointer ?? ""): \(first.message)")
            }
        }
        do {
            return try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: body)
        } catch {
            throw invalid("The request body does not match CreateAsyncAnalyzeRequest.")
        }
    }
}
