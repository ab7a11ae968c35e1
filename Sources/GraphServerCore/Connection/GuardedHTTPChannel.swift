import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1.1 child channel with the ``ConnectionGuardHandler``
/// in front of the HTTP codec and the ``HTTPExchangeHandler`` behind it,
/// one pair per connection.
struct GuardedHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionGuardHandler.Limits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let guardHandler = ConnectionGuardHandler(limits: limits)
        let exchange = NIOLoopBound(HTTPExchangeHandler(guardHandler: guardHandler), eventLoop: channel.eventLoop)
        do {
            try channel.pipeline.syncOperations.addHandler(guardHandler)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1(additionalChannelHandlers: [exchange.value]).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }

    private func http1(additionalChannelHandlers: @autoclosure @escaping @Sendable () -> [any RemovableChannelHandler]) -> HTTP1Channel {
        // Heads stay bounded by Hummingbird's decoder limits (80 KiB).
        HTTP1Channel(responder: responder, configuration: HTTP1Channel.Configuration(additionalChannelHandlers: additionalChannelHandlers()))
    }
}
