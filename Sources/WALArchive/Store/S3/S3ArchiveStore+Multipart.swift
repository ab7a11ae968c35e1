extension S3ArchiveStore {
    /// Stores a large object as a multipart upload: CreateMultipartUpload,
    /// one UploadPart per part (in order, one at a time), then
    /// CompleteMultipartUpload carrying the condition (`If-None-Match: *`
    /// for a create). Any failure aborts the upload, so no parts are left
    /// to pay for.
    func putMultipart(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        let uploadID = try await createMultipartUpload(key)
        do {
            let partSize = configuration.partSize(forObjectOf: bytes.count)
            var parts: [(number: Int, etag: String)] = []
            var digests: [[UInt8]] = []
            var start = 0
            while start < bytes.count {
                let part = bytes[start..<min(start + partSize, bytes.count)]
                let number = parts.count + 1
                parts.append((number, try await uploadPart(key, uploadID: uploadID, number: number, Array(part))))
                digests.append(S3ETag.digest(part))
                start += part.count
            }
            return try await completeMultipartUpload(
                key, uploadID: uploadID, parts: parts, condition: condition, expected: S3ETag.multipart(partDigests: digests))
        } catch {
            await abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    func createMultipartUpload(_ key: String) async throws -> String {
        let call = S3Call("CreateMultipartUpload", "POST", key: key, query: [("uploads", "")])
        let exchange = try await perform(call)
        guard exchange.succeeded else { throw failure(of: call, exchange) }
        let xml = Substring(String(decoding: exchange.response.body, as: UTF8.self))
        guard let uploadID = S3XML.text("UploadId", in: xml), !uploadID.isEmpty else {
            throw ArchiveError(
                .server, "S3 started a multipart upload without naming its UploadId", key: key, operation: call.operation,
                httpStatus: exchange.status)
        }
        return uploadID
    }

    /// Uploads one part (retrying is safe: a part number's last upload
    /// wins) and returns its ETag.
    func uploadPart(_ key: String, uploadID: String, number: Int, _ bytes: [UInt8]) async throws -> String {
        let call = S3Call(
            "UploadPart", "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: bytes)
        let exchange = try await perform(call)
        guard exchange.succeeded else { throw failure(of: call, exchange) }
        return exchange.response.header("ETag").map(S3ETag.normalized) ?? S3ETag.singlePart(bytes)
    }

    /// Completes the upload; a retried completion that then fails (its
    /// condition, or the upload is gone because the first one finished) is
    /// ours if the object has the ETag our parts make.
    func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [(number: Int, etag: String)], condition: WriteCondition, expected: String
    ) async throws -> ObjectVersion {
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        var headers: [(name: String, value: String)] = [("content-type", "application/xml")]
        switch condition {
        case .unconditional: break
        case .ifAbsent: headers.append(("if-none-match", "*"))
        case .ifMatches(let version): headers.append(("if-match", version.etag))
        }
        let call = S3Call(
            "CompleteMultipartUpload", "POST", key: key, query: [("uploadId", uploadID)], headers: headers, body: Array(body.utf8))
        let exchange = try await perform(call, errorsMayComeWith200: true)
        if exchange.succeeded {
            let xml = Substring(String(decoding: exchange.response.body, as: UTF8.self))
            return ObjectVersion(etag: S3XML.text("ETag", in: xml).map(S3ETag.normalized) ?? expected)
        }
        let uploadGone = exchange.status == 404 && exchange.code == "NoSuchUpload"
        if exchange.earlierAttemptMayHaveApplied, Self.conditionFailed(exchange) || uploadGone,
            let current = try await head(key), current.version.etag == expected
        {
            return current.version
        }
        throw failure(of: call, exchange)
    }

    /// Aborts the upload, once, even when the caller was cancelled (the
    /// parts would otherwise stay, billed, until a lifecycle rule removes
    /// them); its own failure is not reported over the one that caused it.
    func abortMultipartUpload(_ key: String, uploadID: String) async {
        let call = S3Call("AbortMultipartUpload", "DELETE", key: key, query: [("uploadId", uploadID)])
        let store = self
        await Task { _ = try? await store.perform(call, attempts: 1) }.value
    }
}
