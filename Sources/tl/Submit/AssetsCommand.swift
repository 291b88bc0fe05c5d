import AnalyzeAPI
import ArgumentParser
import Foundation
import MediaProbe
import Preflight
import Submission

/// `tl assets`: upload a file as an asset, show an asset.
struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "Upload videos as assets, list, inspect and delete them.",
        subcommands: [Upload.self, List.self, Get.self, Delete.self])

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case auto, direct, multipart
    }

    /// `tl assets upload`.
    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a file as an asset and wait until it is ready.",
            discussion: """
                auto uploads up to 200 MB directly and larger files in chunks. A multipart upload saves its \
                progress in $XDG_CACHE_HOME/videopreflight/uploads (else ~/.cache/…): running the same command \
                again after an interruption sends only the missing chunks.
                Exit status: 0 ready, 1 upload or processing failed / API error, 2 tool failure, 64 usage error.
                """)

        @OptionGroup var api: APIOptions

        @Argument(help: ArgumentHelp("The video file.", valueName: "PATH"), completion: .file())
        var path: String

        @Option(help: "auto, direct or multipart.")
        var method: Method = .auto

        @Option(help: "Multipart: chunk uploads in flight at once (default 4).")
        var parallel: Int?

        @Option(name: .customLong("resume-upload"), help: ArgumentHelp(
            "Continue this incomplete multipart upload (see tl uploads list --remote) when this machine has no saved state for the file: the server's record of stored chunks says what is left to send.",
            valueName: "UPLOAD_ID"))
        var resumeUpload: String?

        @Flag(help: "Upload the file even though it fails preflight.")
        var force = false

        @Option(help: ArgumentHelp("A JSON file overriding policy limits, as for tl preflight; '-' reads standard input.", valueName: "FILE"),
                completion: .file())
        var policy: String?

        @Flag(help: "Treat preflight warnings as failures.")
        var strict = false

        @Flag(name: .customLong("no-wait"), help: "Return once the bytes are stored, without waiting for processing.")
        var noWait = false

        @Option(help: "Give up waiting for processing after this many seconds.")
        var timeout: Double = 3600

        func validate() throws {
            if let resumeUpload {
                guard method != .direct else { throw ValidationError("--resume-upload continues a multipart upload, not --method direct.") }
                try TasksCommand.checkIDs([resumeUpload], what: "upload")
            }
            if let parallel {
                guard method != .direct else { throw ValidationError("--parallel applies only to multipart uploads, not --method direct.") }
                guard (1...32).contains(parallel) else { throw ValidationError("--parallel must be 1–32.") }
            }
            guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 seconds.") }
        }

        func run() async throws {
            let identity: FileIdentity
            do {
                identity = try FileIdentity(file: path, baseURL: "")
            } catch let error as SubmissionError {
                throw SubmitOutput.fail(error, format: api.format)
            }
            guard identity.size > 0 else {
                throw SubmitOutput.fail(SubmissionError(.fileUnreadable, "\(path) is empty", path: path), format: api.format)
            }
            try InputFile.checkOneStandardInput([("--policy", self.policy), ("--api-key-file", api.apiKeyFile)])
            let policy = try self.policy.map(PolicyFile.load) ?? .platformDefault
            let configuration = try api.configuration()
            // Checked before any byte is sent, as tl submit does: a file the platform would refuse
            // is not uploaded, unless --force.
            let report: Report
            do {
                report = try await Preflight.evaluate(path: path, policy: policy).judged(strict: strict)
            } catch let error as ProbeError {
                CLI.printError("\(path) could not be checked: \(error.message) Nothing was sent.", code: "probe_unavailable", format: api.format, error: nil)
                throw ExitCode(2)
            }
            if !report.ok {
                let codes = Submitter.failing(report)
                guard force else {
                    throw SubmitOutput.fail(SubmissionError(.preflightFailed, "\(path) fails preflight (\(codes)); nothing was sent",
                                                            path: path, report: report), format: api.format)
                }
                CLI.err("warning: \(path) fails preflight (\(codes)) and is uploaded because of --force")
            } else if !Console.quiet {
                for warning in report.warnings { CLI.err("warning: \(warning.code): \(warning.message)") }
            }
            let chosen: Method = method != .auto ? method
                : resumeUpload != nil || identity.size > policy.maxDirectUploadBytes ? .multipart : .direct
            if chosen == .direct, identity.size > policy.maxDirectUploadBytes {
                throw SubmitOutput.fail(SubmissionError(.sourceNotPossible,
                    "\(Planner.grouped(identity.size)) bytes exceeds the \(Planner.grouped(policy.maxDirectUploadBytes))-byte direct upload limit; use --method multipart",
                    path: path), format: api.format)
            }
            var wait = WaitOptions(minimumInterval: .seconds(1), maximumInterval: .seconds(10))
            wait.timeout = .seconds(double: timeout)
            MediaProbe.unloadLibraries()
            MemoryTuning.forUploads()
            try await api.withClient(configuration: configuration) { client in
                do {
                    var multipart: MultipartUploadResult?
                    var asset: Asset
                    if chosen == .direct {
                        asset = try await client.uploadAsset(file: path)
                    } else {
                        var options = MultipartUploadOptions()
                        options.parallelism = parallel ?? 4
                        options.waitForReady = false
                        options.resumeUploadID = resumeUpload
                        options.onStart = { start in
                            if start.chunksResumed > 0 {
                                CLI.endProgress()
                                let asset = start.assetID.isEmpty ? "" : " (asset \(start.assetID))"
                                Console.note("resumed \(start.chunksResumed) of \(start.totalChunks) chunks of upload \(start.uploadID)\(asset)")
                            }
                        }
                        let interruption = SignalWatch(signals: [SIGINT, SIGTERM]) {
                            "interrupted; the multipart upload is saved: run the same command again to send only the missing chunks"
                        }
                        defer { interruption.cancel() }
                        let result = try await MultipartUploader(client: client, options: options).upload(file: path, onProgress: { update in
                            CLI.progress("uploading \(update.chunksDone)/\(update.totalChunks) chunks, \(update.bytesSent * 100 / max(1, update.totalBytes))%")
                        })
                        CLI.endProgress()
                        multipart = result
                        asset = try await client.retrieveAsset(result.assetID)
                    }
                    if !noWait {
                        switch try await client.waitForAsset(asset.id, options: wait) {
                        case .ready(let ready): asset = ready
                        case .failed(let failed):
                            throw SubmissionError(.assetFailed, "asset \(failed.id) failed: \(failed.error?.message ?? "no reason given")", path: path)
                        case .timedOut(let lastSeen, _):
                            throw SubmissionError(.assetTimedOut, "asset \(asset.id) was still \(lastSeen?.status.rawValue ?? "unknown") after \(Int(timeout)) s", path: path)
                        }
                    }
                    if api.format.isJSON {
                        var object: [String: JSONValue] = ["method": .string(chosen.rawValue), "asset": try SubmitOutput.json(asset)]
                        if let multipart { object["multipart"] = SubmitOutput.multipartJSON(multipart) }
                        CLI.printJSON(JSONValue.object(object), format: api.format)
                    } else {
                        CLI.out("asset:  \(asset.id) (\(asset.status))")
                        CLI.out("method: \(chosen.rawValue)")
                        if let multipart {
                            CLI.out("chunks: \(multipart.chunksSent.count) sent, \(multipart.chunksResumed) resumed, \(multipart.totalChunks) in all")
                            let seconds = multipart.transferDuration.seconds
                            let rate = seconds > 0 ? " (\(Int((Double(multipart.bytesSent) / seconds / 1e6).rounded())) MB/s)" : ""
                            CLI.out("sent:   \(Planner.grouped(multipart.bytesSent)) bytes in \(String(format: "%.3f", seconds)) s\(rate)")
                        }
                    }
                    return 0
                } catch let error as SubmissionError {
                    throw SubmitOutput.fail(error, format: api.format)
                }
            }
        }
    }

    /// `tl assets get`.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one asset.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The asset id.")
        var id: String

        func validate() throws { try TasksCommand.checkIDs([id], what: "asset") }

        func run() async throws {
            try await api.withClient { client in
                let asset = try await client.retrieveAsset(id)
                if api.format.isJSON {
                    CLI.printJSON(asset, format: api.format)
                } else {
                    var lines = ["asset id:   \(asset.id)", "status:     \(asset.status)"]
                    if let method = asset.method { lines.append("method:     \(method)") }
                    if let filename = asset.filename { lines.append("filename:   \(filename)") }
                    if let size = asset.size { lines.append("size:       \(Planner.grouped(size)) bytes") }
                    lines.append("created:    \(CLI.date(asset.createdAt))")
                    if let error = asset.error { lines.append("error:      \(error.code.map { "\($0): " } ?? "")\(error.message)") }
                    CLI.out(lines.joined(separator: "\n"))
                }
                return asset.status == .failed ? 1 : 0
            }
        }
    }

    /// `tl assets list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List assets, newest first.",
            discussion: "JSON output is {\"data\": [...], \"page_info\": {...}}, for one page and for --all alike.")

        @OptionGroup var api: APIOptions

        @Option(help: "Only assets with this file name.")
        var filename: String?

        @Option(name: .customLong("asset-id"), help: "Only these assets (repeatable).")
        var assetIDs: [String] = []

        @OptionGroup var paging: PagingOptions

        func validate() throws {
            if !assetIDs.isEmpty { try TasksCommand.checkIDs(assetIDs, what: "asset") }
        }

        func run() async throws {
            try await api.withClient { client in
                let assets = try await paging.fetch { page, limit in
                    try await client.listAssets(page: page, pageLimit: limit, filename: filename, assetIDs: assetIDs)
                }
                return try paging.print(assets, noun: "asset", format: api.format) { assets in
                    CLI.table(["ASSET ID", "STATUS", "METHOD", "SIZE", "CREATED", "FILENAME"], assets.map {
                        [$0.id, $0.status.rawValue, $0.method ?? "-", $0.size.map(Planner.grouped) ?? "-", CLI.date($0.createdAt), $0.filename ?? "-"]
                    })
                }
            }
        }
    }

    /// `tl assets delete`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete assets.",
            discussion: "An asset that a task still uses is refused (409) unless --force. Exit 1 when any could not be deleted.")

        @OptionGroup var api: APIOptions

        @Flag(help: "Delete even an asset that unfinished tasks use.")
        var force = false

        @Argument(help: "Asset ids.")
        var ids: [String] = []

        func validate() throws { try TasksCommand.checkIDs(ids, what: "asset") }

        func run() async throws {
            try await api.withClient { client in
                try await TasksCommand.each(ids, format: api.format, idKey: "asset_id") { id in
                    try await client.deleteAsset(id, force: force)
                    return (["asset_id": .string(id), "deleted": .bool(true)], "deleted \(id)")
                }
            }
        }
    }
}
