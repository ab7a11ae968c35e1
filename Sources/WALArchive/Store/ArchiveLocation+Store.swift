import Foundation

extension ArchiveLocation {
    /// The store this location names.
    ///
    /// - Parameter environment: where an S3 store finds its credentials,
    ///   region and endpoint (the standard `AWS_*` variables).
    public func makeStore(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any ArchiveStore {
        switch kind {
        case .directory(let path):
            return FileArchiveStore(directory: path)
        case .s3(let bucket):
            // The store addresses the whole bucket; `prefix` is the Archiver's.
            return try S3ArchiveStore(bucket: bucket, configuration: S3Configuration(environment: environment))
        }
    }
}
