/// An opaque version of a stored object, compared for conditional
/// replaces: S3's ETag, or the file store's content hash.
public struct ObjectVersion: Hashable, Sendable, CustomStringConvertible {
    public var etag: String

    public init(etag: String) { self.etag = etag }

    public var description: String { etag }
}

/// When a put may take effect.
public enum WriteCondition: Hashable, Sendable {
    /// Always: creates or replaces.
    case unconditional
    /// Only if no object has the key (S3 `If-None-Match: *`).
    case ifAbsent
    /// Only if the object exists with exactly this version (S3 `If-Match`).
    case ifMatches(ObjectVersion)
}

/// What a store knows about one object without reading it.
public struct ObjectInfo: Hashable, Sendable {
    public var key: String
    public var size: Int
    public var version: ObjectVersion

    public init(key: String, size: Int, version: ObjectVersion) {
        self.key = key
        self.size = size
        self.version = version
    }
}

/// An object's bytes and what the store knows about it.
public struct StoredObject: Sendable {
    public var info: ObjectInfo
    public var bytes: [UInt8]

    public init(info: ObjectInfo, bytes: [UInt8]) {
        self.info = info
        self.bytes = bytes
    }
}

/// One page of a listing, keys in ascending byte order.
public struct ListPage: Sendable {
    public var objects: [ObjectInfo]
    /// Pass as `after` to get the next page; `nil` when this was the last.
    public var continuation: String?

    public init(objects: [ObjectInfo], continuation: String?) {
        self.objects = objects
        self.continuation = continuation
    }
}

/// Object storage the archive writes to: S3 and what speaks its API, or a
/// directory (``FileArchiveStore``).
///
/// The interface is `async`: the main implementation talks to a server over
/// the network, where a request takes milliseconds to seconds and must not
/// hold a thread while it waits. The operations are the subset of S3 the
/// archive needs, with S3's semantics: keys are `/`-separated strings, a
/// put replaces the whole object atomically (a reader sees the old or the
/// new bytes, never a mix), listings are in ascending byte order of the key
/// and paginated, and conditional puts (`If-None-Match: *`, `If-Match`) are
/// atomic with respect to every other writer of the store, including other
/// processes. A lost condition throws ``ArchiveError`` with code
/// `preconditionFailed`.
public protocol ArchiveStore: Sendable {
    /// Stores `bytes` under `key` if `condition` holds, and returns the new version.
    func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion
    /// The object under `key`, or `nil` when there is none.
    func get(_ key: String) async throws -> StoredObject?
    /// What is known about the object under `key` without reading it, or `nil`.
    func head(_ key: String) async throws -> ObjectInfo?
    /// Up to `limit` objects whose keys start with `prefix` and sort after
    /// `after` (S3 `ListObjectsV2` with `StartAfter`), in ascending key order.
    func list(prefix: String, after: String?, limit: Int) async throws -> ListPage
    /// Removes the object under `key`; removing a missing key succeeds (as in S3).
    func delete(_ key: String) async throws
}

extension ArchiveStore {
    /// Every object under `prefix` (after the key `start`, when given),
    /// following continuations page by page.
    public func listAll(prefix: String, after start: String? = nil, pageSize: Int = 1000) async throws -> [ObjectInfo] {
        var objects: [ObjectInfo] = []
        var after = start
        repeat {
            let page = try await list(prefix: prefix, after: after, limit: pageSize)
            objects += page.objects
            after = page.continuation
        } while after != nil
        return objects
    }
}
