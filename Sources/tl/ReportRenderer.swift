import Foundation
import Preflight

/// Renders reports as the CLI contract says: a table for people, JSON or JSON Lines for tools.
struct ReportRenderer {
    static let schemaVersion = 3

    var format: PreflightCommand.Format
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
        case .text: style.bold(Self.columns(["RESULT", "DURATION", "RESOLUTION", "CODEC", "SOURCE", "FILE"])) + "\n"
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
            var parts = [style.green("\(tally.passed - tally.warned) passed")]
            if tally.warned > 0 { parts.append(style.yellow("\(tally.warned) passed with warnings")) }
            var failed = tally.failed > 0 ? style.red("\(tally.failed) failed") : "0 failed"
            if tally.failedForWarnings > 0 { failed += " (\(tally.failedForWarnings) only for warnings, under --strict)" }
            parts.append(failed)
            return "\n\(tally.files) file\(tally.files == 1 ? "" : "s"): " + parts.joined(separator: ", ") + "\n"
        }
    }

    /// One table row, with the reasons beneath it.
    func row(_ report: Report) -> String {
        let status: String
        if !report.ok { status = style.red("FAIL  ") }
        else if report.warnings.isEmpty { status = style.green("PASS  ") }
        else { status = style.yellow("WARN  ") }
        let media = report.media
        let duration = media?.durationSeconds.map(Self.duration) ?? "-"
        let resolution = media?.width.flatMap { w in media?.height.map { "\(w)x\($0)" } } ?? "-"
        let source = report.source?.kind.rawValue ?? "-"
        let cells = [duration, resolution, media?.videoCodec ?? "-", source, report.path]
        var text = status + "  " + Self.columns(cells, firstColumn: 1) + "\n"
        if let clip = report.clip {
            text += "        clip \(clip): \(report.billableSeconds.map(Self.duration) ?? "-") billable\n"
        }
        for violation in report.violations {
            text += "        " + style.red(violation.code.rawValue) + ": " + violation.message + "\n"
        }
        // Warnings are marked as such, so that a reader without colours tells them from violations.
        let mark = report.warningsFail ? "warning (fails under --strict)" : "warning"
        for warning in report.warnings {
            text += "        " + style.yellow("\(mark) \(warning.code)") + ": " + warning.message + "\n"
        }
        return text
    }

    /// Column widths of the table: `mpeg2video` and `7200.00 s (2:00:00)` fit.
    static let widths = [6, 19, 11, 10, 9]

    /// Cells padded to ``widths`` (from column `firstColumn`), two spaces apart; the last (the path) is not padded.
    static func columns(_ cells: [String], firstColumn: Int = 0) -> String {
        cells.enumerated().map { offset, cell in
            let width = offset + firstColumn < widths.count ? widths[offset + firstColumn] : 0
            return cell.count < width ? cell + String(repeating: " ", count: width - cell.count) : cell
        }.joined(separator: "  ")
    }

    /// `4.00 s`, and past a minute also `h:mm:ss`: `125.00 s (0:02:05)`.
    static func duration(_ seconds: Double) -> String {
        let text = String(format: "%.2f s", seconds)
        guard seconds >= 60, seconds.isFinite else { return text }
        let whole = Int(seconds.rounded(.down))
        return text + String(format: " (%d:%02d:%02d)", whole / 3600, whole / 60 % 60, whole % 60)
    }
}

/// Running counts over the (already judged) reports written so far.
struct Tally {
    var files = 0
    var passed = 0
    /// Passed, with warnings.
    var warned = 0
    /// Failed only because warnings count under `--strict`.
    var failedForWarnings = 0
    var failed: Int { files - passed }

    mutating func count(_ report: Report) {
        files += 1
        if report.ok {
            passed += 1
            if !report.warnings.isEmpty { warned += 1 }
        } else if report.violations.isEmpty {
            failedForWarnings += 1
        }
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
