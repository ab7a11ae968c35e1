import Hummingbird

extension Response {
    /// A response whose body is `value` as JSON.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(value))))
    }

    /// The response for a failed request; its ``GraphServerError/detail`` only when `revealingDetail` (admin routes).
    static func error(_ error: GraphServerError, revealingDetail: Bool = false) -> Response {
        var response = Response.json(error.json(revealingDetail: revealingDetail), status: error.status)
        if error.code == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"graph-server\""
        }
        return response
    }
}
