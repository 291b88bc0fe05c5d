// libFuzzer harness: the wire decoders, through the client's own decoding path
// (`WireCoding.decoder()`, as `AnalyzeClient.decode(_:from:operation:)` uses it).
//
// Input: a response body. Every decoder gets it: task, batch, created batch, asset, incomplete
// upload, multipart-upload session and status, the list pages, the platform's error body and the
// batch results (JSON Lines). Each either decodes or throws a `DecodingError` (never traps, never
// another error); whatever decodes is encoded again with `WireCoding.encoder()` and decoded back,
// and a task's result text goes through `TaskResult.decodeJSON`, which throws `ResultDataError`.
import AnalyzeWire
import Foundation

private func check<T: Codable & Hashable>(_: T.Type, _ body: Data) {
    let decoder = WireCoding.decoder()
    let value: T
    do {
        value = try decoder.decode(T.self, from: body)
    } catch is DecodingError {
        return
    } catch {
        fatalError("decoding \(T.self) threw \(type(of: error)), not DecodingError: \(error)")
    }
    let encoded: Data
    do {
        encoded = try WireCoding.encoder().encode(value)
    } catch {
        fatalError("a decoded \(T.self) does not encode again: \(error)")
    }
    do {
        _ = try decoder.decode(T.self, from: encoded)
    } catch {
        fatalError("a \(T.self) we encoded does not decode again: \(error)\n\(String(decoding: encoded, as: UTF8.self))")
    }
}

private func results(_ task: AnalyzeTask) {
    guard let result = task.result else { return }
    do {
        _ = try result.decodeJSON(as: JSONValue.self)
        _ = try result.decodeJSON(as: [String: String].self)
    } catch is ResultDataError {
    } catch {
        fatalError("TaskResult.decodeJSON threw \(type(of: error)), not ResultDataError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let body = data.map { Data(bytes: $0, count: size) } ?? Data()
    check(AnalyzeTask.self, body)
    check(AnalyzeBatch.self, body)
    check(CreatedBatch.self, body)
    check(Asset.self, body)
    check(IncompleteUpload.self, body)
    check(MultipartUploadSession.self, body)
    check(MultipartUploadStatus.self, body)
    check(TaskReference.self, body)
    check(TaskPage.self, body)
    check(AssetPage.self, body)
    check(Page<AnalyzeBatch>.self, body)
    check(WebhookDelivery.self, body)
    check(PlatformErrorBody.self, body)
    _ = PlatformErrorBody.parse(body)
    if let task = try? WireCoding.decoder().decode(AnalyzeTask.self, from: body) { results(task) }
    do {
        _ = try BatchResultItem.items(inResults: body)
    } catch is DecodingError {
    } catch {
        fatalError("BatchResultItem.items threw \(type(of: error)), not DecodingError: \(error)")
    }
    return 0
}
