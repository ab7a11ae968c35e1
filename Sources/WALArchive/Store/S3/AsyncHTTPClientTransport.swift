import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The real ``S3Transport``: one AsyncHTTPClient client for every S3 store
/// of the process, with pooled keep-alive connections, created on first
/// use and never shut down (like `HTTPClient.shared`), so stores need no
/// lifecycle of their own.
///
/// Not `HTTPClient.shared` itself, whose configuration suits a browser,
/// not a signed API: it retries a refused connection inside the request
/// until the request's deadline (so a wrong endpoint took the whole
/// timeout per attempt instead of failing at once into the store's own
/// retries), and follows redirects, which would replay a signed request
/// against another host.
package struct AsyncHTTPClientTransport: S3Transport {
    let client: HTTPClient

    /// The client of all S3 stores; a `static let`, so it is made once,
    /// thread-safely, and lives as long as the process.
    static let processClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(30))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    package init() {
        self.client = Self.processClient
    }

    package func send(_ request: S3HTTPRequest, timeout: Duration) async throws -> S3HTTPResponse {
        let client = self.client
        // The client's deadline ends when the response head arrives; the
        // race bounds the body too. It ends a little later, so that a
        // request the client gives up on reports the client's reason.
        return try await withThrowingTaskGroup(of: S3HTTPResponse.self) { group in
            group.addTask {
                try await Self.exchange(request, client: client, timeout: timeout)
            }
            group.addTask {
                try await Task.sleep(for: timeout + .milliseconds(250))
                throw S3TransportFailure.timedOut(timeout)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw S3TransportFailure.timedOut(timeout) }
            return first
        }
    }

    private static func exchange(_ request: S3HTTPRequest, client: HTTPClient, timeout: Duration) async throws -> S3HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if !request.body.isEmpty || request.method == "PUT" || request.method == "POST" {
            outgoing.body = .bytes(request.body)
        }
        do {
            let (seconds, attoseconds) = timeout.components
            let amount = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            let response = try await client.execute(outgoing, timeout: amount)
            let body = try await response.body.collect(upTo: Int.max)
            return S3HTTPResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView))
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            throw S3TransportFailure.timedOut(timeout)
        } catch let error as CancellationError {
            throw error
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            throw S3TransportFailure.connection(String(describing: error))
        }
    }
}
