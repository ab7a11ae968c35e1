#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Synchronization

/// A TCP proxy on a loopback port in front of another loopback port, that
/// a test can cut and restore: the object store going away (connections
/// reset, new ones refused) and coming back on the same address, with
/// its contents, which a restart of moto (in-memory) would lose.
///
/// One thread accepts; each connection gets two threads copying bytes,
/// one per direction. `cut()` closes the listener and every open
/// connection; `restore()` listens again on the same port.
package final class LoopbackProxy: Sendable {
    package let port: Int
    private let target: Int
    private struct State {
        var listener: Int32 = -1
        var connections: Set<Int32> = []
    }
    private let state = Mutex(State())

    /// Listens on a free loopback port, forwarding to `target`.
    package init(forwardingTo target: Int) throws {
        self.target = target
        self.port = try MotoServer.freeLoopbackPort()
        try restore()
    }

    deinit {
        cut()
    }

    /// Listens again on the same port (after ``cut()``).
    package func restore() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw MotoServer.Failure(description: "socket failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard bound, listen(listener, 64) == 0 else {
            let error = errno
            close(listener)
            throw MotoServer.Failure(description: "the proxy cannot listen on port \(port): errno \(error)")
        }
        state.withLock { $0.listener = listener }
        let thread = Thread { [weak self] in self?.accept(on: listener) }
        thread.start()
    }

    /// Closes the listener and every connection: new connections are refused.
    package func cut() {
        // Under the lock: a descriptor in the set is not closed yet (the
        // pumps close theirs under it too), so no reused number is hit.
        state.withLock { state in
            if state.listener >= 0 {
                shutdown(state.listener, Int32(SHUT_RDWR))
                close(state.listener)
            }
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
            state = State()
        }
    }

    /// One proxied connection: the client's socket and the one to the target.
    private final class Pair: Sendable {
        let client: Int32
        let upstream: Int32
        let finished = Atomic<Int>(0)

        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }
    }

    private func accept(on listener: Int32) {
        while true {
            let client = Glibc.accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(target)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            let kept = state.withLock { state -> Bool in
                guard state.listener == listener, connected else { return false }
                state.connections.formUnion([client, upstream])
                return true
            }
            guard kept else {
                close(client)
                close(upstream)
                continue
            }
            let pair = Pair(client: client, upstream: upstream)
            Thread { [weak self] in self?.pump(pair, from: client, to: upstream) }.start()
            Thread { [weak self] in self?.pump(pair, from: upstream, to: client) }.start()
        }
    }

    /// Copies bytes until either side ends; the second pump of a pair to
    /// finish closes both sockets.
    private func pump(_ pair: Pair, from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        copying: while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress?.advanced(by: sent), count - sent) }
                guard written > 0 else { break copying }
                sent += written
            }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        guard pair.finished.add(1, ordering: .acquiringAndReleasing).newValue == 2 else { return }
        state.withLock { state in
            state.connections.remove(pair.client)
            state.connections.remove(pair.upstream)
            close(pair.client)
            close(pair.upstream)
        }
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
