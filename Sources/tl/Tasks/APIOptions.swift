import AnalyzeAPI
import ArgumentParser
import Foundation
import Logging

/// Output format of the API commands: `text` for people; `json`, one pretty-printed document; `jsonl`,
/// the same JSON compact, with lists and per-id results one item per line.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, jsonl

    /// `json` or `jsonl`.
    var isJSON: Bool { self != .text }
}

/// Options every command that talks to the API shares.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: ArgumentHelp(
        "API base URL (default: $TWELVELABS_BASE_URL, else \(AnalyzeClient.Configuration.defaultBaseURL)).",
        valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("api-key-file"), help: ArgumentHelp(
        "Read the API key from FILE ('-' for standard input) instead of $\(AnalyzeClient.Configuration.apiKeyVariable).",
        valueName: "FILE"), completion: .file())
    var apiKeyFile: String?

    @Option(name: .shortAndLong, help: "Output format: text for people, json for scripts, jsonl for one JSON object per line.")
    var format: OutputFormat = .text

    @Option(help: "Retries of a request that failed transiently (connection failure, 408, 429, 5xx).")
    var retries: Int = RetryPolicy().maximumAttempts - 1

    @Flag(help: "Allow sending the API key over plain http:// to a host that is not this machine.")
    var insecure = false

    @Flag(name: .shortAndLong, help: "Log each request and its answer on stderr (never headers or the key).")
    var verbose = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (0...20).contains(retries) else { throw ValidationError("--retries must be between 0 and 20.") }
        if let baseURL {
            guard let components = URLComponents(string: baseURL), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
                  components.host?.isEmpty == false
            else { throw ValidationError("--base-url must be an http(s) URL, got '\(baseURL)'.") }
        }
    }

    /// Builds a client from the environment and options, runs `body`, and maps failures to exit codes:
    /// 1 for API and task failures, 2 for tool failures, 64 for a missing key.
    func withClient(requestPolicy: RequestPolicy = RequestPolicy(), _ body: (AnalyzeClient) async throws -> Int32) async throws {
        try await withClient(configuration: configuration(requestPolicy: requestPolicy), body)
    }

    /// The client's configuration from the environment and options; a missing key is said here and is exit 64,
    /// so a command can check it before slow work (`tl submit` before it probes).
    ///
    /// The key comes from `--api-key-file`, else `TWELVE_LABS_API_KEY`, else (with a note, since it is a
    /// common slip) `TWELVELABS_API_KEY`. There is no `--api-key`: a key in argv is visible to every user
    /// of the machine through `ps`, and stays in shell history.
    func configuration(requestPolicy: RequestPolicy = RequestPolicy()) throws -> AnalyzeClient.Configuration {
        let variable = AnalyzeClient.Configuration.apiKeyVariable
        var environment = ProcessInfo.processInfo.environment
        if let apiKeyFile {
            let key = String(decoding: try InputFile.contents(of: apiKeyFile, option: "--api-key-file", what: "the API key file"), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw UsageError("The API key file \(apiKeyFile) (--api-key-file) is empty.") }
            environment[variable] = key
        } else if (environment[variable] ?? "").isEmpty, let slip = environment["TWELVELABS_API_KEY"], !slip.isEmpty {
            Console.note("note: using TWELVELABS_API_KEY; the variable tl reads is \(variable)")
            environment[variable] = slip
        }
        var configuration: AnalyzeClient.Configuration
        do {
            configuration = try AnalyzeClient.Configuration.fromEnvironment(environment, baseURL: baseURL)
        } catch let error as APIError {
            CLI.printError("\(error.detail ?? error.description) (or give --api-key-file)", code: error.code.rawValue, format: format, error: error)
            throw ExitCode(64)
        }
        if !insecure, let components = URLComponents(string: configuration.baseURL),
           components.scheme?.lowercased() == "http", !Self.isLoopback(components.host ?? "") {
            throw UsageError("Refusing to send the API key over plain http:// to \(components.host ?? "?"); use https://, or --insecure if you mean it.")
        }
        configuration.retryPolicy.maximumAttempts = retries + 1
        configuration.requestPolicy = requestPolicy
        configuration.logger = StderrLog.logger(level: verbose ? .debug : (output.quiet ? .error : .warning))
        return configuration
    }

    /// `localhost`, an address in `127.0.0.0/8`, and `::1`: traffic that never leaves this machine. An address
    /// means the literal: `127.0.0.1.example.com` is a name anyone can point anywhere.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Runs `body` with a client built from `configuration`, mapping failures to exit codes as above.
    func withClient(configuration: AnalyzeClient.Configuration, _ body: (AnalyzeClient) async throws -> Int32) async throws {
        let status: Int32
        do {
            status = try await AnalyzeClient.withClient(configuration: configuration, body)
        } catch let error as APIError {
            CLI.printError(error.description, code: error.code.rawValue, format: format, error: error)
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch let error as UsageError {
            throw error
        } catch is CancellationError {
            throw ExitCode(130)
        } catch {
            CLI.printError("\(error)", code: "tool_failure", format: format, error: nil)
            throw ExitCode(2)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// Log lines as plain `tl: …` lines on stderr, for retries (warning) and `--verbose` (debug).
struct StderrLog: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    static func logger(level: Logger.Level) -> Logger {
        Logger(label: "tl") { _ in StderrLog(logLevel: level) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        CLI.err("tl: \(event.message)")
    }
}
