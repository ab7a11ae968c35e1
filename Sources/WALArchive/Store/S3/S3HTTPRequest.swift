/// One signed HTTP request, ready for an ``S3Transport``.
package struct S3HTTPRequest: Sendable {
    package var method: String
    /// The full URL, path and query already encoded.
    package var url: String
    /// Every header to send, `Host` and `Authorization` included.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (any case), or `nil`.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
