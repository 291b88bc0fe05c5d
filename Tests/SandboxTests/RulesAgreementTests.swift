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

    /// One create body per rule and bound, named for the failure message.
    static func cases() -> [(String, [String: Any])] {
        var cases: [(String, [String: Any])] = []
        func body(_ extra: [String: Any], video: [String: Any] = ["type": "url", "url": "https://cdn.example.com/a.mp4"]) -> [String: Any] {
            ["video": video, "prompt": "What is shown?"].merging(extra) { $1 }
        }
        for model in rules.models.values.sorted(by: { $0.name < $1.name }) {
            for (mode, limits) in model.modes.sorted(by: { $0.key < $1.key }) {
                let base: [String: Any] = ["model_name": model.name, "analysis_mode": mode]
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
        }
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
        #expect(cases.count > 60)
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
        #expect(accepted > 15 && refused > 15, "accepted \(accepted), refused \(refused)")
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
