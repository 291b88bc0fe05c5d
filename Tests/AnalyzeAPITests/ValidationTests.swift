import AnalyzeAPI
import Foundation
import Testing

@Suite struct ValidationTests {
    static let video = VideoContext.url("https://cdn.example.com/a.mp4")

    static func request(_ change: (inout CreateAsyncAnalyzeRequest) -> Void) -> CreateAsyncAnalyzeRequest {
        var request = CreateAsyncAnalyzeRequest(video: video, prompt: "What happens?")
        change(&request)
        return request
    }

    static let cases: [(String, CreateAsyncAnalyzeRequest, [String])] = [
        ("valid", request { _ in }, []),
        ("missing prompt", request { $0.prompt = nil }, ["prompt_missing"]),
        ("blank prompt", request { $0.prompt = "  \n" }, ["prompt_missing"]),
        ("prompt too long", request { $0.prompt = String(repeating: "word ", count: 1300) }, ["prompt_too_long"]),
        ("temperature below", request { $0.temperature = -0.1 }, ["temperature_out_of_range"]),
        ("temperature above", request { $0.temperature = 1.01 }, ["temperature_out_of_range"]),
        ("temperature bounds", request { $0.temperature = 1 }, []),
        ("max tokens zero", request { $0.maxTokens = 0 }, ["max_tokens_out_of_range"]),
        ("max tokens above", request { $0.maxTokens = 4097 }, ["max_tokens_out_of_range"]),
        ("max tokens at limit", request { $0.maxTokens = 4096 }, []),
        ("unlimited on default model", request { $0.maxTokens = .unlimited }, ["max_tokens_unlimited_not_allowed"]),
        ("custom id bad char", request { $0.customID = "has space" }, ["custom_id_invalid"]),
        ("custom id too long", request { $0.customID = String(repeating: "a", count: 65) }, ["custom_id_invalid"]),
        ("custom id empty", request { $0.customID = "" }, ["custom_id_invalid"]),
        ("custom id ok", request { $0.customID = String(repeating: "A_-9", count: 16) }, []),
        ("window too short", request { $0.modelName = "pegasus1.5"; $0.startTime = 5; $0.endTime = 5.5 }, ["time_window_invalid"]),
        ("negative start", request { $0.modelName = "pegasus1.5"; $0.startTime = -1; $0.endTime = 10 }, ["start_time_invalid"]),
        ("empty base64", request { $0.video = .base64String("") }, ["video_base64_empty"]),
        ("two errors", request { $0.temperature = 2; $0.customID = "!" }, ["temperature_out_of_range", "custom_id_invalid"]),
        ("schema keyword", request {
            $0.responseFormat = ResponseFormat(jsonSchema: .object(["type": .string("string"), "maxLength": .integer(5)]))
        }, ["schema_keyword_unsupported"]),
    ]

    @Test(arguments: cases)
    func requestValidation(name: String, request: CreateAsyncAnalyzeRequest, expected: [String]) {
        let errors = RequestValidator().issues(in: request).filter { $0.severity == .error }
        #expect(errors.map(\.code) == expected, "\(name)")
    }

    /// max_tokens is judged by the model and mode of the request, from PlatformRules.
    @Test func maxTokensFollowTheModelAndMode() {
        let validator = RequestValidator()
        #expect(validator.issues(in: Self.request { $0.maxTokens = .unlimited }).map(\.code) == ["max_tokens_unlimited_not_allowed"],
                "the default model (pegasus1.2) has no unlimited")
        #expect(validator.issues(in: Self.request { $0.maxTokens = 4097 }).map(\.code) == ["max_tokens_out_of_range"])
        #expect(validator.issues(in: Self.request { $0.modelName = "pegasus1.5"; $0.maxTokens = 98_304 }).isEmpty)
        #expect(validator.issues(in: Self.request { $0.modelName = "pegasus1.5"; $0.maxTokens = 98_305 }).map(\.code) == ["max_tokens_out_of_range"])
        #expect(validator.issues(in: Self.request { $0.modelName = "pegasus1.5"; $0.maxTokens = 511 }).map(\.code) == ["max_tokens_out_of_range"])
        #expect(validator.issues(in: Self.request { $0.modelName = "pegasus1.6"; $0.analysisMode = "time_based_metadata"; $0.maxTokens = .unlimited; $0.prompt = nil
            $0.responseFormat = ResponseFormat(segmentDefinitions: [SegmentDefinition(id: "scenes", description: "Each scene")]) }).isEmpty)
        #expect(validator.issues(in: Self.request { $0.analysisMode = "time_based_metadata" }).map(\.code) == ["analysis_mode_not_supported"])
        #expect(validator.issues(in: Self.request { $0.startTime = 0; $0.endTime = 10 }).map(\.code) == ["time_window_not_supported"])
        // Segments asked of a model without that mode: the mode is the one mistake, not the missing prompt too.
        let segmentsOnOld = validator.issues(in: Self.request {
            $0.prompt = nil; $0.analysisMode = "time_based_metadata"
            $0.responseFormat = ResponseFormat(segmentDefinitions: [SegmentDefinition(id: "s", description: "Scenes")])
        })
        #expect(segmentsOnOld.map(\.code) == ["analysis_mode_not_supported"] && segmentsOnOld[0].message.contains("pegasus1.5, pegasus1.6"),
                "\(segmentsOnOld)")
        let unknown = validator.issues(in: Self.request { $0.modelName = "pegasus9"; $0.maxTokens = .unlimited })
        #expect(unknown.map(\.code) == ["model_unknown"] && unknown.allSatisfy { $0.severity == .warning },
                "a model this client does not know is the platform's to judge")
    }

    @Test func oversizedBase64IsCaughtByEncodedLength() {
        var policy = RequestPolicy()
        policy.maxBase64Bytes = 8
        let issues = RequestValidator(policy: policy).issues(in: Self.request { $0.video = .base64String("AAAAAAAAAAAA") })
        #expect(issues.map(\.code) == ["video_base64_too_large"])
    }

    @Test func promptCloseToTheLimitWarns() {
        // 1,850 estimated tokens: within 2,000 but above 90 %.
        let prompt = String(repeating: "abc", count: 1850)
        let issues = RequestValidator().issues(in: Self.request { $0.prompt = prompt })
        #expect(issues.map(\.severity) == [.warning])
        #expect(issues.first?.code == "prompt_near_limit")
        #expect(issues.first?.field == "prompt")
    }

    @Test func tokenEstimateIsConservative() {
        #expect(PromptTokenEstimate.tokens(in: "") == 0)
        #expect(PromptTokenEstimate.tokens(in: "abcdef") == 2)
        // Many one-letter words: counted per word, not per three bytes.
        #expect(PromptTokenEstimate.tokens(in: "a b c d e f") == 6)
        // English prose estimates above its real (~4 bytes/token) count.
        let prose = "Describe every product that appears in the video, and when it appears."
        #expect(PromptTokenEstimate.tokens(in: prose) >= prose.utf8.count / 4)
    }

    static let lintCases: [(String, String, [String])] = [
        ("clean", #"{"type":"object","properties":{"name":{"type":"string","description":"d"}},"required":["name"]}"#, []),
        ("minLength", #"{"type":"object","properties":{"name":{"type":"string","minLength":1}}}"#, ["error /properties/name/minLength"]),
        ("maxLength", #"{"type":"string","maxLength":3}"#, ["error /maxLength"]),
        ("additionalProperties false", #"{"type":"object","additionalProperties":false}"#, ["error /additionalProperties"]),
        ("uniqueItems in items", #"{"type":"array","items":{"type":"array","uniqueItems":true}}"#, ["error /items/uniqueItems"]),
        ("maxItems", #"{"type":"array","maxItems":4}"#, ["error /maxItems"]),
        ("minItems 1 ok", #"{"type":"array","minItems":1}"#, []),
        ("minItems 2", #"{"type":"array","minItems":2}"#, ["error /minItems"]),
        ("property named like a keyword", #"{"type":"object","properties":{"maxLength":{"type":"integer"}}}"#, []),
        ("pointer escaping", #"{"type":"object","properties":{"a/b~c":{"type":"string","maxLength":1}}}"#, ["error /properties/a~1b~0c/maxLength"]),
        ("oneOf ignored", #"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#, ["warning /oneOf"]),
        ("not ignored", #"{"type":"string","not":{"const":"x"}}"#, ["warning /not"]),
        ("anyOf walked", #"{"anyOf":[{"type":"string","minLength":2},{"type":"null"}]}"#, ["error /anyOf/0/minLength"]),
        ("range on number", #"{"type":"number","minimum":0}"#, ["warning /minimum"]),
        ("range on integer", #"{"type":"integer","minimum":0,"maximum":9}"#, []),
        ("ref into defs", ##"{"$defs":{"Item":{"type":"string"}},"type":"array","items":{"$ref":"#/$defs/Item"}}"##, []),
        ("ref elsewhere", ##"{"type":"array","items":{"$ref":"#/properties/x"}}"##, ["error /items/$ref"]),
        ("ref to missing def", ##"{"type":"array","items":{"$ref":"#/$defs/Nope"}}"##, ["error /items/$ref"]),
        ("defs walked", #"{"$defs":{"Item":{"type":"string","maxLength":2}}}"#, ["error /$defs/Item/maxLength"]),
        ("prefixItems", #"{"type":"array","prefixItems":[{"type":"string"}]}"#, ["warning /prefixItems"]),
    ]

    @Test(arguments: lintCases)
    func schemaLint(name: String, schema: String, expected: [String]) throws {
        let issues = SchemaLint.issues(in: try jsonValue(schema))
        #expect(issues.map { "\($0.severity.rawValue) \($0.pointer ?? "")" } == expected, "\(name)")
        #expect(issues.allSatisfy { $0.field == "response_format.json_schema" })
    }
}
