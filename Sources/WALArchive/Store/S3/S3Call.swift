/// One S3 API call before it is addressed and signed: what the retry loop
/// repeats (each attempt is signed anew, with the time of that attempt).
struct S3Call: Sendable {
    /// The S3 API name (`PutObject`, ...), for errors.
    var operation: String
    var method: String
    /// The object key, or `nil` for a request on the bucket itself.
    var key: String?
    /// Query parameters, not encoded.
    var query: [(name: String, value: String)] = []
    /// Headers besides the ones every request gets; all are signed.
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    /// What errors name as the object: the key, or a listing's prefix.
    var subject: String?

    init(
        _ operation: String, _ method: String, key: String?, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: [UInt8] = [], subject: String? = nil
    ) {
        self.operation = operation
        self.method = method
        self.key = key
        self.query = query
        self.headers = headers
        self.body = body
        self.subject = subject ?? key
    }
}
