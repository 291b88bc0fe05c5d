import AnalyzeAPI
import Foundation
import PlatformRules

/// Checks a `POST /analyze/batches` body the way the platform does, from the raw JSON: the batch's own
/// rules here (one model, one mode, 1–1,000 asset requests, unique `custom_id`s), and each item, merged with
/// the defaults into the single-task body it amounts to, through ``CreateRequestCheck``.
enum BatchRequestCheck {
    /// The typed batch and each item's effective create request, or the rejection to answer.
    static func parse(_ body: Data, rules: PlatformRules) throws(PlatformRejection) -> (CreateAnalyzeBatchRequest, [CreateAsyncAnalyzeRequest]) {
        func invalid(_ message: String) -> PlatformRejection {
            PlatformRejection(status: 400, code: .parameterInvalid, message: message)
        }
        func missing(_ field: String) -> PlatformRejection {
            PlatformRejection(status: 400, code: .parameterNotProvided, message: "The \(field) parameter is required.")
        }
        func unknown(_ object: [String: JSONValue], known: Set<String>, at prefix: String) throws(PlatformRejection) {
            if let name = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw PlatformRejection(status: 400, code: .parameterUnknown, message: "Unknown parameter \(prefix)\(name).")
            }
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body), let object = value.objectValue else {
            throw invalid("The request body must be a JSON object.")
        }
        try unknown(object, known: CreateAnalyzeBatchRequest.knownFields, at: "")
        guard let model = object["model_name"]?.stringValue else { throw missing("model_name") }
        guard model == rules.batches.model else { throw invalid("model_name must be \(rules.batches.model) for batches; got \(model).") }
        guard let mode = object["analysis_mode"]?.stringValue else { throw missing("analysis_mode") }
        guard rules.models[model]?.modes[mode] != nil else { throw invalid("analysis_mode \(mode) is not supported by \(model).") }
        guard case .array(let requests)? = object["requests"] else { throw missing("requests") }
        guard rules.batches.requests.contains(requests.count) else {
            throw invalid("requests must hold \(rules.batches.requests.lowerBound)–\(rules.batches.requests.upperBound) items; got \(requests.count).")
        }
        var defaults: [String: JSONValue] = [:]
        if let given = object["defaults"], given != .null {
            guard let settings = given.objectValue else { throw invalid("defaults must be an object.") }
            try unknown(settings, known: BatchSettings.knownFields, at: "defaults.")
            defaults = settings
        }

        var customIDs: Set<String> = []
        var merged: [CreateAsyncAnalyzeRequest] = []
        for (index, request) in requests.enumerated() {
            let at = "requests[\(index)]"
            guard let item = request.objectValue else { throw invalid("\(at) must be an object.") }
            try unknown(item, known: BatchItemRequest.knownFields, at: at + ".")
            guard let video = item["video"]?.objectValue, video["type"]?.stringValue == "asset_id",
                  let assetID = video["asset_id"]?.stringValue, !assetID.isEmpty else {
                throw invalid("\(at).video must be {\"type\": \"asset_id\", \"asset_id\": ...}: batches take assets only.")
            }
            if let customID = item["custom_id"]?.stringValue, !customIDs.insert(customID).inserted {
                throw invalid("\(at).custom_id \(customID) is used twice; custom_id must be unique within a batch.")
            }
            // The single-task body: the defaults, then the item's own settings; the batch prompt is prompt_v2.
            var single: [String: JSONValue] = ["model_name": .string(model), "analysis_mode": .string(mode)]
            for (key, value) in defaults.merging(item, uniquingKeysWith: { $1 }) {
                single[key == "prompt" ? "prompt_v2" : key] = value
            }
            let data = (try? WireCoding.encoder().encode(JSONValue.object(single))) ?? Data()
            do {
                merged.append(try CreateRequestCheck.parse(data, rules: rules))
            } catch {
                throw PlatformRejection(status: error.status, code: error.code, message: "\(at): \(error.message)")
            }
        }
        do {
            return (try WireCoding.decoder().decode(CreateAnalyzeBatchRequest.self, from: body), merged)
        } catch {
            throw invalid("The request body does not match CreateAnalyzeBatchRequest.")
        }
    }
}
