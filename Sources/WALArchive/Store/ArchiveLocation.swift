/// Where an archive lives, parsed from the URL an operator gives:
/// `s3://bucket/prefix` or `file:///absolute/path`.
///
/// A file archive keeps its objects directly under the path (its prefix is
/// empty); an S3 archive keeps them under `prefix/` in the bucket, so one
/// bucket can hold several archives.
public struct ArchiveLocation: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A directory, local or on NFS.
        case directory(path: String)
        /// A bucket of an S3-compatible object store.
        case s3(bucket: String)
    }

    public var kind: Kind
    /// The key prefix of the archive's objects, without a trailing `/`.
    public var prefix: String
    /// The URL as given.
    public var url: String

    public var description: String { url }

    /// Parses `url`.
    ///
    /// - Throws: ``ArchiveError`` `.invalidArgument` naming what is wrong:
    ///   an unknown scheme, a relative file path, an S3 URL without a
    ///   bucket, or a bucket name S3 does not allow.
    public init(parsing url: String) throws {
        self.url = url
        if url.hasPrefix("file://") {
            let store = try FileArchiveStore(url: url)
            kind = .directory(path: store.root)
            prefix = ""
        } else if url.hasPrefix("s3://") {
            let rest = url.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            var prefix = String(rest.dropFirst(bucket.count))
            while prefix.hasPrefix("/") { prefix.removeFirst() }
            while prefix.hasSuffix("/") { prefix.removeLast() }
            try Self.validate(bucket: bucket, url: url)
            if prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) && !prefix.isEmpty {
                throw ArchiveError(.invalidArgument, "an S3 archive prefix has no empty, '.' or '..' components (got \(url))")
            }
            kind = .s3(bucket: bucket)
            self.prefix = prefix
        } else {
            throw ArchiveError(.invalidArgument, "an archive URL starts with s3:// or file:// (got \(url))")
        }
    }

    /// S3's rules for bucket names: 3–63 characters of lower-case letters,
    /// digits, `.` and `-`, starting and ending with a letter or digit.
    static func validate(bucket: String, url: String) throws {
        let allowed = bucket.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }
        let edgesOK = bucket.utf8.first.map { $0 != 0x2E && $0 != 0x2D } == true
            && bucket.utf8.last.map { $0 != 0x2E && $0 != 0x2D } == true
        guard (3...63).contains(bucket.utf8.count), allowed, edgesOK else {
            throw ArchiveError(
                .invalidArgument,
                "an S3 bucket name has 3 to 63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit (got '\(bucket)' in \(url))")
        }
    }
}
