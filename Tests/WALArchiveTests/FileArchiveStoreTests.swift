import Foundation
import Testing
import WALArchive
import WALTestSupport

@Suite("File archive store")
struct FileArchiveStoreTests {
    @Test("of many creators racing for one key through two store instances, exactly one wins")
    func conditionalCreateRace() async throws {
        let temporary = TemporaryDirectory()
        let stores = [FileArchiveStore(directory: temporary.path), FileArchiveStore(directory: temporary.path)]
        for round in 0..<5 {
            let key = "race/\(round)/lease"
            let winners = await withTaskGroup(of: [UInt8]?.self) { group in
                for contender in 0..<16 {
                    group.addTask {
                        let bytes = [UInt8(contender), UInt8(round)]
                        do {
                            _ = try await stores[contender % 2].put(key, bytes, condition: .ifAbsent)
                            return bytes
                        } catch {
                            return nil
                        }
                    }
                }
                return await group.compactMap { $0 }.reduce(into: [[UInt8]]()) { $0.append($1) }
            }
            #expect(winners.count == 1)
            #expect(try await stores[1].get(key)?.bytes == winners.first)
        }
    }

    @Test("of many replacers holding the same version, exactly one wins")
    func conditionalReplaceRace() async throws {
        let temporary = TemporaryDirectory()
        let stores = [FileArchiveStore(directory: temporary.path), FileArchiveStore(directory: temporary.path)]
        let version = try await stores[0].put("head", [0], condition: .ifAbsent)
        let winners = await withTaskGroup(of: Bool.self) { group in
            for contender in 0..<16 {
                group.addTask {
                    (try? await stores[contender % 2].put("head", [UInt8(contender + 1)], condition: .ifMatches(version))) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        let error = await #expect(throws: ArchiveError.self) {
            try await stores[0].put("head", [99], condition: .ifMatches(version))
        }
        #expect(error?.code == .preconditionFailed)
    }

    @Test("a listing is in byte order of the key, paginated, and skips the store's own files")
    func listingPages() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.path)
        let keys = (0..<7).map { "p/segments/\(String(repeating: "0", count: 3 - String($0 * 13).count))\($0 * 13).seg" }
        for key in keys.reversed() { _ = try await store.put(key, [1], condition: .unconditional) }
        _ = try await store.put("p/head", [1], condition: .unconditional)
        _ = try await store.put("q/segments/000.seg", [1], condition: .unconditional)
        var listed: [String] = []
        var after: String?
        repeat {
            let page = try await store.list(prefix: "p/segments/", after: after, limit: 3)
            #expect(page.objects.count <= 3)
            listed += page.objects.map(\.key)
            after = page.continuation
        } while after != nil
        #expect(listed == keys)
        #expect(try await store.listAll(prefix: "p/").map(\.key) == ["p/head"] + keys)
    }

    @Test("get and head of a missing key say nil; deleting one succeeds", arguments: ["missing", "a/b/missing"])
    func missingKeys(key: String) async throws {
        let path: String
        do {
            // Alive until the store is done: a delete takes the store's lock
            // file, which would otherwise create the directory again after
            // it was removed, and leave it behind.
            let directory = TemporaryDirectory()
            path = directory.path
            let store = FileArchiveStore(directory: directory.path)
            #expect(try await store.get(key) == nil)
            #expect(try await store.head(key) == nil)
            try await store.delete(key)
            withExtendedLifetime(directory) {}
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the test leaves nothing behind")
    }

    @Test("keys that would leave the store or use its reserved names are refused",
          arguments: ["", "/abs", "a/../b", "..", "a//b", ".lock", "a/.tmp-1", "a/"])
    func invalidKeys(key: String) async throws {
        let directory = TemporaryDirectory()
        let store = FileArchiveStore(directory: directory.path)
        let error = await #expect(throws: ArchiveError.self) { try await store.put(key, [1], condition: .unconditional) }
        #expect(error?.code == .invalidArgument)
        withExtendedLifetime(directory) {}
    }

    @Test("a file URL names the store's directory; other URLs are refused")
    func fileURLs() throws {
        #expect(try FileArchiveStore(url: "file:///srv/archive/").root == "/srv/archive")
        #expect(throws: ArchiveError.self) { try FileArchiveStore(url: "s3://bucket/prefix") }
        #expect(throws: ArchiveError.self) { try FileArchiveStore(url: "file://relative/path") }
    }
}
