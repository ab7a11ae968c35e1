import Foundation
import GraphStore
import Synchronization
import Testing
import WriteAheadLog

@testable import GraphDatabase

/// A temporary directory owned by one test, removed when it ends.
final class TemporaryDirectory {
    let path: String

    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "graphdb-tests-\(safe.prefix(40))-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func child(_ name: String) -> String { path + "/" + name }
}

extension GraphDatabaseConfiguration {
    static func dataDirectory(_ path: String, _ syncMode: SyncMode = .none) -> GraphDatabaseConfiguration {
        GraphDatabaseConfiguration(
            storage: .dataDirectory(path),
            wal: WALOptions(syncMode: syncMode, segmentTargetBytes: 1 << 20),
            checkpointEveryCommits: nil, checkpointEveryBytes: nil)
    }
}

/// A small mixed workload: people, friendships, property changes, a deletion.
@discardableResult
func runWorkload(_ database: GraphDatabase, rounds: Int, seed: Int = 0) throws -> [NodeID] {
    var created: [NodeID] = []
    for round in 0..<rounds {
        let result = try database.write { tx -> [NodeID] in
            let a = try tx.createNode(labels: ["Person"], properties: ["name": .string("p\(seed)-\(round)a"), "round": .int(Int64(round))])
            let b = try tx.createNode(labels: ["Person", "Admin"], properties: ["score": .double(Double(round) / 3)])
            try tx.createRelationship(type: "KNOWS", from: a, to: b, properties: ["since": .int(2000 + Int64(round))])
            try tx.setNodeProperty(a, key: "tags", value: .list([.string("x"), .bool(true), .null]))
            if round % 3 == 2 { try tx.detachDeleteNode(b) }
            return [a, b]
        }
        created += result.value
    }
    return created
}

/// Copies a directory tree as it is now: what a killed process leaves
/// (every committed byte is in the kernel, nothing more is written).
func crashImage(of source: String, to destination: String) throws {
    try FileManager.default.copyItem(atPath: source, toPath: destination)
    // The copy is not locked by anyone: the "crashed" process is gone.
}

/// The real file system, with fsyncs that fail on demand.
final class FailingFileSystem: FileSystem {
    let base = PosixFileSystem()
    let failSyncs = Atomic<Bool>(false)

    func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        FailingFile(inner: try base.openFile(path, mode: mode), owner: self)
    }
    func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    func removeFile(_ path: String) throws { try base.removeFile(path) }
    func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func lockDirectory(_ path: String) throws -> any DirectoryLock { try base.lockDirectory(path) }
    func isDirectoryLocked(_ path: String) -> Bool { base.isDirectoryLocked(path) }
}

final class FailingFile: StorageFile {
    let inner: any StorageFile
    let owner: FailingFileSystem
    var path: String { inner.path }
    init(inner: any StorageFile, owner: FailingFileSystem) {
        self.inner = inner
        self.owner = owner
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws { try inner.write(bytes, at: offset) }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int { try inner.read(into: buffer, at: offset) }
    func size() throws -> UInt64 { try inner.size() }
    func sync() throws {
        if owner.failSyncs.load(ordering: .relaxed) { throw WALError(.io, "injected fsync failure", operation: "fdatasync", errno: EIO) }
        try inner.sync()
    }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func preallocate(to size: UInt64) throws -> Bool { try inner.preallocate(to: size) }
    func map(size: Int) throws -> (any MappedRegion)? { try inner.map(size: size) }
}
