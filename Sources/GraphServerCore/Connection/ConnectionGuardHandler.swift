import NIOCore

/// Enforces the per-connection time limits and closes connections whose
/// request was answered before it was read, at the front of the pipeline
/// (below the HTTP codec, above TLS), where it sees every byte.
///
/// Its deadlines:
///
/// - **header**: from the first byte of a request to the end of its head;
///   a client dripping one byte at a time does not extend it. Past it the
///   client gets `408` and the connection closes.
/// - **body**: from the end of the head to the end of the body, as a whole.
/// - **idle**: a kept-alive connection waiting for its next request; a new
///   connection waits for its first one at most the header timeout.
///
/// While the server works on a request no deadline runs: a durable commit
/// may wait for an fsync.
///
/// **Answered early.** When the response starts before the request's body
/// has arrived (413 for an oversize body, 415, 401), the connection cannot
/// be reused: the rest of the body would be read as the next request. The
/// response says `Connection: close`; once it is sent, the server closes its
/// side for writing and reads and discards what the client still sends, for
/// a bounded time, before closing. Closing at once would make the kernel
/// answer the unread bytes with a reset, and a client that sends its whole
/// body before reading (Python's urllib, most simple clients) would see the
/// reset instead of the response.
final class ConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    struct Limits: Sendable {
        var header: TimeAmount
        var body: TimeAmount
        var idle: TimeAmount
        /// The longest a connection lingers after an early answer, in all.
        var linger: TimeAmount = .seconds(10)
        /// The longest it lingers without receiving anything.
        var lingerQuiet: TimeAmount = .seconds(2)
    }

    private enum Deadline {
        case header, body, idle, linger
    }

    private let limits: Limits
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var deadline: Deadline?

    /// Requests whose head has arrived and whose response has not ended.
    private var inFlight = 0
    /// A head has arrived and its body has not ended.
    private var readingBody = false
    /// Bytes of a head have arrived, and the head has not ended.
    private var readingHead = false
    /// The response to the request being read has started.
    private var answeredEarly = false
    private var lingerEnds: NIODeadline?
    private var lingering: Bool { lingerEnds != nil }

    init(limits: Limits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armFirstRequest() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        armFirstRequest()
        context.fireChannelActive()
    }

    /// A new connection gets the header timeout, not the longer idle one,
    /// to start its first request: connections opened and left silent would
    /// otherwise hold the connection limit for the whole idle timeout.
    private func armFirstRequest() {
        arm(.idle, in: min(limits.header, limits.idle))
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let lingerEnds {
            // Discarded; keep reading whatever the rest of the pipeline wants.
            let quiet = NIODeadline.now() + limits.lingerQuiet
            arm(.linger, at: min(quiet, lingerEnds))
            context.read()
            return
        }
        if !readingBody && !readingHead {
            readingHead = true
            // A pipelined request's clock starts once the one before it is answered.
            if inFlight == 0 { arm(.header, in: limits.header) }
        }
        context.fireChannelRead(data)
    }

    // MARK: Events from the HTTP side (``HTTPExchangeHandler``)

    func requestHeadReceived() {
        readingHead = false
        readingBody = true
        answeredEarly = false
        inFlight += 1
        arm(.body, in: limits.body)
    }

    func requestEndReceived() {
        readingBody = false
        // The server works on the request now: no clock runs until it answers.
        cancelTimer()
    }

    /// Whether the response now starting must close the connection: its
    /// request has not been read to the end.
    func responseStarting() -> Bool {
        if readingBody { answeredEarly = true }
        return answeredEarly
    }

    func responseEnded() {
        inFlight -= 1
        if answeredEarly {
            startLingering()
        } else if inFlight == 0 && !readingBody {
            arm(readingHead ? .header : .idle, in: readingHead ? limits.header : limits.idle)
        }
    }

    // MARK: Deadlines

    private func arm(_ kind: Deadline, in amount: TimeAmount) {
        arm(kind, at: .now() + amount)
    }

    private func arm(_ kind: Deadline, at when: NIODeadline) {
        guard let context else { return }
        cancelTimer()
        deadline = kind
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: when) { [self] in
            timer = nil
            expired(kind)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        deadline = nil
    }

    private func expired(_ kind: Deadline) {
        guard let context else { return }
        switch kind {
        case .header, .body:
            // Nothing of a response has been sent (the server answers only
            // once a request's head is in), so a raw 408 is well-formed.
            if inFlight <= 1 && !answeredEarly {
                let text = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text)), promise: nil)
            }
            context.close(promise: nil)
        case .idle, .linger:
            context.close(promise: nil)
        }
    }

    private func startLingering() {
        guard let context, !lingering else { return }
        let now = NIODeadline.now()
        lingerEnds = now + limits.linger
        arm(.linger, at: now + limits.lingerQuiet)
        context.close(mode: .output, promise: nil)
        context.read()
    }
}
