// libFuzzer harness: the sandbox's streaming multipart/form-data parser.
//
// Input: byte 0 gives the boundary's length L (1...70), the next L bytes the boundary; the next
// byte gives a count K (1...8) of chunk sizes, the next K bytes the sizes (1...256, used in turn);
// the rest is the body. Checked: the parser throws `MultipartFormDataError` or returns events
// in order (a part starts, has content, ends), and the parts are the same whether the body is
// fed whole or in the chosen chunks. The boundary's `Content-Type` parser is run on it as well.
import FormData

private struct Part: Equatable {
    var headers: MultipartPartHeaders
    var content: [UInt8]
}

private func read(_ body: ArraySlice<UInt8>, boundary: String, sizes: [Int]) -> [Part]? {
    var parser = MultipartFormDataParser(boundary: boundary)
    var parts: [Part] = []
    var open = false
    var offset = body.startIndex
    var turn = 0
    do {
        while offset < body.endIndex {
            let size = sizes[turn % sizes.count]
            turn += 1
            let end = min(body.endIndex, offset + size)
            for event in try parser.feed(body[offset..<end]) {
                switch event {
                case .partStarted(let headers):
                    precondition(!open, "a part started inside another")
                    precondition(!headers.name.isEmpty, "a part without a name")
                    parts.append(Part(headers: headers, content: []))
                    open = true
                case .content(let bytes):
                    precondition(open, "content outside a part")
                    precondition(!bytes.isEmpty, "an empty content event")
                    parts[parts.count - 1].content += bytes
                case .partEnded:
                    precondition(open, "a part ended that had not started")
                    open = false
                }
            }
            offset = end
        }
        try parser.finish()
    } catch {
        precondition(!error.message.isEmpty)
        return nil
    }
    precondition(!open, "finish() accepted a body whose last part is open")
    precondition(parts.count <= MultipartFormDataParser.maxParts)
    return parts
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var index = 0
    func next() -> UInt8? {
        guard index < input.count else { return nil }
        defer { index += 1 }
        return input[index]
    }
    guard let lengthByte = next() else { return 0 }
    let length = Int(lengthByte) % 70 + 1
    let boundaryBytes = input[index..<min(input.count, index + length)]
    index += boundaryBytes.count
    let boundary = String(decoding: boundaryBytes, as: UTF8.self)
    _ = try? MultipartFormDataParser.boundary(contentType: "multipart/form-data; boundary=" + boundary)
    _ = try? MultipartFormDataParser.boundary(contentType: "multipart/form-data; boundary=\"" + boundary + "\"")

    let count = Int(next() ?? 0) % 8 + 1
    var sizes: [Int] = []
    for _ in 0..<count { if let byte = next() { sizes.append(Int(byte) + 1) } }
    if sizes.isEmpty { sizes = [1] }
    let body = input[min(index, input.count)...]

    let chunked = read(body, boundary: boundary, sizes: sizes)
    let whole = read(body, boundary: boundary, sizes: [max(body.count, 1)])
    precondition(chunked == whole, "the parts depend on how the body is cut into chunks (sizes \(sizes))")
    return 0
}
