import Foundation
import Preflight

/// Renders reports as the CLI contract says: a table for people, JSON or JSON Lines for tools.
struct ReportRenderer {
    static let schemaVersion = 1

    var format: PreflightCommand.Format
    var strict: Bool
    var style: Style

    private var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = format == .json ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    func header() -> String {
        guard format == .text else { return "" }
        return style.bold("RESULT  DURATION    RESOLUTION   CODEC   SOURCE     FILE") + "\n"
    }

    /// One report as a JSON line (jsonl) or table row with reasons beneath (text).
    func line(_ report: Report) throws -> String {
        if format == .jsonl {
            let data = try encoder.encode(Versioned(report: report))
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        return row(report)
    }

    func footer(_ reports: [Report]) throws -> String {
        let passed = reports.filter { $0.passes(strict: strict) }.count
        let summary = Summary(files: reports.count, passed: passed, failed: reports.count - passed)
        switch format {
        case .json:
            let data = try encoder.encode(Document(schemaVersion: Self.schemaVersion, summary: summary, reports: reports))
            return Self.tidy(String(decoding: data, as: UTF8.self)) + "\n"
        case .jsonl:
            return ""
        case .text:
            let warned = reports.filter { $0.ok && !$0.warnings.isEmpty }.count
            var text = "\n\(summary.files) file\(summary.files == 1 ? "" : "s"): "
            text += style.green("\(summary.passed) passed") + ", "
            text += (summary.failed > 0 ? style.red("\(summary.failed) failed") : "0 failed")
            if warned > 0 { text += " (\(warned) with warnings\(strict ? ", failing under --strict" : ""))" }
            return text + "\n"
        }
    }

    /// Foundation's pretty printer writes an empty array as `[`, a blank line, `]`. JSON
    /// strings cannot hold a raw newline, so collapsing that pattern never touches a value.
    static func tidy(_ json: String) -> String {
        json.replacing(/\[\n\s*\n\s*\]/, with: "[]").replacing(/\{\n\s*\n\s*\}/, with: "{}")
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

/// The `--format json` document.
struct Document: Encodable {
    var schemaVersion: Int
    var summary: Summary
    var reports: [Report]
    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", summary, reports }
}

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
