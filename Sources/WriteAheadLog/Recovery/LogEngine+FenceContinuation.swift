extension LogEngine {
    /// When the log ends below `fence` (a snapshot newer than the log: a
    /// restore from a backup, a log that lost its unsynced tail or was cut
    /// by salvage, a log directory replaced), the next LSNs it would hand
    /// out are at or below the fence, and the next recovery would skip the
    /// transactions they carry as already in the snapshot. Everything the
    /// log holds is at or below the fence, so the snapshot covers it: its
    /// segments move to `superseded/`, oldest first, each move made durable
    /// before the next (the log is always a suffix of itself, never a
    /// hole), and appending starts a new segment above the fence. Nothing
    /// is deleted. Returns nil when the log reaches the fence.
    static func continueAboveFence(
        _ fence: LSN, after report: ReplayReport, in directory: SegmentDirectory
    ) throws -> FenceContinuation? {
        let entries = try directory.list()
        guard let last = entries.last else { return nil }
        let lastBase = try report.segments.last(where: { $0.id == last.id })?.baseLSN ?? directory.baseLSN(of: last.id)
        let logEnd = max(report.maxLSN, LSN(lastBase.rawValue - 1))
        guard fence > logEnd else { return nil }
        let fileSystem = directory.fileSystem
        let folder = directory.supersededPath
        try fileSystem.createDirectoryDurably(folder)
        var moved: [QuarantinedFile] = []
        for entry in entries {
            let destination = try uniqueName(for: entry.id, in: folder, fileSystem: fileSystem)
            try fileSystem.rename(entry.path, to: destination)
            try fileSystem.syncDirectory(directory.root)
            moved.append(QuarantinedFile(original: entry.path, quarantined: destination, keptValidPrefix: false))
        }
        try fileSystem.syncDirectory(folder)
        return FenceContinuation(fence: fence, logEnd: logEnd, lastSetAside: last.id, setAside: moved)
    }
}
