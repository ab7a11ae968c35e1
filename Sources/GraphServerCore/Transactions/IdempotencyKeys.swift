import GraphDatabase
import Synchronization

/// The `Idempotency-Key`s of recent `POST /tx` requests and what each
/// committed, so a retried request gets the original answer instead of
/// applying its transaction twice.
///
/// A key is logged with its transaction (an annotation event in the same
/// commit), so it survives a restart exactly when the transaction does:
/// recovery hands the replayed annotations back and ``init(recovered:)``
/// rebuilds the table. The window is the last ``capacity`` keys; a restart
/// also forgets the keys of transactions a checkpoint's snapshot already
/// covers, because recovery replays only the log above the snapshot.
///
/// Every check and claim runs inside the write transaction, under the
/// database's writer lock, so two requests with one key cannot both apply.
final class IdempotencyKeys: Sendable {
    /// The annotation name the server's keys are logged under.
    static let annotationName = "graph-server/idempotency-key"
    /// How many keys the server remembers.
    static let capacity = 10_000

    /// What a committed keyed transaction answered.
    struct Outcome: Sendable, Equatable {
        var lsn: UInt64
        var created: [String: UInt64]
    }

    /// What a request with a key finds.
    enum Lookup: Sendable, Equatable {
        /// The key is new: run the transaction.
        case absent
        /// The same request committed already: answer this.
        case committed(Outcome)
        /// The key was used for a different body.
        case reused
        /// A request with this key is committing right now.
        case inProgress
    }

    private struct Entry {
        var fingerprint: UInt64
        /// nil while the transaction is being committed.
        var outcome: Outcome?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Keys oldest first, from `start` on; a key appears once.
        var order: [String] = []
        var start = 0

        mutating func insert(_ key: String, _ entry: Entry, capacity: Int) {
            if entries.updateValue(entry, forKey: key) == nil { order.append(key) }
            while entries.count > capacity, start < order.count {
                entries[order[start]] = nil
                start += 1
            }
            if start > capacity {
                order.removeFirst(start)
                start = 0
            }
        }
    }

    private let state = Mutex(State())
    let capacity: Int

    /// A table rebuilt from the annotations recovery replayed (oldest first).
    init(recovered: [RecoveredAnnotation], capacity: Int = IdempotencyKeys.capacity) {
        self.capacity = capacity
        absorb(recovered: recovered)
    }

    /// Adds the keys of recovered annotations (oldest first): at start, and
    /// when a promoted replica opens the database restored from the archive.
    func absorb(recovered: [RecoveredAnnotation]) {
        state.withLock { state in
            for annotation in recovered where annotation.name == Self.annotationName {
                guard let (key, fingerprint, created) = Self.decode(annotation.text) else { continue }
                state.insert(
                    key, Entry(fingerprint: fingerprint, outcome: Outcome(lsn: annotation.commitLSN.rawValue, created: created)),
                    capacity: capacity)
            }
        }
    }

    func lookup(_ key: String, fingerprint: UInt64) -> Lookup {
        state.withLock { state in
            guard let entry = state.entries[key] else { return .absent }
            guard entry.fingerprint == fingerprint else { return .reused }
            return entry.outcome.map { .committed($0) } ?? .inProgress
        }
    }

    /// Marks `key` as committing; called last inside the transaction.
    func claim(_ key: String, fingerprint: UInt64) {
        state.withLock { $0.insert(key, Entry(fingerprint: fingerprint, outcome: nil), capacity: capacity) }
    }

    /// Records what the committed transaction answered.
    func complete(_ key: String, fingerprint: UInt64, _ outcome: Outcome) {
        state.withLock { $0.insert(key, Entry(fingerprint: fingerprint, outcome: outcome), capacity: capacity) }
    }

    /// Forgets a claim whose transaction did not commit.
    func abandon(_ key: String) {
        state.withLock { state in
            if state.entries[key]?.outcome == nil { state.entries[key] = nil }
        }
    }

    /// The annotation text logged with a keyed transaction.
    static func annotation(key: String, fingerprint: UInt64, created: [String: UInt64]) -> String {
        let refs = JSONObject(created.keys.sorted().map { ($0, .integer(Int64(clamping: created[$0] ?? 0))) })
        return JSONWriter.string([
            "key": .string(key), "fingerprint": .string(String(fingerprint, radix: 16)), "created": .object(refs),
        ])
    }

    private static func decode(_ text: String) -> (String, UInt64, [String: UInt64])? {
        guard let json = try? JSONParser.parse(text), case .string(let key)? = json["key"],
            case .string(let hex)? = json["fingerprint"], let fingerprint = UInt64(hex, radix: 16),
            case .object(let refs)? = json["created"]
        else { return nil }
        var created: [String: UInt64] = [:]
        for (ref, value) in refs.members {
            guard case .integer(let id) = value, id >= 0 else { return nil }
            created[ref] = UInt64(id)
        }
        return (key, fingerprint, created)
    }

    /// FNV-1a over the request body: equal bodies, equal fingerprints.
    static func fingerprint(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}
