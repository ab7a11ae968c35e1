import Crypto
import Foundation
import WALArchive

extension MotoServer {
    /// Makes this server check every request's signature: creates an IAM
    /// user with an access key that may use S3 and assume a role (moto
    /// answers these before authentication is on), then turns it on.
    /// Returns the server reached with the user's key.
    package func authenticated() async throws -> MotoServer {
        let anyone = SigV4Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "unchecked")
        let allowS3 = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":"*"}]}"#
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#
        _ = try await query("iam", [("Action", "CreateUser"), ("UserName", "archiver")], as: anyone)
        let key = try await query("iam", [("Action", "CreateAccessKey"), ("UserName", "archiver")], as: anyone)
        _ = try await query(
            "iam", [("Action", "PutUserPolicy"), ("UserName", "archiver"), ("PolicyName", "s3"), ("PolicyDocument", allowS3)], as: anyone)
        _ = try await query("iam", [("Action", "CreateRole"), ("RoleName", "archiver-role"), ("AssumeRolePolicyDocument", trust)], as: anyone)
        _ = try await query(
            "iam", [("Action", "PutRolePolicy"), ("RoleName", "archiver-role"), ("PolicyName", "s3"), ("PolicyDocument", allowS3)],
            as: anyone)
        let reset = try await AsyncHTTPClientTransport().send(
            S3HTTPRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/moto-api/reset-auth", headers: [("content-type", "text/plain")],
                body: Array("0".utf8)), timeout: .seconds(20))
        guard reset.status == 200 else { throw Failure(description: "moto did not turn authentication on: \(reset.status)") }
        let id = try Self.element("AccessKeyId", in: key)
        let secret = try Self.element("SecretAccessKey", in: key)
        return with(credentials: SigV4Credentials(accessKeyID: id, secretAccessKey: secret), sessionToken: nil)
    }

    /// The server reached with temporary credentials of the role (STS
    /// AssumeRole, signed with this server's credentials).
    package func assumingRole() async throws -> MotoServer {
        let answer = try await query(
            "sts",
            [
                ("Action", "AssumeRole"), ("RoleArn", "arn:aws:iam::123456789012:role/archiver-role"),
                ("RoleSessionName", "archive-test"),
            ], as: credentials)
        return with(
            credentials: SigV4Credentials(
                accessKeyID: try Self.element("AccessKeyId", in: answer), secretAccessKey: try Self.element("SecretAccessKey", in: answer)),
            sessionToken: try Self.element("SessionToken", in: answer))
    }

    /// A signed query-API call (IAM, STS); returns the answer's body.
    private func query(_ service: String, _ parameters: [(String, String)], as credentials: SigV4Credentials) async throws -> String {
        let version = service == "sts" ? "2011-06-15" : "2010-05-08"
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-_.~")
        let body = Array(
            (parameters + [("Version", version)]).map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value)"
            }.joined(separator: "&").utf8)
        let payloadHash = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        let date = Self.amzDate(Date())
        var headers: [(name: String, value: String)] = [
            ("host", "127.0.0.1:\(port)"), ("x-amz-date", date), ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        let signature = try SigV4.sign(
            SigV4Request(method: "POST", path: "/", headers: headers, payloadHash: payloadHash), credentials: credentials,
            region: "us-east-1", service: service, date: date)
        headers.append(("authorization", signature.authorization))
        let answer = try await AsyncHTTPClientTransport().send(
            S3HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/", headers: headers, body: body), timeout: .seconds(20))
        let text = String(decoding: answer.body, as: UTF8.self)
        guard answer.status == 200 else {
            throw Failure(description: "moto answered \(service) \(parameters.first?.1 ?? "") with \(answer.status): \(text)")
        }
        return text
    }

    /// The text of the first `<name>` element.
    private static func element(_ name: String, in xml: String) throws -> String {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else {
            throw Failure(description: "no <\(name)> in \(xml)")
        }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    private static func amzDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}
