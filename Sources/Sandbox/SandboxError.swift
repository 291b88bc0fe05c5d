import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Every error the sandbox answers with: a status, the platform's error `code` and a message, in the body
/// shape of the endpoint being answered (``ErrorShape/current``, set per request by ``ErrorShapeMiddleware``).
struct SandboxError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: PlatformErrorCode
    var message: String
    var headers: HTTPFields
    var shape: ErrorShape

    init(_ status: Int, _ code: PlatformErrorCode, _ message: String, headers: [String: String] = [:], shape: ErrorShape? = nil) {
        self.status = HTTPResponse.Status(code: status)
        self.code = code
        self.message = message
        self.shape = shape ?? ErrorShape.current ?? .flat
        var fields = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields[HTTPField.Name(name)!] = value }
        self.headers = fields
    }

    init(_ rejection: PlatformRejection) {
        self.init(rejection.status, rejection.code, rejection.message)
    }

    /// `{"code", "message"}`, nested under `error` for the nested shape.
    var body: Data {
        let fields: JSONValue = .object(["code": .string(code.rawValue), "message": .string(message)])
        return (try? WireCoding.encoder().encode(shape == .nested ? .object(["error": fields]) : fields)) ?? Data()
    }

    /// The error as a handler's answer.
    var outcome: SandboxResponder.Outcome {
        var outcome = SandboxResponder.Outcome(status: Int(status.code), body: body)
        for field in headers { outcome.headers[field.name.rawName] = field.value }
        return outcome
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Thrown for an injected dropped connection: nothing is written, and ``RequestLogMiddleware`` closes the channel.
struct SandboxDrop: Error {}
