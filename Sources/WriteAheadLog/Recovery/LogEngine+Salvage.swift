extension LogEngine {
    /// Salvage: sets aside in `quarantine/` everything from the damage on:
    /// a copy of the damaged segment, then every later segment moved whole,
    /// newest first; then cuts the damaged segment to its valid prefix (or
    /// moves it whole when no valid record precedes the damage). Nothing is
    /// deleted.
    ///
    /// Every step is durable before the next. The copy, and the folder
    /// entry naming it, are fsynced before anything else changes, so what
    /// is set aside is never lost even if a crash then leaves the damaged
    /// segment last, where a torn-tail cut could reach it. Each move is
    /// fsynced in the log directory before the next, so a crash leaves the
    /// log a prefix of itself, never a hole a later open would refuse.
    static func quarantine(after report: ReplayReport, in directory: SegmentDirectory) throws -> [QuarantinedFile] {
        guard let damage = report.damage else { return [] }
        let fileSystem = directory.fileSystem
        let folder = directory.quarantinePath
        try fileSystem.createDirectoryDurably(folder)
        let entries = try directory.list().filter { $0.id >= damage.segment }
        // Cut in place only when a valid record precedes the damage: a
        // segment cut to its bare header would stay behind sealed and empty
        // (see SegmentHeader.successorBaseLSN). With nothing to keep it
        // moves whole.
        let cutInPlace = damage.offset > UInt64(SegmentHeader.size)
        var copied: QuarantinedFile?
        if cutInPlace, let damaged = entries.first(where: { $0.id == damage.segment }) {
            let destination = try uniqueName(for: damaged.id, in: folder, fileSystem: fileSystem)
            try copyFile(damaged.path, to: destination, fileSystem: fileSystem)
            try fileSystem.syncDirectory(folder)
            copied = QuarantinedFile(original: damaged.path, quarantined: destination, keptValidPrefix: true)
        }
        var moved: [QuarantinedFile] = []
        for entry in entries.reversed() where !(cutInPlace && entry.id == damage.segment) {
            let destination = try uniqueName(for: entry.id, in: folder, fileSystem: fileSystem)
            try fileSystem.rename(entry.path, to: destination)
            try fileSystem.syncDirectory(directory.root)
            moved.append(QuarantinedFile(original: entry.path, quarantined: destination, keptValidPrefix: false))
        }
        try fileSystem.syncDirectory(folder)
        if let copied {
            let file = try fileSystem.openFile(copied.original, mode: .readWrite)
            try file.truncate(to: damage.offset)
            try file.sync()
        }
        return (copied.map { [$0] } ?? []) + moved.reversed()
    }

    private static func copyFile(_ source: String, to destination: String, fileSystem: any FileSystem) throws {
        let input = try fileSystem.openFile(source, mode: .readOnly)
        let output = try fileSystem.openFile(destination, mode: .createNew)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0, at: offset) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset) }
            offset += UInt64(count)
        }
        try output.sync()
    }
}
