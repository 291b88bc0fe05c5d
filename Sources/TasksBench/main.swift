// TasksBench: creates many tasks concurrently against an in-process sandbox and waits on them all with one
// shared AnalyzeClient and the default wait settings, then reports wall time, requests per task, time to
// ready and peak memory.
//
//   swift run -c release TasksBench [--tasks 1000]

import AnalyzeAPI
import Foundation
import Sandbox

let arguments = CommandLine.arguments
let taskCount = arguments.firstIndex(of: "--tasks").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 1000

/// `VmHWM` (peak resident set) from /proc/self/status, in kB; `nil` where /proc is missing (macOS).
func peakRSSKilobytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return line.split(separator: " ").compactMap { Int($0) }.first
    }
    return nil
}

func seconds(_ duration: Duration) -> String {
    String(format: "%.3f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}

func runBenchmark(taskCount: Int) async throws -> String {
    var configuration = SandboxConfiguration(apiKey: "bench-key")
    configuration.port = 0  // the default fast lifecycle: 0.1 s queued, 0.1 s pending, 0.3 s processing

    return try await Sandbox.withRunning(configuration) { sandbox in
        try await AnalyzeClient.withClient(configuration: .init(apiKey: "bench-key", baseURL: sandbox.baseURL)) { client in
            let started = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: (Duration, String).self) { group in
                for index in 0..<taskCount {
                    group.addTask {
                        let begin = ContinuousClock.now
                        let request = CreateAsyncAnalyzeRequest(video: .url("https://cdn.example.com/\(index).mp4"), prompt: "Benchmark task \(index).")
                        let task = try await client.createTask(request)
                        let outcome = try await client.waitForTask(task.id)
                        return (ContinuousClock.now - begin, outcome.name)
                    }
                }
                var results: [(Duration, String)] = []
                for try await result in group { results.append(result) }
                return results
            }
            let wall = ContinuousClock.now - started
            let times = results.map(\.0).sorted()
            let outcomes = Dictionary(grouping: results, by: \.1).mapValues(\.count)
            let requests = sandbox.state.requestCount
            let perTask = Double(requests) / Double(taskCount)
            let median = times[times.count / 2], slowest = times.last ?? .zero
            let allReady = outcomes["ready"] == taskCount
            // Starvation: a task left far behind the rest. Every task must end ready, and the
            // slowest within twice the median time to ready.
            let fair = allReady && slowest <= median * 2
            return """
                TARGET [\(perTask <= 6 ? "met " : "MISS")] requests per task \(String(format: "%.2f", perTask)) (target ≤ 6)
                TARGET [\(fair ? "met " : "MISS")] no task starves: \(outcomes["ready"] ?? 0)/\(taskCount) ready, slowest \(seconds(slowest)) vs median \(seconds(median)) (target ≤ 2× median)
                tasks:              \(taskCount) (outcomes: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
                wall time:          \(seconds(wall))
                requests seen:      \(requests) (\(String(format: "%.2f", Double(requests) / Double(taskCount))) per task)
                time to ready:      median \(seconds(times[times.count / 2])), max \(seconds(times.last ?? .zero))
                peak RSS (VmHWM):   \(peakRSSKilobytes().map { "\($0 / 1024) MiB" } ?? "n/a")
                """
        }
    }
}

print(try await runBenchmark(taskCount: taskCount))
