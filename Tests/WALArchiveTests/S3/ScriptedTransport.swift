import Foundation
import Synchronization
import WALArchive

/// An ``S3Transport`` that answers from a script, one step per request, and
/// records every request, so a test says exactly what the "server" did and
/// checks what the store sent.
final class ScriptedTransport: S3Transport {
    enum Step: Sendable {
        case respond(S3HTTPResponse)
        case fail(S3TransportFailure)
    }

    private struct State {
        var steps: [Step]
        var requests: [S3HTTPRequest] = []
    }

    private let state: Mutex<State>

    init(_ steps: [Step]) {
        state = Mutex(State(steps: steps))
    }

    /// The requests sent so far, in order.
    var requests: [S3HTTPRequest] { state.withLock { $0.requests } }

    /// Steps not yet used.
    var remaining: Int { state.withLock { $0.steps.count } }

    func send(_ request: S3HTTPRequest, timeout: Duration) async throws -> S3HTTPResponse {
        let step = state.withLock { state -> Step? in
            state.requests.append(request)
            return state.steps.isEmpty ? nil : state.steps.removeFirst()
        }
        switch step {
        case .respond(let response): return response
        case .fail(let failure): throw failure
        case nil: return S3HTTPResponse(status: 599, body: Array("the script has no step for \(request.method) \(request.url)".utf8))
        }
    }
}

extension ScriptedTransport.Step {
    static func status(_ status: Int, headers: [(name: String, value: String)] = [], body: String = "") -> Self {
        .respond(S3HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    /// An S3 `<Error>` answer.
    static func error(_ status: Int, _ code: String, _ message: String = "", extra: String = "") -> Self {
        .status(
            status,
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message>\(extra)<RequestId>r</RequestId></Error>")
    }

    static func ok(etag: String? = nil, body: String = "") -> Self {
        .status(200, headers: etag.map { [("ETag", $0)] } ?? [], body: body)
    }
}

/// A clock that stands still and waits that return at once, recording how
/// long the store asked to wait.
final class TestHooks: Sendable {
    let now: Date
    private let waits = Mutex<[Duration]>([])

    init(now: Date = Date(timeIntervalSince1970: 1_440_938_160)) {  // 2015-08-30T12:36:00Z
        self.now = now
    }

    /// The waits asked for, in order.
    var slept: [Duration] { waits.withLock { $0 } }

    /// The store's hooks; the jitter returns its ceiling, so waits show the backoff.
    var hooks: S3StoreHooks {
        let now = self.now
        return S3StoreHooks(
            now: { now },
            sleep: { [self] duration in waits.withLock { $0.append(duration) } },
            jitter: { $0 })
    }
}

/// A store over bucket `bucket` with `transport`, test credentials and a custom endpoint.
func scriptedStore(
    _ transport: ScriptedTransport, hooks: TestHooks = TestHooks(), bucket: String = "bucket",
    configure: (inout S3Configuration) -> Void = { _ in }
) throws -> S3ArchiveStore {
    var configuration = S3Configuration(
        credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "us-east-1",
        endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000))
    configure(&configuration)
    return try S3ArchiveStore(bucket: bucket, configuration: configuration, transport: transport, hooks: hooks.hooks)
}
