/// A `ListObjectsV2` answer: the objects of the page and whether more follow.
struct S3ListBucketResult: Sendable {
    var objects: [ObjectInfo]
    var isTruncated: Bool

    /// Parses the `ListBucketResult` document in `body`.
    ///
    /// - Throws: ``ArchiveError`` `.server` for a document that is not one,
    ///   or an entry without a key or with an unreadable size.
    init(parsing body: [UInt8], call: S3Call) throws {
        let xml = Substring(String(decoding: body, as: UTF8.self))
        guard S3XML.rootName(of: xml) == "ListBucketResult" else {
            throw ArchiveError(
                .server, "the answer to a listing is not a ListBucketResult document", key: call.subject, operation: call.operation,
                httpStatus: 200)
        }
        var objects: [ObjectInfo] = []
        for entry in S3XML.elements("Contents", in: xml) {
            guard let key = S3XML.text("Key", in: entry), let size = S3XML.text("Size", in: entry).flatMap({ Int($0) }) else {
                throw ArchiveError(
                    .server, "a listing entry lacks its Key or Size", key: call.subject, operation: call.operation, httpStatus: 200)
            }
            let etag = S3XML.text("ETag", in: entry) ?? ""
            objects.append(ObjectInfo(key: key, size: size, version: ObjectVersion(etag: S3ETag.normalized(etag))))
        }
        self.objects = objects
        self.isTruncated = S3XML.text("IsTruncated", in: xml)?.lowercased() == "true"
    }
}
