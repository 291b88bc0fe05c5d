public import AnalyzeAPI
/// A stage of a submission.
public enum SubmissionPhase: String, Sendable, Hashable, CaseIterable {
    /// Probing the file and checking it against the policy.
    case preflight
    /// Uploading the file as an asset (direct or multipart).
    case uploading
    /// Waiting for the uploaded asset to become `ready`.
    case processingAsset = "processing_asset"
    /// Creating the task(s); for base64 this sends the video.
    case creating
    /// Waiting for the task(s) to finish.
    case waiting
    /// Finished.
    case done
}

/// One progress report of a submission.
public enum SubmissionEvent: Sendable, Hashable {
    /// A new stage began.
    case phase(SubmissionPhase)
    /// Bytes of the video handed to the network so far (base64 text or file bytes), of `total`.
    case bytesSent(Int64, total: Int64)
    /// Multipart chunks stored so far, of `total`.
    case partsDone(Int, total: Int)
    /// An uploaded asset's processing status.
    case assetStatus(assetID: String, status: String)
    /// A task's status, while waiting.
    case taskStatus(taskID: String, status: String)
}

/// The progress of a submission as an `AsyncSequence` of ``SubmissionEvent``s.
///
/// Create one, pass it in ``SubmitOptions/progress``, and iterate ``events`` concurrently; the sequence ends
/// when the submission returns or throws. Only the newest `bufferLimit` events are kept for a slow reader.
public struct SubmissionProgress: Sendable {
    /// The events, in order.
    public let events: AsyncStream<SubmissionEvent>
    private let continuation: AsyncStream<SubmissionEvent>.Continuation

    /// A new progress channel.
    public init(bufferLimit: Int = 512) {
        (events, continuation) = AsyncStream.makeStream(of: SubmissionEvent.self, bufferingPolicy: .bufferingNewest(bufferLimit))
    }

    func emit(_ event: SubmissionEvent) {
        continuation.yield(event)
    }

    func finish() {
        continuation.finish()
    }
}

/// What a submission has made so far that its caller must be able to name, even if it is then
/// interrupted (see ``SubmitOptions/onMilestone``).
public enum SubmissionMilestone: Sendable, Hashable {
    /// The file is becoming this asset; for a multipart upload, with its session (and how much of an
    /// earlier run it resumes).
    case assetCreated(assetID: String, upload: UploadStart?)
    /// A task was created, for the prompt at `index` of the request's prompts.
    case taskCreated(TaskReference, prompt: String?, index: Int)
}
