/// The in-memory model behind ``SimulatedDisk``: inodes, directory entries,
/// and, for both, what reads see now versus what survives a crash.
///
/// Files: `current` is what reads see (the page cache); `durable` is what
/// the last successful `fdatasync` left on the platter; `pending` are the
/// writes and truncations since then, in order. A successful sync applies
/// `pending` to `durable`. A *failed* sync drops `pending` from the durable
/// track while reads still see it, as Linux does when writeback fails (the
/// dirty pages are marked clean): a later successful sync does not make
/// those bytes durable, which is exactly why a log must never retry an fsync
/// and then claim durability.
///
/// Directories: entries map names to inodes. Every creation, rename and
/// removal is an operation in one global pending list, tagged with the
/// directories it touches; an `fsync` of a directory makes its operations
/// durable (applied to the durable entries in their original order).
struct DiskModel {
    enum FileOp {
        case write(offset: Int, bytes: [UInt8])
        case truncate(Int)
    }

    struct FileNode {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [FileOp] = []
        /// Bytes reserved by `fallocate` past the written end: they read as
        /// zeros and count in the size, without being stored. Reserving
        /// is taken as durable at once (a simplification: recovery treats a
        /// zero tail and a missing one alike).
        var reserved = 0

        /// The file's size: written bytes, or the reservation if larger.
        var size: Int { max(current.count, reserved) }
    }

    enum DirectoryOp {
        case link(directory: Int, name: String, node: Int)
        case unlink(directory: Int, name: String, node: Int)
        case rename(from: Int, name: String, to: Int, newName: String, node: Int)

        func touches(_ directory: Int) -> Bool {
            switch self {
            case .link(let d, _, _), .unlink(let d, _, _): return d == directory
            case .rename(let from, _, let to, _, _): return from == directory || to == directory
            }
        }

        func apply(to entries: inout [Int: [String: Int]]) {
            switch self {
            case .link(let directory, let name, let node):
                entries[directory, default: [:]][name] = node
            case .unlink(let directory, let name, let node):
                if entries[directory]?[name] == node { entries[directory]?[name] = nil }
            case .rename(let from, let name, let to, let newName, let node):
                if entries[from]?[name] == node { entries[from]?[name] = nil }
                entries[to, default: [:]][newName] = node
            }
        }
    }

    static let root = 0

    /// File inodes by number. Directory inodes have no data, only entries.
    var files: [Int: FileNode] = [:]
    var directories: Set<Int> = [root]
    /// What path lookups see now.
    var entries: [Int: [String: Int]] = [root: [:]]
    /// What a crash keeps for sure.
    var durableEntries: [Int: [String: Int]] = [root: [:]]
    var pendingDirectoryOps: [DirectoryOp] = []
    var nextNode = 1

    // MARK: Paths

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The inode a path names now, or nil.
    func lookup(_ path: String) -> Int? {
        var node = Self.root
        for component in Self.components(path) {
            guard directories.contains(node), let next = entries[node]?[component] else { return nil }
            node = next
        }
        return node
    }

    /// The parent directory's inode and the last component, if the parent exists.
    func parent(of path: String) -> (directory: Int, name: String)? {
        var parts = Self.components(path)
        guard let name = parts.popLast() else { return nil }
        guard let directory = lookup("/" + parts.joined(separator: "/")), directories.contains(directory) else { return nil }
        return (directory, name)
    }

    // MARK: Mutations

    mutating func newNode() -> Int {
        defer { nextNode += 1 }
        return nextNode
    }

    mutating func record(_ op: DirectoryOp) {
        op.apply(to: &entries)
        pendingDirectoryOps.append(op)
    }

    mutating func write(_ node: Int, _ bytes: [UInt8], at offset: Int) {
        files[node]?.pending.append(.write(offset: offset, bytes: bytes))
        if let index = files.index(forKey: node) { Self.apply(.write(offset: offset, bytes: bytes), to: &files.values[index].current) }
    }

    /// `fallocate`: reserves zeros up to `size` without storing them.
    mutating func reserve(_ node: Int, to size: Int) {
        if let reserved = files[node]?.reserved, size > reserved { files[node]?.reserved = size }
    }

    mutating func truncate(_ node: Int, to size: Int) {
        if let reserved = files[node]?.reserved, reserved > size { files[node]?.reserved = size }
        files[node]?.pending.append(.truncate(size))
        if let index = files.index(forKey: node) { Self.apply(.truncate(size), to: &files.values[index].current) }
    }

    /// A successful `fdatasync`.
    mutating func syncFile(_ node: Int) {
        guard var file = files[node] else { return }
        for op in file.pending { Self.apply(op, to: &file.durable) }
        file.pending.removeAll()
        files[node] = file
    }

    /// A failed `fdatasync`: the pending bytes stay readable but will never
    /// be made durable by a later sync.
    mutating func failSync(_ node: Int) {
        files[node]?.pending.removeAll()
    }

    /// A successful directory `fsync`.
    mutating func syncDirectory(_ directory: Int) {
        var rest: [DirectoryOp] = []
        for op in pendingDirectoryOps {
            if op.touches(directory) { op.apply(to: &durableEntries) } else { rest.append(op) }
        }
        pendingDirectoryOps = rest
    }

    static func apply(_ op: FileOp, to bytes: inout [UInt8]) {
        switch op {
        case .write(let offset, let data):
            if bytes.count < offset + data.count {
                bytes.append(contentsOf: repeatElement(0, count: offset + data.count - bytes.count))
            }
            bytes.replaceSubrange(offset..<(offset + data.count), with: data)
        case .truncate(let size):
            if size < bytes.count {
                bytes.removeSubrange(size...)
            } else {
                bytes.append(contentsOf: repeatElement(0, count: size - bytes.count))
            }
        }
    }

    // MARK: Crash

    /// How a crash treated the unsynced state, for test diagnostics.
    struct CrashSummary: Sendable, CustomStringConvertible {
        var filesWithLostBytes = 0
        var tornWrites = 0
        var directoryOpsLost = 0
        var directoryOpsKept = 0

        var description: String {
            "files with lost bytes: \(filesWithLostBytes), torn writes: \(tornWrites), directory ops kept/lost: \(directoryOpsKept)/\(directoryOpsLost)"
        }
    }

    /// Replaces the state with what survives a power loss: everything
    /// durable, plus a seeded choice of the rest. For each file a prefix of
    /// its unsynced operations survives; the first lost write may survive in
    /// part, in whole sectors, and the rest of its last page may read back
    /// as zeros (size extended, data never written) or garbage (stale blocks).
    /// Of the unsynced directory operations any subset survives.
    mutating func crash(using random: inout SeededGenerator, sectorSize: Int, pageSize: Int) -> CrashSummary {
        var summary = CrashSummary()
        var entries = durableEntries
        let keepAll = random.chance(0.25)
        let keepNone = !keepAll && random.chance(0.33)
        for op in pendingDirectoryOps {
            if keepAll || (!keepNone && random.chance(0.5)) {
                op.apply(to: &entries)
                summary.directoryOpsKept += 1
            } else {
                summary.directoryOpsLost += 1
            }
        }
        self.entries = entries
        self.durableEntries = entries
        pendingDirectoryOps.removeAll()

        for node in files.keys.sorted() {
            guard var file = files[node] else { continue }
            var bytes = file.durable
            let count = file.pending.count
            if count > 0 {
                let kept: Int
                switch random.next() % 4 {
                case 0: kept = 0
                case 1: kept = count
                default: kept = Int(random.next() % UInt64(count + 1))
                }
                for op in file.pending[0..<kept] { Self.apply(op, to: &bytes) }
                if kept < count {
                    summary.filesWithLostBytes += 1
                    if case .write(let offset, let data) = file.pending[kept], random.chance(0.6) {
                        summary.tornWrites += 1
                        Self.tear(offset: offset, data: data, into: &bytes, random: &random, sectorSize: sectorSize, pageSize: pageSize)
                    }
                }
            }
            file.current = bytes
            file.durable = bytes
            file.pending.removeAll()
            files[node] = file
        }
        collectGarbage()
        return summary
    }

    /// Applies a write that power loss interrupted: whole sectors from its
    /// start up to a random sector boundary; past the old end of the file
    /// the rest of that page may be zeros or garbage.
    private static func tear(
        offset: Int, data: [UInt8], into bytes: inout [UInt8], random: inout SeededGenerator, sectorSize: Int,
        pageSize: Int
    ) {
        let end = offset + data.count
        var boundaries = [offset]
        var boundary = (offset / sectorSize + 1) * sectorSize
        while boundary < end {
            boundaries.append(boundary)
            boundary += sectorSize
        }
        let cut = boundaries[Int(random.next() % UInt64(boundaries.count))]
        let oldSize = bytes.count
        if cut > offset { apply(.write(offset: offset, bytes: Array(data[0..<(cut - offset)])), to: &bytes) }
        let pageEnd = min(end, (cut / pageSize + 1) * pageSize)
        let fillFrom = max(cut, oldSize)
        guard pageEnd > fillFrom else { return }
        switch random.next() % 3 {
        case 0:
            return
        case 1:
            apply(.write(offset: fillFrom, bytes: [UInt8](repeating: 0, count: pageEnd - fillFrom)), to: &bytes)
        default:
            let garbage = (fillFrom..<pageEnd).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            apply(.write(offset: fillFrom, bytes: garbage), to: &bytes)
        }
    }

    /// Drops inodes no path reaches any more.
    private mutating func collectGarbage() {
        var reachable: Set<Int> = [Self.root]
        var queue = [Self.root]
        while let directory = queue.popLast() {
            for node in (entries[directory] ?? [:]).values where !reachable.contains(node) {
                reachable.insert(node)
                if directories.contains(node) { queue.append(node) }
            }
        }
        files = files.filter { reachable.contains($0.key) }
        directories = directories.filter { reachable.contains($0) }
        entries = entries.filter { reachable.contains($0.key) && directories.contains($0.key) }
        durableEntries = entries
    }
}
