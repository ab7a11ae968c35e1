/// How a request names its bucket: in the host (`bucket.s3.region.amazonaws.com`,
/// "virtual-hosted") or in the path (`endpoint/bucket/key`, "path-style").
public enum S3AddressingStyle: Sendable, Equatable {
    /// Virtual-host for AWS's own endpoints when the bucket name is a DNS
    /// label (no dots: a dotted name breaks the wildcard TLS certificate),
    /// path-style for every other endpoint, since MinIO, moto and most
    /// S3-compatible servers need no DNS set-up that way.
    case automatic
    /// Always the bucket in the path (`AWS_S3_FORCE_PATH_STYLE=true`).
    case path
    /// Always the bucket in the host (`AWS_S3_FORCE_PATH_STYLE=false`).
    case virtualHost
}
