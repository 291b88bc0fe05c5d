import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// Direct asset uploads, asset processing and `asset_id` task sources, over raw HTTP against literal JSON.
@Suite(.timeLimit(.minutes(3))) struct AssetRoutesTests {
    @Test func directUploadOfARealVideoIsStoredAndBecomesReady() async throws {
        let clock = ManualClock(mode: .manual)
        let video = try testMedia("ok_640x360_5s.mp4")
        let inspected = InspectedFiles()
        try await AssetClient.with({
            $0.clock = clock
            $0.uploads.assetProcessing = .seconds(2)
            $0.inspector = { url in
                await inspected.add(url)
                return nil
            }
        }) { client in
            let form = FormBody.direct(video, filename: "ok_640x360_5s.mp4")
            let created = try await client.send(
                "POST", "/assets", body: form.data, headers: ["x-api-key": AssetClient.key, "Content-Type": form.contentType])
            #expect(created.status == 201, "\(created.text)")
            let asset = try #require(created.json?.objectValue)
            #expect(Set(asset.keys) == ["_id", "status", "method", "filename", "size", "created_at"])
            #expect(asset["status"] == .string("processing"))
            #expect(asset["method"] == .string("direct"))
            #expect(asset["filename"] == .string("ok_640x360_5s.mp4"))
            #expect(asset["size"] == .integer(video.count))
            #expect(asset["created_at"]?.stringValue.flatMap(RFC3339.date(from:)) == clock.currentDate())
            let id = try #require(asset["_id"]?.stringValue)
            #expect(id.count == 24)

            #expect(try await client.send("GET", "/assets/\(id)").json?["status"] == .string("processing"))
            #expect(await inspected.seen.isEmpty)
            clock.advance(by: .seconds(2))
            let ready = try await client.send("GET", "/assets/\(id)")
            #expect(ready.status == 200)
            #expect(ready.json?["status"] == .string("ready"))
            #expect(ready.json?["_id"] == .string(id))
            #expect(ready.json?["error"] == nil)
            let seen = await inspected.seen
            #expect(seen.count == 1)
            #expect(seen.first?.1 == video)
            #expect(seen.first?.0.path.hasPrefix(client.state.storageDirectory.path) == true)
            // Judged once: later reads do not run the inspector again.
            _ = try await client.send("GET", "/assets/\(id)")
            #expect(await inspected.seen.count == 1)
        }
    }

    @Test func aFileTheInspectorRejectsEndsFailedWithItsMessage() async throws {
        let clock = ManualClock(mode: .manual)
        let text = try testMedia("text.mp4")
        try await AssetClient.with({
            $0.clock = clock
            $0.inspector = { url in
                let bytes = (try? Data(contentsOf: url)) ?? Data()
                return bytes.count > 8 && bytes[4..<8] == Data("ftyp".utf8) ? nil : "not_media: the file is not a video."
            }
        }) { client in
            let form = FormBody.direct(text, filename: "text.mp4")
            let created = try await client.send(
                "POST", "/assets", body: form.data, headers: ["x-api-key": AssetClient.key, "Content-Type": form.contentType])
            let id = try #require(created.json?["_id"]?.stringValue)
            clock.advance(by: .seconds(1))
            let failed = try #require(try await client.send("GET", "/assets/\(id)").json)
            #expect(failed["status"] == .string("failed"))
            #expect(failed["error"]?["message"] == .string("not_media: the file is not a video."))
        }
    }

    @Test func storageIsRemovedWhenTheSandboxStops() async throws {
        var directory: URL?
        try await AssetClient.with { client in
            let form = FormBody.direct(Data("bytes".utf8))
            let created = try await client.send(
                "POST", "/assets", body: form.data, headers: ["x-api-key": AssetClient.key, "Content-Type": form.contentType])
            #expect(created.status == 201)
            directory = client.state.storageDirectory
            #expect(FileManager.default.fileExists(atPath: client.state.storageDirectory.path))
        }
        #expect(FileManager.default.fileExists(atPath: try #require(directory).path) == false)
    }

    static func malformed() -> [(String, String?, Data, Int, String)] {
        let boundary = FormBody().boundary
        let type = "multipart/form-data; boundary=\(boundary)"
        func form(_ build: (inout FormBody) -> Void) -> Data {
            var body = FormBody()
            build(&body)
            return body.data
        }
        let good = form { $0.field("method", "direct"); $0.file(Data("abc".utf8)); $0.close() }
        return [
            ("no content type", nil, good, 400, "parameter_invalid"),
            ("json content type", "application/json", good, 400, "parameter_invalid"),
            ("no boundary", "multipart/form-data", good, 400, "parameter_invalid"),
            ("other boundary", "multipart/form-data; boundary=nothere", good, 400, "parameter_invalid"),
            ("empty body", type, Data(), 400, "parameter_invalid"),
            ("truncated", type, good.dropLast(12), 400, "parameter_invalid"),
            ("no closing delimiter", type, form { $0.field("method", "direct"); $0.file(Data("abc".utf8)) }, 400, "parameter_invalid"),
            ("garbage after delimiter", type, Data("--\(boundary)xyz\r\n\r\nabc\r\n--\(boundary)--".utf8), 400, "parameter_invalid"),
            ("no disposition", type, Data("--\(boundary)\r\nContent-Type: text/plain\r\n\r\nabc\r\n--\(boundary)--\r\n".utf8), 400, "parameter_invalid"),
            ("header without colon", type, Data("--\(boundary)\r\nbroken header\r\n\r\nabc\r\n--\(boundary)--\r\n".utf8), 400, "parameter_invalid"),
            ("missing method", type, form { $0.file(Data("abc".utf8)); $0.close() }, 400, "parameter_not_provided"),
            ("method url", type, form { $0.field("method", "url"); $0.file(Data("abc".utf8)); $0.close() }, 400, "parameter_invalid"),
            ("missing file", type, form { $0.field("method", "direct"); $0.close() }, 400, "parameter_not_provided"),
            ("empty file", type, form { $0.field("method", "direct"); $0.file(Data()); $0.close() }, 400, "parameter_invalid"),
            ("two files", type, form { $0.field("method", "direct"); $0.file(Data("a".utf8)); $0.file(Data("b".utf8)); $0.close() }, 400, "parameter_invalid"),
            ("unknown field", type, form { $0.field("method", "direct"); $0.field("enable", "1"); $0.file(Data("a".utf8)); $0.close() }, 400, "parameter_unknown"),
        ]
    }

    @Test(arguments: malformed())
    func malformedFormsAreRefused(name: String, contentType: String?, body: Data, status: Int, code: String) async throws {
        try await AssetClient.with { client in
            var headers = ["x-api-key": AssetClient.key]
            headers["Content-Type"] = contentType
            let reply = try await client.send("POST", "/assets", body: body, headers: headers)
            #expect(reply.status == status, "\(name): \(reply.text)")
            #expect(reply.json?["code"] == .string(code), "\(name): \(reply.text)")
            #expect(reply.json?["message"]?.stringValue?.isEmpty == false)
            #expect(client.state.assetCount == 0)
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: client.state.storageDirectory.path)) ?? []
            #expect(leftovers.isEmpty, "\(name): \(leftovers)")
        }
    }

    @Test func quotedBoundaryPreambleEpilogueAndFilenameFieldAreAccepted() async throws {
        let boundary = "quoted boundary:+/=?"
        let payload = Data([0, 13, 10, 45, 45] + Array("quoted bound".utf8) + [255, 13, 10, 13, 10, 0])
        var body = Data("preamble to ignore\r\n".utf8)
        body.append(Data("--\(boundary)  \r\ncontent-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".mp4\"\r\n\r\n".utf8))
        body.append(payload)
        body.append(Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=filename\r\n\r\nrenamed.mp4\r\n".utf8))
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\ndirect\r\n--\(boundary)--\r\nepilogue".utf8))
        let inspected = InspectedFiles()
        let clock = ManualClock(mode: .manual)
        try await AssetClient.with({
            $0.clock = clock
            $0.inspector = { url in
                await inspected.add(url)
                return nil
            }
        }) { client in
            let reply = try await client.send("POST", "/assets", body: body, headers: [
                "x-api-key": AssetClient.key, "Content-Type": "multipart/form-data; charset=utf-8; boundary=\"\(boundary)\"",
            ])
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.json?["filename"] == .string("renamed.mp4"))
            #expect(reply.json?["size"] == .integer(payload.count))
            clock.advance(by: .seconds(1))
            let id = try #require(reply.json?["_id"]?.stringValue)
            #expect(try await client.send("GET", "/assets/\(id)").json?["status"] == .string("ready"))
            #expect(await inspected.seen.first?.1 == payload)
        }
    }

    @Test func oversizeVideosAndBodiesAreRefused() async throws {
        try await AssetClient.with({
            $0.uploads.maxDirectBytes = 1000
            $0.uploads.directBodyOverhead = 1000
        }) { client in
            func upload(_ size: Int) async throws -> AssetClient.Reply {
                let form = FormBody.direct(Data(repeating: 7, count: size))
                return try await client.send(
                    "POST", "/assets", body: form.data, headers: ["x-api-key": AssetClient.key, "Content-Type": form.contentType])
            }
            #expect(try await upload(1000).status == 201)
            let tooBig = try await upload(1001)
            #expect(tooBig.status == 400)
            #expect(tooBig.json?["code"] == .string("video_file_too_large"))
            let body = try await upload(5000)
            #expect(body.status == 413)
            #expect(body.json?["code"] == .string("parameter_invalid"))
            #expect(client.state.assetCount == 1)
        }
    }

    @Test func unknownAssetsAndRoutesAre404() async throws {
        try await AssetClient.with { client in
            for (method, path) in [("GET", "/assets/6720a55e0000000000000099"), ("GET", "/assets/multipart-uploads/nope"),
                                   ("DELETE", "/assets/x"), ("POST", "/assets/multipart-uploads/nope/presigned-urls")] {
                let reply = try await client.send(method, path, body: method == "POST" ? Data(#"{"start":1,"count":1}"#.utf8) : nil)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.json?["code"] == .string("resource_not_exist"))
            }
            #expect(try await client.send("GET", "/assets/x", headers: [:]).status == 401)
        }
    }

    @Test func tasksTakeOnlyReadyAssets() async throws {
        let clock = ManualClock(mode: .manual)
        try await AssetClient.with({
            $0.clock = clock
            $0.inspector = { url in (try? Data(contentsOf: url)) == Data("bad".utf8) ? "rejected" : nil }
        }) { client in
            func task(_ assetID: String) async throws -> AssetClient.Reply {
                try await client.post("/analyze/tasks", json: #"{"video": {"type": "asset_id", "asset_id": "\#(assetID)"}, "prompt": "p"}"#)
            }
            let unknown = try await task("6720a55e00000000000000ff")
            #expect(unknown.status == 400)
            #expect(unknown.json?["error"]?["code"] == .string("parameter_invalid"))
            #expect(unknown.json?["error"]?["message"]?.stringValue?.contains("asset_id") == true)

            func upload(_ bytes: String) async throws -> String {
                let form = FormBody.direct(Data(bytes.utf8))
                let reply = try await client.send(
                    "POST", "/assets", body: form.data, headers: ["x-api-key": AssetClient.key, "Content-Type": form.contentType])
                return try #require(reply.json?["_id"]?.stringValue)
            }
            let good = try await upload("good")
            let bad = try await upload("bad")
            let processing = try await task(good)
            #expect(processing.status == 400)
            #expect(processing.json?["error"]?["code"] == .string("video_not_ready"))
            clock.advance(by: .seconds(1))
            let accepted = try await task(good)
            #expect(accepted.status == 202, "\(accepted.text)")
            let failed = try await task(bad)
            #expect(failed.status == 400)
            #expect(failed.json?["error"]?["code"] == .string("parameter_invalid"))
            #expect(failed.json?["error"]?["message"]?.stringValue?.contains("rejected") == true)
            client.state.addReadyAsset(id: "seeded")
            #expect(try await task("seeded").status == 202)
            #expect(client.state.createdTaskCount == 2)
        }
    }
}
