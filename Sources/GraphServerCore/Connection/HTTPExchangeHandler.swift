import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Tells the ``ConnectionGuardHandler`` where each request and response
/// stands, from just above the HTTP codec, and marks a response that
/// starts before its request was read with `Connection: close`.
final class HTTPExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let guardHandler: ConnectionGuardHandler

    init(guardHandler: ConnectionGuardHandler) {
        self.guardHandler = guardHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: guardHandler.requestHeadReceived()
        case .body: break
        case .end: guardHandler.requestEndReceived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            if guardHandler.responseStarting() {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .end:
            // Once the end is on its way out, not before: lingering half-closes
            // the connection, which must not overtake the response.
            let written = context.eventLoop.makePromise(of: Void.self)
            let guardHandler = guardHandler
            written.futureResult.assumeIsolated().whenComplete { _ in guardHandler.responseEnded() }
            if let promise { written.futureResult.cascade(to: promise) }
            context.write(data, promise: written)
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
