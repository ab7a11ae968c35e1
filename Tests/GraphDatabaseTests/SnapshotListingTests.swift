import Foundation
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// `snapshotFiles()`: what an archiver ships, by header LSN in either layout.
@Suite("Snapshot listing")
struct SnapshotListingTests {
    @Test("snapshotFiles lists both layouts by header LSN, oldest first, and skips unreadable files", arguments: [false, true])
    func snapshotListing(explicitLayout: Bool) throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.layout(root, explicit: explicitLayout)
        let (database, _) = try GraphDatabase.open(configuration)
        #expect(try database.snapshotFiles().isEmpty)
        try runWorkload(database, rounds: 3, seed: 1)
        let first = try database.checkpoint()
        try runWorkload(database, rounds: 3, seed: 2)
        let second = try database.checkpoint()
        let listed = try database.snapshotFiles()
        if explicitLayout {
            #expect(listed == [SnapshotFile(path: second.path, walLSN: second.walLSN)])
        } else {
            #expect(listed == [first, second].map { SnapshotFile(path: $0.path, walLSN: $0.walLSN) })
            // A damaged file under a managed name is not listed.
            try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: root + "/snapshots/snapshot-00000000000000999999.snap"))
        }
        #expect(try GraphDatabase.snapshotFiles(configuration) == listed)
        try database.close()
    }
}
