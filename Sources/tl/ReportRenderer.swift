import Foundation
import Preflight

/// Renders reports as the CLI contract says: a table for people, JSON or JSON Lines for tools.
struct ReportRenderer {
    static let schemaVersion = 2

    var format: PreflightCommand.Format
    var strict: Bool
    var style: Style

    private var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = format == .json ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// What comes before the first report: the table heading, or the opening of the JSON
    /// document. With sorted keys `reports` comes before `schema_version` and `summary`, so
    /// the document can be streamed report by report and closed with the summary.
    func header() -> String {
        switch format {
        case .text: style.bold("RESULT  DURATION    RESOLUTION   CODEC   SOURCE     FILE") + "\n"
        case .json: "{\n  \"reports\" : ["
        case .jsonl: ""
        }
    }

    /// One report as a JSON line (jsonl).
    func line(_ report: Report) throws -> String {
        let data = try encoder.encode(Versioned(report: report))
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// One report in argument order: a table row, or an element of the JSON `reports` array.
    func ordered(_ report: Report, first: Bool) throws -> String {
        switch format {
        case .text:
            return row(report)
        case .json:
            let element = CLI.tidyJSON(String(decoding: try encoder.encode(report), as: UTF8.self))
            let indented = element.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
            return (first ? "\n" : ",\n") + indented
        case .jsonl:
            return try line(report)
        }
    }

    func footer(_ tally: Tally) throws -> String {
        switch format {
        case .json:
            let summary = String(decoding: try encoder.encode(tally.summary), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .map { $0.offset == 0 ? String($0.element) : "  " + $0.element }.joined(separator: "\n")
            let close = tally.files == 0 ? "]" : "\n  ]"
            return close + ",\n  \"schema_version\" : \(Self.schemaVersion),\n  \"summary\" : " + summary + "\n}\n"
        case .jsonl:
            return ""
        case .text:
            var text = "\n\(tally.files) file\(tally.files == 1 ? "" : "s"): "
            text += style.green("\(tally.passed) passed") + ", "
            text += (tally.failed > 0 ? style.red("\(tally.failed) failed") : "0 failed")
            if tally.warned > 0 { text += " (\(tally.warned) with warnings\(strict ? ", failing under --strict" : ""))" }
            return text + "\n"
        }
    }

    /// One table row, with the reasons beneath it.
    func row(_ report: Report) -> String {
        let passes = report.passes(strict: strict)
        let status: String
        if !passes { status = style.red("FAIL  ") }
        else if report.warnings.isEmpty { status = style.green("PASS  ") }
        else { status = style.yellow("WARN  ") }
        let media = report.media
        let duration = media?.durationSeconds.map { String(format: "%.2f s", $0) } ?? "-"
        let resolution = media?.width.flatMap { w in media?.height.map { "\(w)x\($0)" } } ?? "-"
        let codec = media?.videoCodec ?? "-"
        let source = report.source?.kind.rawValue ?? "-"
        var text = "\(status)  \(pad(duration, 10))  \(pad(resolution, 11))  \(pad(codec, 6))  \(pad(source, 9))  \(report.path)\n"
        for violation in report.violations {
            text += "        " + style.red(violation.code) + ": " + violation.message + "\n"
        }
        for warning in report.warnings {
            text += "        " + style.yellow(warning.code) + ": " + warning.message + "\n"
        }
        return text
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// Running counts over the reports written so far.
struct Tally {
    var files = 0
    var passed = 0
    var warned = 0
    var failed: Int { files - passed }

    mutating func count(_ report: Report, strict: Bool) {
        files += 1
        if report.passes(strict: strict) { passed += 1 }
        if report.ok, !report.warnings.isEmpty { warned += 1 }
    }

    var summary: Summary { Summary(files: files, passed: passed, failed: failed) }
}

/// The `summary` object of the JSON document.
struct Summary: Encodable {
    var files: Int
    var passed: Int
    var failed: Int
}

/// A report with `schema_version` beside its keys (JSON Lines).
struct Versioned: Encodable {
    var report: Report
    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ReportRenderer.schemaVersion, forKey: .schemaVersion)
    }
}
