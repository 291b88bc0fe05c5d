public import AnalyzeAPI

extension AnalyzeClient {
    /// Polls an uploaded asset until it is `ready`, as ``AnalyzeClient/waitForAsset(_:options:onUpdate:)`` does, and
    /// turns the other outcomes into submission errors that name the local file.
    ///
    /// - Parameters:
    ///   - id: The asset.
    ///   - file: The local file it was uploaded from (for the error).
    ///   - options: How to poll.
    ///   - onUpdate: Called with every status seen.
    /// - Returns: The asset, `ready`.
    /// - Throws: ``SubmissionError`` (``SubmissionError/Code/assetFailed`` when the platform failed the asset,
    ///   ``SubmissionError/Code/assetTimedOut`` when `options.timeout` passed first), or the `APIError` of a poll.
    public func readyAsset(
        _ id: String, file: String, options: WaitOptions, onUpdate: (@Sendable (Asset) -> Void)? = nil
    ) async throws -> Asset {
        switch try await waitForAsset(id, options: options, onUpdate: onUpdate) {
        case .ready(let asset):
            return asset
        case .failed(let asset):
            throw SubmissionError(.assetFailed, "asset \(asset.id) failed: \(asset.error?.message ?? "no reason given")", path: file)
        case .timedOut(let lastSeen, _):
            throw SubmissionError(.assetTimedOut,
                "asset \(id) was still \(lastSeen?.status.rawValue ?? "unknown") after \(Int(options.timeout.seconds)) s", path: file)
        }
    }
}
