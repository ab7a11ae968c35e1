import Testing
import WALTestSupport
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#endif

/// The crash tests are only as good as the disk they crash: these pin the
/// simulated disk's semantics.
@Suite("Simulated disk")
struct SimulatedDiskTests {
    static func write(_ bytes: [UInt8], to file: any StorageFile, at offset: UInt64) throws {
        try bytes.withUnsafeBytes { try file.write($0, at: offset) }
    }

    @Test("an fsynced file and directory survive every crash")
    func syncedStateSurvives() throws {
        for seed in UInt64(0)..<50 {
            let disk = SimulatedDisk(seed: seed)
            let fs = disk.fileSystem()
            try fs.createDirectory("/d")
            try fs.syncDirectory("/")
            let file = try fs.openFile("/d/f", mode: .createNew)
            try Self.write([1, 2, 3], to: file, at: 0)
            try file.sync()
            try fs.syncDirectory("/d")
            try Self.write([4, 5], to: file, at: 3)
            disk.crash()
            let contents = try #require(disk.contents(of: "/d/f"), "seed \(seed)")
            #expect(contents.starts(with: [1, 2, 3]), "seed \(seed)")
            #expect([[1, 2, 3], [1, 2, 3, 4, 5], [1, 2, 3, 0, 0]].contains(contents) || contents.count == 5, "seed \(seed)")
        }
    }

    @Test("unsynced bytes and directory entries can be lost, and some seed loses each")
    func unsyncedStateCanBeLost() throws {
        var lostBytes = false
        var keptBytes = false
        var lostEntry = false
        for seed in UInt64(0)..<60 {
            let disk = SimulatedDisk(seed: seed)
            let fs = disk.fileSystem()
            let synced = try fs.openFile("/a", mode: .createNew)
            try fs.syncDirectory("/")
            try Self.write(Array(repeating: 7, count: 100), to: synced, at: 0)
            _ = try fs.openFile("/b", mode: .createNew)
            disk.crash()
            let contents = disk.contents(of: "/a") ?? []
            if contents.count < 100 { lostBytes = true } else { keptBytes = true }
            if disk.contents(of: "/b") == nil { lostEntry = true }
        }
        #expect(lostBytes && keptBytes && lostEntry)
    }

    @Test("a successful fsync after a failed one does not make the dropped bytes durable")
    func failedFsyncDropsDirtyData() throws {
        for seed in UInt64(0)..<20 {
            let disk = SimulatedDisk(seed: seed)
            let fs = disk.fileSystem()
            let file = try fs.openFile("/f", mode: .createNew)
            try fs.syncDirectory("/")
            try Self.write([1, 1, 1, 1], to: file, at: 0)
            disk.inject(.fsyncFails())
            #expect(throws: WALError.self) { try file.sync() }
            try file.sync()
            // Reads still see the bytes; the platter never got them.
            var buffer = [UInt8](repeating: 0, count: 4)
            #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) } == 4)
            #expect(buffer == [1, 1, 1, 1])
            disk.crash()
            #expect(disk.contents(of: "/f") == [], "seed \(seed)")
        }
    }

    @Test("handles from before a crash fail with EIO and cannot touch the new state")
    func staleHandlesFail() throws {
        let disk = SimulatedDisk(seed: 1)
        let fs = disk.fileSystem()
        let file = try fs.openFile("/f", mode: .createNew)
        try file.sync()
        try fs.syncDirectory("/")
        disk.crash()
        let error = #expect(throws: WALError.self) { try Self.write([9], to: file, at: 0) }
        #expect(error?.errno == EIO)
        #expect(throws: WALError.self) { try file.sync() }
        #expect(throws: WALError.self) { try fs.removeFile("/f") }
        #expect(!fs.fileExists("/f"))
        #expect(disk.fileSystem().fileExists("/f"))
        #expect(disk.contents(of: "/f") == [])
    }

    @Test("directory locks behave like flock: one holder, released explicitly or by a crash")
    func lockSemantics() throws {
        let disk = SimulatedDisk(seed: 2)
        let fs = disk.fileSystem()
        try fs.createDirectory("/wal")
        try fs.syncDirectory("/")
        let lock = try fs.lockDirectory("/wal")
        #expect(fs.isDirectoryLocked("/wal"))
        let error = #expect(throws: WALError.self) { try fs.lockDirectory("/wal/") }
        #expect(error?.code == .alreadyOpen)
        lock.release()
        #expect(!fs.isDirectoryLocked("/wal"))
        let second = try fs.lockDirectory("/wal")

        disk.crash()
        let rebooted = disk.fileSystem()
        #expect(!rebooted.isDirectoryLocked("/wal"))
        let third = try rebooted.lockDirectory("/wal")
        // The lock from before the crash frees nothing of the new boot.
        second.release()
        #expect(rebooted.isDirectoryLocked("/wal"))
        third.release()
    }

    @Test("a second open of the same log fails with alreadyOpen until the first closes")
    func walLock() throws {
        let disk = SimulatedDisk(seed: 3)
        var options = WALOptions(syncMode: .none)
        options.fileSystem = disk.fileSystem()
        let first = try WAL<CrashEvent>.open(directory: "/wal", options: options).wal
        let error = #expect(throws: WALError.self) { try WAL<CrashEvent>.open(directory: "/wal", options: options) }
        #expect(error?.code == .alreadyOpen)
        try first.close()
        let second = try WAL<CrashEvent>.open(directory: "/wal", options: options).wal
        try second.close()
    }

    @Test("a crash tears a write only at sector boundaries")
    func tearsAtSectors() throws {
        for seed in UInt64(0)..<80 {
            let disk = SimulatedDisk(seed: seed)
            let fs = disk.fileSystem()
            let file = try fs.openFile("/f", mode: .createNew)
            try fs.syncDirectory("/")
            try Self.write(Array(repeating: 0xAB, count: 600), to: file, at: 0)
            try file.sync()
            // A 32-byte overwrite inside one sector is all or nothing.
            try Self.write(Array(repeating: 0xCD, count: 32), to: file, at: 0)
            try Self.write(Array(repeating: 0xEF, count: 3000), to: file, at: 600)
            disk.crash()
            let contents = try #require(disk.contents(of: "/f"))
            let head = Array(contents[0..<32])
            #expect(head == Array(repeating: 0xAB, count: 32) || head == Array(repeating: 0xCD, count: 32), "seed \(seed)")
            // What survives of the append is whole sectors of new data,
            // then possibly zeros or garbage up to the page end.
            let firstOld = contents[600...].firstIndex(where: { $0 != 0xEF }) ?? contents.count
            #expect(firstOld == contents.count || firstOld % 512 == 0 || firstOld == 600, "seed \(seed): new data ends at \(firstOld)")
        }
    }
}
