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
        case .s3:
            throw ArchiveError(.invalidArgument, "S3 archives need the S3 transport, which this build lacks (\(url))")
        }
    }
}
