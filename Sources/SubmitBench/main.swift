// SubmitBench: how fast the streamed base64 create-request body is produced, in-process.
//
//   SubmitBench base64-body FILE [--runs N] [--read-size BYTES]
//
// Each run builds a StreamedBase64Request for FILE and drains its chunks (prefix JSON, the file's
// base64 read and encoded in chunks, suffix JSON), counting the bytes; nothing is kept. Prints the
// median time and the throughput in MB of input file per second, for comparison with
// `base64 -w0 FILE > /dev/null` (scripts/bench.sh does that comparison).

import AnalyzeAPI
import Foundation
import Submission

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("SubmitBench: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, arguments[1] == "base64-body" else {
    fail("usage: SubmitBench base64-body FILE [--runs N] [--read-size BYTES]")
}
let path = arguments[2]
let readSize = arguments.firstIndex(of: "--read-size").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil }
    ?? StreamedBase64Request.defaultReadSize
let runs = arguments.firstIndex(of: "--runs").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 5
guard runs > 0 else { fail("--runs must be at least 1") }

let request = CreateAsyncAnalyzeRequest(video: .url(""), prompt: "Describe the video.", temperature: 0.2)
var times: [Double] = []
var bodyBytes: Int64 = 0
var fileBytes: Int64 = 0
for _ in 0...runs {  // one uncounted warm-up run first
    let clock = ContinuousClock()
    let start = clock.now
    let streamed: StreamedBase64Request
    do { streamed = try StreamedBase64Request(request: request, file: path, readSize: readSize) } catch { fail("\(error)") }
    var count: Int64 = 0
    do {
        for try await chunk in streamed.chunks() { count += Int64(chunk.count) }
    } catch { fail("\(error)") }
    let elapsed = clock.now - start
    guard count == streamed.length else { fail("produced \(count) bytes, expected \(streamed.length)") }
    bodyBytes = count
    fileBytes = streamed.file.length
    times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
times.removeFirst()
let median = times.sorted()[times.count / 2]
print(String(format: "streamed base64 body: %d runs, file %lld bytes, body %lld bytes, median %.2f ms, %.0f MB/s of input",
             runs, fileBytes, bodyBytes, median * 1000, Double(fileBytes) / median / 1e6))
print(String(format: "SECONDS %.6f", median))
