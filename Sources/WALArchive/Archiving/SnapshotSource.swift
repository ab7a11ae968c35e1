/// A snapshot file the archiver may ship, and the LSN it is consistent with.
public struct ArchivableSnapshot: Sendable, Equatable {
    /// The LSN of the last transaction the snapshot contains, as its own
    /// header says (not its file name).
    public var lsn: UInt64
    /// The snapshot file.
    public var path: String

    public init(lsn: UInt64, path: String) {
        self.lsn = lsn
        self.path = path
    }
}

/// Where an ``Archiver`` finds the snapshots of the state its log protects
/// (a graph database's checkpoints), so a restore can start from one
/// instead of from the first record ever written.
///
/// The archive treats a snapshot's bytes as opaque: the source vouches for
/// the LSN. Each round, the archiver ships the newest snapshot the archive
/// lacks, once the log up to that snapshot's LSN is archived.
public protocol SnapshotSource: Sendable {
    /// The snapshots that exist now, in any order. A file may vanish between
    /// this call and the archiver reading it (pruning); the archiver then
    /// skips it until the next round.
    func snapshots() throws -> [ArchivableSnapshot]
}
