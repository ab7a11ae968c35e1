import GraphDatabase
import Synchronization

/// What the routes serve from: the database, and the archive that ships
/// its log. Both stay the same for a primary's whole life; a read
/// replica's promotion replaces its in-memory database with the one it
/// opened on the log restored from the archive, and adds the archive it
/// then writes. Routes read the slot at every request, never keep what
/// they read.
public final class DatabaseSlot: Sendable {
    private let state: Mutex<(database: GraphDatabase, archive: ServerArchive?)>
    /// The replica this server is, or was until its promotion; nil for a primary.
    public let replica: ServerReplica?

    init(database: GraphDatabase, archive: ServerArchive?, replica: ServerReplica? = nil) {
        state = Mutex((database, archive))
        self.replica = replica
    }

    public var database: GraphDatabase { state.withLock { $0.database } }
    public var archive: ServerArchive? { state.withLock { $0.archive } }

    /// Swaps in a promoted replica's database and archive; returns the database replaced.
    func promote(to database: GraphDatabase, archive: ServerArchive) -> GraphDatabase {
        state.withLock { state in
            let old = state.database
            state = (database, archive)
            return old
        }
    }
}
