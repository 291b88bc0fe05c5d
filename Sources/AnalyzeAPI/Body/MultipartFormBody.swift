package import Foundation

/// A `multipart/form-data` body whose last part is a file streamed from disk, as `POST /assets` takes it.
///
/// Text fields come first, then the file part; the whole body's length is known before sending
/// (`head + file size + tail`), and every attempt re-reads the file.
package struct MultipartFormBody: Sendable {
    /// The boundary between parts (without the leading `--`).
    package let boundary: String
    /// Everything before the file's bytes: the text fields and the file part's headers.
    package let head: Data
    /// Everything after the file's bytes: the closing boundary.
    package let tail: Data
    /// The file part's bytes.
    package let file: FileRange

    /// A body with `fields` (in order) and then the file part named `fileField`.
    ///
    /// - Parameters:
    ///   - fields: Text fields, sent first in this order.
    ///   - fileField: The form name of the file part (`file`).
    ///   - filename: The file name the part announces (quotes, CR and LF are percent-encoded as browsers do).
    ///   - file: The bytes to send.
    ///   - boundary: The boundary; a random one when `nil`.
    package init(
        fields: [(name: String, value: String)], fileField: String, filename: String, file: FileRange,
        contentType: String = "application/octet-stream", boundary: String? = nil
    ) {
        let boundary = boundary ?? "vp-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        self.boundary = boundary
        var head = ""
        for field in fields {
            head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quote(field.name))\"\r\n\r\n\(field.value)\r\n"
        }
        head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quote(fileField))\"; filename=\"\(Self.quote(filename))\"\r\n"
        head += "Content-Type: \(contentType)\r\n\r\n"
        self.head = Data(head.utf8)
        tail = Data("\r\n--\(boundary)--\r\n".utf8)
        self.file = file
    }

    /// The `Content-Type` header value, boundary included.
    package var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The body's exact length in bytes.
    package var length: Int64 { Int64(head.count) + file.length + Int64(tail.count) }

    /// The body as a stream that re-reads the file for every attempt.
    package var body: RequestBody {
        let head = self.head, tail = self.tail, file = self.file
        return .stream(length: length, make: {
            ByteChunks(concatenating: [ByteChunks(chunks: [head]), ByteChunks(file), ByteChunks(chunks: [tail])])
        })
    }

    /// Percent-encodes `"`, CR and LF, the way HTML forms escape names and file names.
    static func quote(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
