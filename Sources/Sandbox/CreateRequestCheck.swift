import AnalyzeAPI
import Foundation

/// A rejection the sandbox answers with, in the platform's terms.
struct PlatformRejection: Error {
    var status: Int
    var code: String
    var message: String
}

/// Checks a create body the way the platform does, from the raw JSON, so that each mistake gets the
/// platform's status and error code (and the client's own validation is not what is being tested).
enum CreateRequestCheck {
    static func parse(_ body: Data, allowUnknownFields: Bool = false) throws(PlatformRejection) -> CreateAsyncAnalyzeRequest {
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
        if type == "base64_string", source.utf8.count > 30_000_000 {
            throw PlatformRejection(status: 400, code: "video_file_too_large", message: "The base64 video exceeds 30 MB.")
        }

        guard let prompt = object["prompt"]?.stringValue, !prompt.allSatisfy(\.isWhitespace) else { throw missing("prompt") }
        if (prompt.utf8.count + 3) / 4 > 2000 {
            throw PlatformRejection(status: 400, code: "token_limit_exceeded", message: "The prompt exceeds 2000 tokens.")
        }
        if let temperature = object["temperature"] {
            guard let number = temperature.numberValue, (0...1).contains(number) else {
                throw invalid("temperature must be a number between 0 and 1.")
            }
        }
        if let maxTokens = object["max_tokens"] {
            let extended = object["model_name"]?.stringValue.map { $0 != "pegasus1.2" } ?? false
            switch maxTokens {
            case .integer(let count) where count >= 1 && count <= (extended ? 98_304 : 4096): break
            case .string("unlimited") where extended: break
            default: throw invalid("max_tokens must be an integer between 1 and \(extended ? 98_304 : 4096).")
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
        if let start = object["start_time"]?.numberValue, let end = object["end_time"]?.numberValue,
           !(end - start >= 1 && end - start <= 7200) {
            throw invalid("end_time - start_time must be between 1 s and 2 h.")
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
