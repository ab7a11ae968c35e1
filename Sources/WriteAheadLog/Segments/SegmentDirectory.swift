/// One segment file found in a log directory.
public struct SegmentEntry: Sendable, Equatable {
    public var id: SegmentID
    public var path: String
}

/// The segment files of a log directory, named by id and listed in id order.
///
/// The directory listing is the only source of truth for which segments
/// exist: the highest id is the active segment. Names that are not canonical
/// segment names (the lock file, temp files, `quarantine/`) are ignored.
package struct SegmentDirectory: Sendable {
    package let root: String
    package let fileSystem: any FileSystem

    package init(root: String, fileSystem: any FileSystem) {
        self.root = root
        self.fileSystem = fileSystem
    }

    package func path(for id: SegmentID) -> String {
        joinPath(root, id.fileName)
    }

    /// Where a segment is written before it is renamed into place.
    package func temporaryPath(for id: SegmentID) -> String {
        joinPath(root, id.fileName + ".tmp")
    }

    /// The folder damaged segments are moved into by salvage recovery.
    package var quarantinePath: String { joinPath(root, "quarantine") }

    /// The folder a log that continues above its fence moves its old
    /// segments into: the snapshot the fence names covers every record in them.
    package var supersededPath: String { joinPath(root, "superseded") }

    /// Every segment, in ascending id order.
    package func list() throws -> [SegmentEntry] {
        try fileSystem.listDirectory(root)
            .compactMap { name in SegmentID(fileName: name).map { SegmentEntry(id: $0, path: joinPath(root, name)) } }
            .sorted { $0.id < $1.id }
    }

    /// Reads and checks the header of a segment file.
    package func readHeader(of file: any StorageFile) throws -> SegmentHeader {
        var bytes = [UInt8](repeating: 0, count: SegmentHeader.size)
        let count = try bytes.withUnsafeMutableBytes { buffer in
            try file.read(into: buffer, at: 0)
        }
        do {
            return try bytes.withUnsafeBytes { buffer in
                try SegmentHeader(parsing: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
        } catch let error as WALError {
            throw error.with(operation: "read segment header", path: file.path)
        }
    }

    /// Reads the base LSN of the segment at `path`.
    package func baseLSN(of id: SegmentID) throws -> LSN {
        let file = try fileSystem.openFile(path(for: id), mode: .readOnly)
        return try readHeader(of: file).baseLSN
    }

    /// Creates segment `id` holding only its header: written to a temp file,
    /// synced, then renamed into place, so a canonical name never shows a
    /// half-written header. The caller fsyncs the directory.
    package func create(_ id: SegmentID, baseLSN: LSN) throws -> any StorageFile {
        let temporary = temporaryPath(for: id)
        if fileSystem.fileExists(temporary) { try fileSystem.removeFile(temporary) }
        let file = try fileSystem.openFile(temporary, mode: .createNew)
        let header = SegmentHeader(baseLSN: baseLSN).bytes
        try header.withUnsafeBytes { bytes in try file.write(bytes, at: 0) }
        try file.sync()
        try fileSystem.rename(temporary, to: path(for: id))
        return try fileSystem.openFile(path(for: id), mode: .readWrite)
    }

    /// Rewrites a segment's header with the sealed flag and syncs it. The
    /// format version stays what the header said: a segment an older build
    /// wrote is sealed as that format, which that build can still read.
    package func seal(_ file: any StorageFile, baseLSN: LSN) throws {
        var existing = [UInt8](repeating: 0, count: SegmentHeader.size)
        let read = try existing.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        let version =
            read == SegmentHeader.size
            ? ((try? existing.withUnsafeBytes { try SegmentHeader(parsing: $0) })?.version ?? SegmentHeader.currentVersion)
            : SegmentHeader.currentVersion
        let header = SegmentHeader(baseLSN: baseLSN, isSealed: true, version: version).bytes
        try header.withUnsafeBytes { bytes in try file.write(bytes, at: 0) }
        try file.sync()
    }
}
