import Foundation
import Synchronization

@testable import WriteAheadLog
import WALTestSupport

/// The real file system with behaviour a test scripts: it counts the bytes
/// read (and fails a read past a cap, so a runaway scan ends as an error
/// instead of a hang), can make the last segment seem to shrink right after
/// its size was taken, and can make preallocation unsupported or run out of
/// space.
final class ScriptedFileSystem: WrappingFileSystem {
    /// What `preallocate` does for one call.
    enum Preallocation: Sendable {
        case real
        case unsupported
        case noSpace
    }

    struct Script {
        var bytesRead: UInt64 = 0
        var readCalls = 0
        /// Reads fail once either count passes its cap.
        var bytesReadCap: UInt64 = .max
        var readCallCap = Int.max
        /// Files whose name ends so shrink to this size right after their
        /// size is read: reads see nothing past it, as after a rotation cut
        /// a preallocated segment to its written end.
        var shrink: (suffix: String, size: UInt64)?
        /// Consumed one per `preallocate` call; `laterPreallocations` once empty.
        var preallocations: [Preallocation] = []
        var laterPreallocations: Preallocation = .real
        var preallocateCalls = 0
    }

    let base = PosixFileSystem()
    let script: Mutex<Script>

    init(_ script: Script = Script()) { self.script = Mutex(script) }

    var bytesRead: UInt64 { script.withLock { $0.bytesRead } }
    var readCalls: Int { script.withLock { $0.readCalls } }
    var preallocateCalls: Int { script.withLock { $0.preallocateCalls } }

    fileprivate func beforeRead(_ count: Int, path: String) throws {
        let over = script.withLock { script -> Bool in
            script.readCalls += 1
            script.bytesRead += UInt64(count)
            return script.bytesRead > script.bytesReadCap || script.readCalls > script.readCallCap
        }
        if over {
            throw WALError(.io, "the test's read cap was passed: the scan does unbounded work", operation: "pread", path: path)
        }
    }

    fileprivate func nextPreallocation() -> Preallocation {
        script.withLock { script in
            script.preallocateCalls += 1
            return script.preallocations.isEmpty ? script.laterPreallocations : script.preallocations.removeFirst()
        }
    }

    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        let shrinkTo = script.withLock { script in
            script.shrink.flatMap { path.hasSuffix($0.suffix) ? $0.size : nil }
        }
        return ScriptedFile(inner: try base.openFile(path, mode: mode), owner: self, shrinkTo: shrinkTo)
    }
}

final class ScriptedFile: WrappingStorageFile {
    let inner: any StorageFile
    let owner: ScriptedFileSystem
    /// Once the size was read, reads end here.
    private let shrinkTo: UInt64?
    private let shrunk = Atomic<Bool>(false)

    init(inner: any StorageFile, owner: ScriptedFileSystem, shrinkTo: UInt64?) {
        self.inner = inner
        self.owner = owner
        self.shrinkTo = shrinkTo
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        try owner.beforeRead(buffer.count, path: path)
        var buffer = buffer
        if let shrinkTo, shrunk.load(ordering: .relaxed) {
            guard offset < shrinkTo else { return 0 }
            buffer = UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(Int(min(UInt64(buffer.count), shrinkTo - offset))))
        }
        return try inner.read(into: buffer, at: offset)
    }
    func size() throws -> UInt64 {
        defer { shrunk.store(true, ordering: .relaxed) }
        return try inner.size()
    }
    func preallocate(to size: UInt64) throws -> Bool {
        switch owner.nextPreallocation() {
        case .real: return try inner.preallocate(to: size)
        case .unsupported: return false
        case .noSpace:
            throw WALError(.io, "cannot reserve \(size) bytes", operation: "fallocate", path: path, errno: ENOSPC)
        }
    }
}
