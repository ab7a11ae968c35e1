import GraphStore
import WriteAheadLog

/// What `walctl snapshot inspect` learns from a snapshot file: its header,
/// and whether the body matches its checksum (and, with `deep`, decodes).
///
/// The header is checked on its own first because it has its own checksum:
/// a damaged header means even `walLSN` cannot be trusted, while a damaged
/// body still leaves a readable header worth showing.
struct SnapshotInspection {
    enum Body: Equatable {
        case intact
        case wrongSize(expected: UInt64, actual: UInt64)
        case checksumMismatch(stored: UInt32, computed: UInt32)
    }

    let path: String
    let fileBytes: UInt64
    /// The header, or why it could not be read.
    let header: Result<SnapshotHeader, GraphStoreError>
    /// The body's checksum status; nil when the header is unreadable.
    let body: Body?
    /// With `deep`: nil when the body decodes into a graph, else why not.
    let decodeProblem: GraphStoreError?
    let decoded: Bool
    /// The log position the snapshot keeps (format 4 on), read when the
    /// body is intact; nil when not read.
    let logPosition: Result<LogPosition?, GraphStoreError>?

    init(path: String, deep: Bool) throws(WalctlFailure) {
        let bytes = try SnapshotFile.read(path)
        self.path = path
        fileBytes = UInt64(bytes.count)
        do throws(GraphStoreError) {
            let header = try SnapshotHeader(parsing: bytes)
            self.header = .success(header)
            switch header.checkBody(of: bytes) {
            case .intact: body = .intact
            case .wrongSize(let expected, let actual): body = .wrongSize(expected: expected, actual: actual)
            case .checksumMismatch(let stored, let computed): body = .checksumMismatch(stored: stored, computed: computed)
            }
        } catch {
            header = .failure(error)
            body = nil
        }
        if case .success(let header) = header, body == .intact {
            do throws(GraphStoreError) {
                logPosition = .success(try GraphStore.logPosition(ofSnapshot: bytes, header: header))
            } catch {
                logPosition = .failure(error)
            }
        } else {
            logPosition = nil
        }
        if deep, body == .intact {
            decoded = true
            do throws(GraphStoreError) {
                _ = try GraphStore.decodeSnapshot(bytes)
                decodeProblem = nil
            } catch {
                decodeProblem = error
            }
        } else {
            decoded = false
            decodeProblem = nil
        }
    }

    /// 0 when everything checked is sound, 2 otherwise.
    var status: ExitStatus {
        guard case .success = header, body == .intact, decodeProblem == nil else { return .damaged }
        if case .failure? = logPosition { return .damaged }
        return .success
    }
}
