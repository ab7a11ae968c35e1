/// The outcome of one S3 call after its retries: the last answer, S3's
/// error document if it sent one, and whether an earlier attempt may have
/// taken effect although its answer was lost or an error.
struct S3Exchange: Sendable {
    var response: S3HTTPResponse
    var error: S3ErrorDocument?
    /// Attempts made, the last included.
    var attempts: Int
    /// An earlier attempt got no answer or a retried error, so the server
    /// may have acted on it: a conditional write that now fails its
    /// condition may have been ours.
    var earlierAttemptMayHaveApplied: Bool

    /// 2xx without an error document (CompleteMultipartUpload can fail with 200).
    var succeeded: Bool { response.succeeded && error == nil }
    var status: Int { response.status }
    var code: String? { error?.code }
}
