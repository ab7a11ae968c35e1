/// S3's `<Error>` document: its code and message, and for
/// `RequestTimeTooSkewed` the times the server compared.
struct S3ErrorDocument: Sendable, Equatable {
    var code: String
    var message: String
    /// The `x-amz-date` the server received (`RequestTimeTooSkewed`).
    var requestTime: String?
    /// The server's clock when it answered (`RequestTimeTooSkewed`).
    var serverTime: String?

    /// Parses `body` when its root element is `Error`; `nil` otherwise
    /// (an empty body, as for HEAD, or something that is not S3's XML).
    init?(parsing body: [UInt8]) {
        guard !body.isEmpty else { return nil }
        let xml = Substring(String(decoding: body, as: UTF8.self))
        guard S3XML.rootName(of: xml) == "Error", let code = S3XML.text("Code", in: xml) else { return nil }
        self.code = code
        self.message = S3XML.text("Message", in: xml) ?? ""
        self.requestTime = S3XML.text("RequestTime", in: xml)
        self.serverTime = S3XML.text("ServerTime", in: xml)
    }

    init(code: String, message: String, requestTime: String? = nil, serverTime: String? = nil) {
        self.code = code
        self.message = message
        self.requestTime = requestTime
        self.serverTime = serverTime
    }
}
