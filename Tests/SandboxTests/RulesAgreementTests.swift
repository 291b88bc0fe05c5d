import AnalyzeAPI
import Foundation
import PlatformRules
import Sandbox
import Testing

/// Every rule of the ``PlatformRules`` table, at and across its bounds, through both the client's
/// `RequestValidator` and the sandbox's create check over HTTP: the same verdict each time. The
/// data is shared; the code that applies it is not, so a disagreement is a bug in one of them.
@Suite(.timeLimit(.minutes(2))) struct RulesAgreementTests {
    /// The rules under test: the current ones, with a small inline limit so the base64 bound is cheap.
    static let rules: PlatformRules = {
        var rules = PlatformRules.current
        rules.sizes.inlineBase64Bytes = 64
        return rules
    }()

    /// A valid `segment_definitions` response format.
    nonisolated(unsafe) static let segments: [String: Any] = ["type": "segment_definitions", "segment_definitions": [["id": "scenes", "description": "Each scene"]]]

    /// One create body per rule and bound, named for the failure message.
    static func cases() -> [(String, [String: Any])] {
        var cases: [(String, [String: Any])] = []
        func body(_ extra: [String: Any], video: [String: Any] = ["type": "url", "url": "https://cdn.example.com/a.mp4"]) -> [String: Any] {
            ["video": video, "prompt": "What is shown?"].merging(extra) { $1 }.filter { !($0.value is NSNull) }
        }
        for model in rules.models.values.sorted(by: { $0.name < $1.name }) {
            for (mode, limits) in model.modes.sorted(by: { $0.key < $1.key }) {
                var base: [String: Any] = ["model_name": model.name, "analysis_mode": mode]
                if limits.segmentDefinitions {
                    base["response_format"] = segments
                    base["prompt"] = NSNull()
                }
                for tokens in [limits.maxTokens.lowerBound - 1, limits.maxTokens.lowerBound, limits.defaultMaxTokens,
                               limits.maxTokens.upperBound, limits.maxTokens.upperBound + 1] {
                    cases.append(("\(model.name) \(mode) max_tokens \(tokens)", body(base.merging(["max_tokens": tokens]) { $1 })))
                }
                cases.append(("\(model.name) \(mode) unlimited", body(base.merging(["max_tokens": "unlimited"]) { $1 })))
                cases.append(("\(model.name) \(mode) no max_tokens", body(base)))
            }
            cases.append(("\(model.name) unknown mode", body(["model_name": model.name, "analysis_mode": "bogus_mode"])))
            let window = rules.request.window
            for (start, end) in [(0.0, window.lowerBound), (10, 10 + window.lowerBound - 0.5), (0, window.upperBound), (0, window.upperBound + 1), (-1, 5)] {
                cases.append(("\(model.name) window \(start)…\(end)", body(["model_name": model.name, "start_time": start, "end_time": end])))
            }
            cases.append(("\(model.name) start only", body(["model_name": model.name, "start_time": 3])))
            cases.append(("\(model.name) end only", body(["model_name": model.name, "end_time": 9000])))
        }
        // prompt_v2 and reference images; segment definitions and durations.
        let v2: [String: Any] = ["model_name": "pegasus1.5", "prompt": NSNull()]
        let image: [String: Any] = ["name": "logo", "media_type": "image", "url": "https://cdn.example.com/logo.png"]
        func named(_ name: String) -> [String: Any] { image.merging(["name": name]) { $1 } }
        cases.append(("prompt_v2", body(v2.merging(["prompt_v2": ["input_text": "Is <@logo> shown?", "media_sources": [image]]]) { $1 })))
        cases.append(("prompt_v2 and prompt", body(["model_name": "pegasus1.5", "prompt_v2": ["input_text": "x"]])))
        cases.append(("prompt_v2 on pegasus1.2", body(["model_name": "pegasus1.2", "prompt": NSNull(), "prompt_v2": ["input_text": "x"]])))
        cases.append(("prompt_v2 without text", body(v2.merging(["prompt_v2": ["input_text": " "]]) { $1 })))
        for count in [rules.request.maxMediaSources, rules.request.maxMediaSources + 1] {
            cases.append(("\(count) media sources", body(v2.merging(["prompt_v2": ["input_text": "x", "media_sources": (0..<count).map { named("i\($0)") }]]) { $1 })))
        }
        cases.append(("media sources with one name twice", body(v2.merging(["prompt_v2": ["input_text": "x", "media_sources": [image, image]]]) { $1 })))
        cases.append(("a media source that is not an image", body(v2.merging(["prompt_v2": ["input_text": "x", "media_sources": [image.merging(["media_type": "video"]) { $1 }]]]) { $1 })))
        let tbm: [String: Any] = ["model_name": "pegasus1.5", "analysis_mode": "time_based_metadata", "prompt": NSNull()]
        cases.append(("time_based_metadata without a prompt", body(tbm.merging(["response_format": segments]) { $1 })))
        cases.append(("time_based_metadata with a prompt", body(tbm.merging(["response_format": segments, "prompt": "x"]) { $1 })))
        cases.append(("time_based_metadata with prompt_v2", body(tbm.merging(["response_format": segments, "prompt_v2": ["input_text": "x"]]) { $1 })))
        cases.append(("time_based_metadata without segments", body(tbm)))
        cases.append(("time_based_metadata with a json_schema", body(tbm.merging(["response_format": ["type": "json_schema", "json_schema": ["type": "object"]]]) { $1 })))
        cases.append(("segments in general mode", body(["model_name": "pegasus1.5", "response_format": segments])))
        func definitions(_ list: [[String: Any]], format: String? = nil) -> [String: Any] {
            var value: [String: Any] = ["type": "segment_definitions", "segment_definitions": list]
            if let format { value["segment_time_format"] = format }
            return tbm.merging(["response_format": value]) { $1 }
        }
        let scene: [String: Any] = ["id": "scenes", "description": "Each scene"]
        for count in [rules.request.segmentDefinitions.lowerBound - 1, rules.request.segmentDefinitions.upperBound, rules.request.segmentDefinitions.upperBound + 1] {
            cases.append(("\(count) segment definitions", body(definitions((0..<count).map { scene.merging(["id": "d\($0)"]) { $1 } }))))
        }
        cases.append(("segment ids twice", body(definitions([scene, scene]))))
        cases.append(("a segment definition without a description", body(definitions([["id": "x", "description": ""]]))))
        for format in rules.request.segmentTimeFormats.sorted() + ["minutes"] {
            cases.append(("segment_time_format \(format)", body(definitions([scene], format: format))))
        }
        let fields: [(String, [String: Any])] = [
            ("a string field", ["name": "who", "type": "string", "enum": ["a", "b"]]),
            ("a timestamp field", ["name": "at", "type": "timestamp", "format": "hh:mm:ss"]),
            ("a timestamp field without a format", ["name": "at", "type": "timestamp"]),
            ("a format on a string field", ["name": "who", "type": "string", "format": "seconds"]),
            ("an array field", ["name": "tags", "type": "array", "items": ["type": "string"]]),
            ("an array field without items", ["name": "tags", "type": "array"]),
            ("an unknown field type", ["name": "x", "type": "object"]),
            ("a field without a name", ["name": "", "type": "string"]),
            ("a field with a reserved name", ["name": "metadata", "type": "string"]),
        ]
        for (name, field) in fields {
            let described = field.merging(["description": "What it is"]) { $1 }
            cases.append((name, body(definitions([scene.merging(["fields": [described]]) { $1 }]))))
        }
        cases.append(("a field without a description", body(definitions([scene.merging(["fields": [["name": "who", "type": "string"]]]) { $1 }]))))
        cases.append(("time ranges", body(definitions([scene.merging(["time_ranges": [["start_time": 0, "end_time": 30]]]) { $1 }]))))
        cases.append(("an empty time range", body(definitions([scene.merging(["time_ranges": [["start_time": 30, "end_time": 30]]]) { $1 }]))))
        cases.append(("a time range of 1 s", body(definitions([scene.merging(["time_ranges": [["start_time": 30, "end_time": 31]]]) { $1 }]))))
        cases.append(("overlapping time ranges", body(definitions([scene.merging(["time_ranges": [["start_time": 0, "end_time": 30], ["start_time": 20, "end_time": 40]]]) { $1 }]))))
        cases.append(("adjacent time ranges", body(definitions([scene.merging(["time_ranges": [["start_time": 0, "end_time": 30], ["start_time": 30, "end_time": 40]]]) { $1 }]))))
        cases.append(("time ranges and segment durations",
                      body(definitions([scene.merging(["time_ranges": [["start_time": 0, "end_time": 30]]]) { $1 }]).merging(["min_segment_duration": 5]) { $1 })))
        cases.append(("time ranges and a window", body(definitions([scene.merging(["time_ranges": [["start_time": 0, "end_time": 30]]]) { $1 }]).merging(["start_time": 0, "end_time": 60]) { $1 })))
        let least = rules.request.minSegmentSeconds
        for (low, high) in [(least, least), (least - 0.5, 10), (5, 4), (least, 60)] {
            cases.append(("segments \(low)…\(high) s", body(definitions([scene]).merging(["min_segment_duration": low, "max_segment_duration": high]) { $1 })))
        }
        cases.append(("segment durations in general mode", body(["model_name": "pegasus1.5", "min_segment_duration": 5])))

        // Rules of every request, on the default model.
        cases.append(("default model, unlimited", body(["max_tokens": "unlimited"])))
        cases.append(("default model, default mode, 4096", body(["max_tokens": 4096])))
        for temperature in [rules.request.temperature.lowerBound - 0.01, rules.request.temperature.lowerBound,
                            rules.request.temperature.upperBound, rules.request.temperature.upperBound + 0.01] {
            cases.append(("temperature \(temperature)", body(["temperature": temperature])))
        }
        let limit = rules.request.maxPromptTokens
        // PromptTokenEstimate: the larger of ⌈bytes / 3⌉ and the word count.
        cases.append(("prompt at the limit", body(["prompt": String(repeating: "a", count: 3 * limit)])))
        cases.append(("prompt one token over", body(["prompt": String(repeating: "a", count: 3 * limit + 1)])))
        cases.append(("prompt of words at the limit", body(["prompt": Array(repeating: "w", count: limit).joined(separator: " ")])))
        cases.append(("prompt of words over", body(["prompt": Array(repeating: "w", count: limit + 1).joined(separator: " ")])))
        let inline = Int(rules.sizes.inlineBase64Bytes)
        for size in [inline, inline + 4] {
            cases.append(("base64 of \(size) bytes", body([:], video: ["type": "base64_string", "base64_string": String(repeating: "QUFB", count: size / 4)])))
        }
        for length in [rules.request.customIDLength.lowerBound - 1, rules.request.customIDLength.upperBound, rules.request.customIDLength.upperBound + 1] {
            cases.append(("custom_id of \(length)", body(["custom_id": String(repeating: "c", count: length)])))
        }
        return cases
    }

    @Test func theClientAndTheSandboxGiveTheSameVerdictOnEveryRule() async throws {
        let cases = Self.cases()
        #expect(cases.count > 100)
        let validator = RequestValidator(policy: RequestPolicy(rules: Self.rules))
        var accepted = 0, refused = 0
        try await SandboxTests.withSandbox({ $0.rules = Self.rules }) { _, send in
            for (name, object) in cases {
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                let request = try WireCoding.decoder().decode(CreateAsyncAnalyzeRequest.self, from: data)
                let errors = validator.issues(in: request).filter { $0.severity == .error }
                let reply = try await send("POST", "/analyze/tasks", String(decoding: data, as: UTF8.self), nil)
                let sandboxAccepts = reply.status == 202
                #expect(sandboxAccepts == errors.isEmpty,
                        "\(name): the client says \(errors.isEmpty ? "valid" : errors.map(\.code).joined(separator: ", ")); the sandbox answered \(reply.status) \(reply.text)")
                if sandboxAccepts { accepted += 1 } else { refused += 1 }
            }
        }
        // Both verdicts occur: the walk crosses every bound.
        #expect(accepted > 30 && refused > 30, "accepted \(accepted), refused \(refused)")
    }

    /// The table's published facts, pinned: a change to the rules is a visible diff here too.
    @Test func theTableHoldsThePublishedRules() {
        let rules = PlatformRules.current
        #expect(rules.defaultModel == "pegasus1.2")
        #expect(rules.model(nil)?.modes["general"]?.maxTokens == 1...4096)
        #expect(rules.models["pegasus1.5"]?.modes["time_based_metadata"]?.defaultMaxTokens == 32_768)
        #expect(rules.models.values.flatMap { m in m.modes.filter(\.value.unlimited).map { "\(m.name) \($0.key)" } } == ["pegasus1.6 time_based_metadata"])
        #expect(rules.video.minDurationMicroseconds == 4_000_000 && rules.video.maxDurationMicroseconds == 7_200_000_000)
        #expect(rules.sizes.inlineBase64Bytes == 30_000_000 && rules.sizes.directUploadBytes == 200_000_000 && rules.sizes.multipartBytes == 10_000_000_000)
        #expect(rules.batches.requests == 1...1000 && rules.batches.maxActive == 5 && rules.batches.maxContentHours == 2000)
    }
}

/// The batch rules (`PlatformRules.batches`, and every item judged as the task it amounts to) through the
/// client's `BatchValidator` and the sandbox's `POST /analyze/batches`: the same verdict on every case. One
/// real asset stands in every request; the clock moves an hour after each case, so that the batches created
/// are finished and the active limit is not what is tested.
@Suite(.timeLimit(.minutes(2))) struct BatchRulesAgreementTests {
    @Test func theClientAndTheSandboxGiveTheSameVerdictOnEveryBatchRule() async throws {
        let clock = ManualClock(mode: .manual)
        try await BatchRoutesTests.with(clock, { $0.durationProbe = nil }) { client in
            let asset = try await BatchRoutesTests.readyAssets(client, clock, ["a"])[0]
            let rules = PlatformRules.current
            func item(_ extra: [String: Any] = [:]) -> [String: Any] {
                ["video": ["type": "asset_id", "asset_id": asset]].merging(extra) { $1 }
            }
            func batch(_ requests: [[String: Any]], defaults: [String: Any]? = ["prompt": ["input_text": "Summarise."]],
                       model: String = rules.batches.model, mode: String = "general") -> [String: Any] {
                var body: [String: Any] = ["model_name": model, "analysis_mode": mode, "requests": requests]
                if let defaults { body["defaults"] = defaults }
                return body
            }
            let segments: [String: Any] = ["type": "segment_definitions", "segment_definitions": [["id": "scenes", "description": "Each scene"]]]
            var cases: [(String, [String: Any])] = []
            for count in [rules.batches.requests.lowerBound - 1, rules.batches.requests.lowerBound, rules.batches.requests.upperBound,
                          rules.batches.requests.upperBound + 1] {
                cases.append(("\(count) requests", batch(Array(repeating: item(), count: count))))
            }
            for model in rules.models.keys.sorted() { cases.append(("model \(model)", batch([item()], model: model))) }
            cases.append(("an unknown mode", batch([item()], mode: "bogus")))
            cases.append(("unique custom ids", batch([item(["custom_id": "a"]), item(["custom_id": "b"])])))
            cases.append(("a custom id twice", batch([item(["custom_id": "a"]), item(["custom_id": "a"])])))
            cases.append(("a bad custom id", batch([item(["custom_id": "a b"])])))
            cases.append(("no prompt anywhere", batch([item()], defaults: nil)))
            cases.append(("the prompt in the item", batch([item(["prompt": ["input_text": "x"]])], defaults: nil)))
            let tokens = try #require(rules.models[rules.batches.model]?.modes["general"]?.maxTokens)
            for count in [tokens.lowerBound - 1, tokens.lowerBound, tokens.upperBound, tokens.upperBound + 1] {
                cases.append(("defaults max_tokens \(count)", batch([item()], defaults: ["prompt": ["input_text": "x"], "max_tokens": count])))
                cases.append(("item max_tokens \(count)", batch([item(["max_tokens": count])])))
            }
            cases.append(("temperature 1.5 in one item", batch([item(), item(["temperature": 1.5])])))
            cases.append(("a window in the defaults", batch([item()], defaults: ["prompt": ["input_text": "x"], "start_time": 0, "end_time": 60])))
            cases.append(("a window of the defaults' end and the item's start",
                          batch([item(["start_time": 59.5])], defaults: ["prompt": ["input_text": "x"], "end_time": 60])))
            cases.append(("segments", batch([item()], defaults: ["response_format": segments], mode: "time_based_metadata")))
            cases.append(("segments with a prompt", batch([item()], defaults: ["response_format": segments, "prompt": ["input_text": "x"]], mode: "time_based_metadata")))
            cases.append(("segments without definitions", batch([item()], defaults: [:], mode: "time_based_metadata")))
            cases.append(("segment durations in general mode", batch([item(["min_segment_duration": 5])])))
            cases.append(("five reference images", batch([item()], defaults: ["prompt": ["input_text": "x", "media_sources": (0..<5).map {
                ["name": "i\($0)", "media_type": "image", "url": "https://cdn.example.com/\($0).png"]
            }]])))

            let validator = BatchValidator(policy: RequestPolicy(rules: rules))
            var accepted = 0, refused = 0
            for (name, object) in cases {
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                let decoded = try? WireCoding.decoder().decode(CreateAnalyzeBatchRequest.self, from: data)
                let errors = decoded.map { validator.issues(in: $0).filter { $0.severity == .error } } ?? []
                let clientAccepts = decoded != nil && errors.isEmpty
                let reply = try await client.post("/analyze/batches", json: String(decoding: data, as: UTF8.self))
                #expect((reply.status == 201) == clientAccepts,
                        "\(name): the client says \(clientAccepts ? "valid" : errors.map(\.code).joined(separator: ", ")); the sandbox answered \(reply.status) \(reply.text.prefix(300))")
                if reply.status == 201 { accepted += 1 } else { refused += 1 }
                clock.advance(by: .seconds(3600))
            }
            #expect(accepted >= 8 && refused >= 8, "accepted \(accepted), refused \(refused)")
        }
    }
}
