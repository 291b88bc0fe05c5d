import AnalyzeAPI
import ArgumentParser
import Foundation

/// Output format of the `tasks` commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Options every command that talks to the API shares.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: ArgumentHelp(
        "API base URL (default: $TWELVELABS_BASE_URL, else \(AnalyzeClient.Configuration.defaultBaseURL)).",
        valueName: "url"))
    var baseURL: String?

    @Option(help: "Output format: text for people, json for scripts.")
    var format: OutputFormat = .text

    @Option(help: "Retries of a request that failed transiently (connection failure, 408, 429, 5xx).")
    var retries: Int = RetryPolicy().maximumAttempts - 1

    func validate() throws {
        guard (0...20).contains(retries) else { throw ValidationError("--retries must be between 0 and 20.") }
        if let baseURL {
            guard let components = URLComponents(string: baseURL), ["http", "https"].contains(components.scheme ?? ""),
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
    func configuration(requestPolicy: RequestPolicy = RequestPolicy()) throws -> AnalyzeClient.Configuration {
        do {
            var configuration = try AnalyzeClient.Configuration.fromEnvironment(baseURL: baseURL)
            configuration.retryPolicy.maximumAttempts = retries + 1
            configuration.requestPolicy = requestPolicy
            return configuration
        } catch let error as APIError {
            CLI.printError(error.detail ?? error.description, code: error.code.rawValue, format: format, error: error)
            throw ExitCode(64)
        }
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
        } catch {
            CLI.printError("\(error)", code: "tool_failure", format: format, error: nil)
            throw ExitCode(2)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
