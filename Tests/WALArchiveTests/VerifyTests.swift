import Foundation
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Verification names the bad object")
struct VerifyTests {
    @Test("an intact archive verifies from its first LSN to its last")
    func intactArchiveVerifies() async throws {
        let built = try await BuiltArchive.make()
        let report = try await ArchiveRestore.verify(store: built.store, prefix: "db")
        #expect(report.pieces == built.keys.count)
        #expect(report.lastLSN == built.log.commits.last?.lsn)
        #expect(report.firstLSN == LSN(1))
    }

    @Test("a flipped byte anywhere in a piece names that piece", arguments: [10, 100, 170, 200, -1])
    func flippedByte(offset: Int) async throws {
        let built = try await BuiltArchive.make()
        let key = built.keys[1]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: built.path(of: key))))
        let at = offset >= 0 ? offset : bytes.count - 1
        bytes[at] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: built.path(of: key)))
        let error = await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: built.store, prefix: "db") }
        #expect(error?.key == key)
    }

    @Test("a deleted piece is named by the piece after it; a deleted last piece by its own key")
    func deletedPiece() async throws {
        let built = try await BuiltArchive.make()
        try await built.store.delete(built.keys[1])
        var error = await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: built.store, prefix: "db") }
        #expect(error?.code == .brokenChain)
        #expect(error?.key == built.keys[2])

        let other = try await BuiltArchive.make()
        let last = try #require(other.keys.last)
        try await other.store.delete(last)
        error = await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: other.store, prefix: "db") }
        #expect(error?.key == last)
    }

    @Test("a piece of another archive slipped into the chain is named")
    func foreignPiece() async throws {
        let built = try await BuiltArchive.make()
        let foreign = try await BuiltArchive.make()
        // Same LSNs, same key: an object of another archive replacing one of ours.
        let key = built.keys[1]
        let foreignKey = try #require(foreign.keys.first)
        let theirs = try #require(try await foreign.store.get(foreignKey))
        let layout = ArchiveLayout(prefix: "db")
        let range = try #require(layout.pieceRange(of: key))
        // Sorts just before our piece: a key that names its first LSN only.
        let slipped = layout.pieceKey(first: range.lowerBound, last: range.lowerBound)
        _ = try await built.store.put(slipped, theirs.bytes, condition: .ifAbsent)
        let error = await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: built.store, prefix: "db") }
        #expect(error?.key == slipped)
        #expect(error?.code == .brokenChain)

        // An object under segments/ whose name is not a piece's is named too.
        let other = try await BuiltArchive.make()
        _ = try await other.store.put("db/segments/notes.txt", Array("hello".utf8), condition: .ifAbsent)
        let named = await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: other.store, prefix: "db") }
        #expect(named?.key == "db/segments/notes.txt")
    }

    @Test("two pieces swapped are named")
    func reorderedPieces() async throws {
        let built = try await BuiltArchive.make()
        let a = try #require(try await built.store.get(built.keys[1]))
        let b = try #require(try await built.store.get(built.keys[2]))
        _ = try await built.store.put(built.keys[1], b.bytes, condition: .unconditional)
        _ = try await built.store.put(built.keys[2], a.bytes, condition: .unconditional)
        let error = await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: built.store, prefix: "db") }
        #expect(error?.key == built.keys[1])
    }
}
