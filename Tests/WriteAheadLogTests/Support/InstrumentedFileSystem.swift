import Foundation
import Synchronization

@testable import WriteAheadLog
import WALTestSupport

/// The real file system with hooks on file syncs: counts them, can slow
/// them down, hold them at a gate, or make them fail.
final class InstrumentedFileSystem: WrappingFileSystem {
    struct Hooks {
        var syncs = 0
        var writes = 0
        var syncDelay: Duration = .zero
        var failSyncs = false
        var failWrites = false
        var gateClosed = false
        var syncsWaitingAtGate = 0
    }

    let base = PosixFileSystem()
    let hooks = Mutex(Hooks())
    private let gate = NSCondition()

    var syncCount: Int { hooks.withLock { $0.syncs } }
    var writeCount: Int { hooks.withLock { $0.writes } }

    func closeGate() { gate.lock(); hooks.withLock { $0.gateClosed = true }; gate.unlock() }
    func openGate() {
        gate.lock()
        hooks.withLock { $0.gateClosed = false }
        gate.broadcast()
        gate.unlock()
    }
    /// Waits until a sync is held at the closed gate.
    func waitForSyncAtGate() {
        for _ in 0..<2000 where hooks.withLock({ $0.syncsWaitingAtGate }) == 0 { usleep(1000) }
    }

    fileprivate func beforeSync() throws {
        let (delay, fail) = hooks.withLock { hooks -> (Duration, Bool) in
            hooks.syncs += 1
            return (hooks.syncDelay, hooks.failSyncs)
        }
        gate.lock()
        hooks.withLock { $0.syncsWaitingAtGate += 1 }
        while hooks.withLock({ $0.gateClosed }) { gate.wait() }
        hooks.withLock { $0.syncsWaitingAtGate -= 1 }
        gate.unlock()
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18) }
        if fail { throw WALError(.io, "injected fsync failure", operation: "fdatasync", errno: EIO) }
    }

    fileprivate func beforeWrite() throws {
        let fail = hooks.withLock { hooks -> Bool in
            hooks.writes += 1
            return hooks.failWrites
        }
        if fail { throw WALError(.io, "injected write failure", operation: "pwrite", errno: ENOSPC) }
    }

    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        InstrumentedFile(inner: try base.openFile(path, mode: mode), owner: self)
    }
}

/// Takes the write-call path (no preallocation, no mapping), so that every
/// byte the log writes passes through `write` and its hooks.
final class InstrumentedFile: WrappingStorageFile {
    let inner: any StorageFile
    let owner: InstrumentedFileSystem

    init(inner: any StorageFile, owner: InstrumentedFileSystem) {
        self.inner = inner
        self.owner = owner
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        try owner.beforeWrite()
        try inner.write(bytes, at: offset)
    }
    func sync() throws {
        try owner.beforeSync()
        try inner.sync()
    }
    func preallocate(to size: UInt64) throws -> Bool { false }
    func map(size: Int) throws -> (any MappedRegion)? { nil }
}

extension WALOptions {
    static func instrumented(_ fileSystem: InstrumentedFileSystem, _ syncMode: SyncMode) -> WALOptions {
        var options = WALOptions.test(syncMode)
        options.fileSystem = fileSystem
        return options
    }
}
