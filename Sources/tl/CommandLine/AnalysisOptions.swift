import AnalyzeAPI
import ArgumentParser
import Foundation
import PlatformRules
import Preflight

/// What to ask and how, shared by `tl submit` (each task) and `tl batches create` (the batch's defaults):
/// prompts, reference images, the response format (a JSON Schema or segment definitions), the analysis
/// mode and window, the model and the generation settings. Everything is checked by the request rules
/// (`PlatformRules`) before anything is sent.
struct AnalysisOptions: ParsableArguments {
    @Option(name: .customLong("prompt"), help: "What to ask; tl submit takes several (one task each, on one upload), a batch one.")
    var prompts: [String] = []

    @Option(name: .customLong("prompt-file"), help: ArgumentHelp("Read a prompt from a file (repeatable; '-' reads standard input).", valueName: "FILE"),
            completion: .file())
    var promptFiles: [String] = []

    @Option(name: .customLong("image"), help: ArgumentHelp(
        "A reference image the prompt names as <@NAME>: a local JPEG/PNG/WebP/GIF/BMP file (checked, then sent inline), an https URL, or asset:ID (repeatable, at most \(PlatformRules.current.request.maxMediaSources)).",
        valueName: "NAME=FILE|URL|asset:ID"))
    var images: [String] = []

    @Option(help: "Sampling temperature, 0–1.")
    var temperature: Double?

    @Option(name: .customLong("max-tokens"), help: "The most tokens to generate: a number in the model's range, or 'unlimited' where the model allows it.")
    var maxTokens: String?

    @Option(name: .customLong("json-schema"), help: ArgumentHelp("A JSON Schema file the result must follow ('-' reads standard input).", valueName: "FILE"),
            completion: .file())
    var jsonSchema: String?

    @Option(help: ArgumentHelp(
        "Segment definitions for time_based_metadata: a JSON file holding an array of {id, description, fields} or a whole segment_definitions response_format ('-' reads standard input).",
        valueName: "FILE"), completion: .file())
    var segments: String?

    @Option(name: .customLong("segment-time-format"), help: "How segment times are written: seconds, hh:mm:ss or hh:mm:ss.fff.")
    var segmentTimeFormat: String?

    @Option(name: .customLong("min-segment-duration"), help: ArgumentHelp("Shortest segment, in seconds (time_based_metadata).", valueName: "seconds"))
    var minSegmentDuration: Double?

    @Option(name: .customLong("max-segment-duration"), help: ArgumentHelp("Longest segment, in seconds (time_based_metadata).", valueName: "seconds"))
    var maxSegmentDuration: Double?

    @Option(name: .customLong("analysis-mode"), help: "general, or time_based_metadata (the default with --segments).")
    var analysisMode: AnalysisModeOption?

    @Option(help: ArgumentHelp(
        "Analyse only this window, START-END in seconds or [hh:]mm:ss[.fff] of the video's own timeline (START- runs to the end).",
        valueName: "START-END"))
    var clip: String?

    @Option(name: .customLong("model"), help: "The model name: \(PlatformRules.current.models.keys.sorted().joined(separator: ", ")) (default \(PlatformRules.current.defaultModel); batches take \(PlatformRules.current.batches.model)).")
    var model: String?

    func validate() throws {
        if let maxTokens, maxTokens != "unlimited", Int(maxTokens) == nil {
            throw ValidationError("--max-tokens must be a whole number or 'unlimited', got '\(maxTokens)'.")
        }
        try Self.checkClip(clip)
        if jsonSchema != nil, segments != nil { throw ValidationError("--json-schema and --segments cannot be combined: one response format per request.") }
        for image in images where Self.splitImage(image) == nil || image.contains("=http://") {
            throw ValidationError("--image must be NAME=FILE, NAME=https://URL or NAME=asset:ID, got '\(image)'.")
        }
        if !images.isEmpty, segments != nil {
            throw ValidationError("--image goes with a prompt; time_based_metadata takes no prompt: give reference images in the segment definitions' media_sources.")
        }
        if !images.isEmpty, prompts.isEmpty, promptFiles.isEmpty {
            throw ValidationError("--image needs a --prompt (or --prompt-file) that names it as <@NAME>.")
        }
        if segmentTimeFormat != nil || minSegmentDuration != nil || maxSegmentDuration != nil, segments == nil {
            throw ValidationError("--segment-time-format, --min-segment-duration and --max-segment-duration go with --segments.")
        }
    }

    /// The file-valued options, for the one-standard-input check.
    var files: [(option: String, path: String?)] {
        promptFiles.map { ("--prompt-file", $0) } + [("--json-schema", jsonSchema), ("--segments", segments)]
    }

    /// The analysis window of `--clip`.
    var window: ClipWindow? { clip.flatMap(ClipWindow.init(parsing:)) }

    /// The analysis mode: as given, else `time_based_metadata` with `--segments`, else `general`.
    var mode: String {
        analysisMode?.rawValue ?? (segments != nil ? AnalysisModeOption.timeBasedMetadata.rawValue : PlatformRules.current.defaultMode)
    }

    var maxTokensValue: MaxTokens? { maxTokens.map { $0 == "unlimited" ? .unlimited : .count(Int($0) ?? 0) } }

    /// `--prompt`s then `--prompt-file`s.
    func allPrompts() throws -> [String] {
        var all = prompts
        for file in promptFiles {
            let data = try InputFile.contents(of: file, option: "--prompt-file", what: "the prompt file")
            guard let text = String(data: data, encoding: .utf8) else {
                throw UsageError("The prompt file \(file) (--prompt-file) is not UTF-8 text.")
            }
            all.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return all
    }

    /// The response format of `--json-schema` or `--segments`.
    func responseFormat() throws -> ResponseFormat? {
        if let jsonSchema {
            let data = try InputFile.contents(of: jsonSchema, option: "--json-schema", what: "the JSON schema file")
            guard let schema = try? JSONDecoder().decode(JSONValue.self, from: data) else {
                throw UsageError("The JSON schema file \(jsonSchema == "-" ? "on standard input" : jsonSchema) (--json-schema) is not valid JSON.")
            }
            return ResponseFormat(jsonSchema: schema)
        }
        guard let segments else { return nil }
        let data = try InputFile.contents(of: segments, option: "--segments", what: "the segment definitions file")
        let name = segments == "-" ? "on standard input" : segments
        var format: ResponseFormat
        if let definitions = try? WireCoding.decoder().decode([SegmentDefinition].self, from: data) {
            format = ResponseFormat(segmentDefinitions: definitions)
        } else if let whole = try? WireCoding.decoder().decode(ResponseFormat.self, from: data), whole.segmentDefinitions != nil {
            format = whole
        } else {
            throw UsageError("The segment definitions file \(name) (--segments) is not a JSON array of {\"id\", \"description\", \"fields\"} definitions, nor a segment_definitions response_format.")
        }
        if let segmentTimeFormat { format.segmentTimeFormat = segmentTimeFormat }
        return format
    }

    /// The reference images; local files are checked (format, size, pixels) and sent inline as base64.
    func mediaSources() throws -> [MediaSource] {
        try images.map { text in
            let (name, value) = Self.splitImage(text)!
            if value.hasPrefix("asset:") { return MediaSource(name: name, source: .assetID(String(value.dropFirst("asset:".count)))) }
            if value.hasPrefix("https://") { return MediaSource(name: name, source: .url(value)) }
            do {
                let image = try ImageCheck.check(path: value)
                return MediaSource(name: name, source: .base64String(image.data.base64EncodedString()))
            } catch let failure as ImageCheck.Failure {
                throw UsageError("--image \(name): \(failure.message)")
            }
        }
    }

    /// The batch defaults these options give.
    func batchSettings() throws -> BatchSettings {
        let prompts = try allPrompts()
        guard prompts.count <= 1 else { throw UsageError("A batch takes one --prompt or --prompt-file: its items share the defaults.") }
        if case .unlimited? = maxTokensValue { throw UsageError("--max-tokens of a batch must be a number.") }
        let sources = try mediaSources()
        return BatchSettings(
            prompt: prompts.first.map { PromptV2(inputText: $0, mediaSources: sources.isEmpty ? nil : sources) },
            responseFormat: try responseFormat(), temperature: temperature,
            maxTokens: maxTokensValue.flatMap { if case .count(let count) = $0 { count } else { nil } },
            minSegmentDuration: minSegmentDuration, maxSegmentDuration: maxSegmentDuration,
            startTime: window?.start, endTime: window?.end)
    }

    /// Refuses a `--clip` that does not parse as a ``ClipWindow`` (here and in `tl preflight`).
    static func checkClip(_ clip: String?) throws {
        guard let clip, ClipWindow(parsing: clip) == nil else { return }
        throw ValidationError("--clip must be START-END (or START-) in seconds or [hh:]mm:ss[.fff], with END after START, got '\(clip)'.")
    }

    /// `NAME=VALUE` with a non-empty name and value.
    static func splitImage(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let name = String(text[..<equals]), value = String(text[text.index(after: equals)...])
        return name.isEmpty || value.isEmpty ? nil : (name, value)
    }
}
