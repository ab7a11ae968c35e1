import WriteAheadLog

/// How many threads decode a snapshot's nodes.
enum DecodingThreads: Sendable {
    /// Two for a large snapshot on a machine with a second processor, else one.
    case automatic
    case one
    case two
}

/// The node section of a version 3 or 4 snapshot body.
///
/// Each record is read in two steps: reading (the id gap, the label set,
/// the property bytes checked where they lie, UTF-8 and all) and building
/// (the record with its own copy of the bytes, into the id trie and the
/// label index). On two threads a second thread reads while the calling
/// thread builds, a batch of records behind. What comes out is what one
/// thread makes, and so are the errors: the reader stops at the first bad
/// record, and the builder throws its error only after building every
/// record before it, as one thread would.
struct NodeSection {
    let count: Int
    let labelSetCount: Int
    let keyCount: Int

    /// Below this many nodes a second thread costs more than it gives.
    static let twoThreadMinimum = 1 << 16
    static let batchSize = 4096
    static let queueDepth = 8

    /// A node read and checked, its properties still in the snapshot's bytes.
    struct Entry {
        var id: UInt64
        var labelSet: UInt32
        var properties: UnsafeRawBufferPointer
    }

    /// Entries on their way from the reader thread to the builder. The
    /// bytes they point into are the snapshot's, which outlive the thread:
    /// `decodeOnTwoThreads` joins it before returning, inside the scope
    /// that keeps them alive.
    struct Batch: @unchecked Sendable {
        var entries: [Entry] = []
    }

    /// Reads every node, handing each record to `build` in id order;
    /// leaves `reader` after the section.
    func decode(
        _ reader: inout BinaryReader, threads: DecodingThreads, arena: inout BlobArena,
        build: (UInt64, NodeRecord) throws(WALError) -> Void
    ) throws(WALError) {
        let two: Bool
        switch threads {
        case .one: two = false
        case .two: two = true
        case .automatic: two = count >= Self.twoThreadMinimum && DedicatedThread.hasSecondProcessor
        }
        guard two, let rest = try decodeOnTwoThreads(reader, arena: &arena, build: build) else {
            var previous: UInt64? = nil
            for index in 0..<count {
                let entry = try read(&reader, index: index, after: previous)
                try build(entry.id, Self.record(of: entry, arena: &arena))
                previous = entry.id
            }
            return
        }
        reader = rest
    }

    /// The reading step of one node.
    func read(_ reader: inout BinaryReader, index: Int, after previous: UInt64?) throws(WALError) -> Entry {
        let id = try GraphStore.readID(&reader, after: previous, "id of node \(index)")
        let labelSet = try reader.readVarint("label set of node \(id)")
        guard labelSet <= UInt64(labelSetCount) else {
            throw WALError(.eventDecoding, "node \(id) has label set \(labelSet), not in the table of \(labelSetCount)")
        }
        let properties = try reader.readVarBytesInPlace("properties of node \(id)")
        do throws(WALError) {
            try PropertyBlob.validate(properties, keyCount: keyCount)
        } catch {
            throw WALError(.eventDecoding, "properties of node \(id): \(error.message)")
        }
        return Entry(id: id, labelSet: UInt32(labelSet), properties: properties)
    }

    /// The record of a checked entry, its bytes copied into the store's block.
    static func record(of entry: Entry, arena: inout BlobArena) -> NodeRecord {
        NodeRecord(labelSet: entry.labelSet, properties: PropertyBlob(copying: entry.properties, in: &arena))
    }

    /// The reader on a thread of its own, the builder on this one. Returns
    /// the reader after the section, or nil when no thread could be started
    /// (nothing was read: the caller reads on this thread).
    private func decodeOnTwoThreads(
        _ reader: BinaryReader, arena: inout BlobArena, build: (UInt64, NodeRecord) throws(WALError) -> Void
    ) throws(WALError) -> BinaryReader? {
        let queue = HandOffQueue<Batch, Result<SendableReader, WALError>>(depth: Self.queueDepth)
        let start = SendableReader(reader: reader)
        let section = self
        let thread: DedicatedThread
        do {
            thread = try DedicatedThread.start(name: "snapshot node reader") { section.read(from: start, into: queue) }
        } catch {
            return nil
        }
        do throws(WALError) {
            while let batch = queue.next() {
                for entry in batch.entries { try build(entry.id, Self.record(of: entry, arena: &arena)) }
                queue.recycle(batch)
            }
        } catch {
            queue.stop()
            thread.join()
            throw error
        }
        thread.join()
        switch queue.outcome {
        case .success(let end)?: return end.reader
        case .failure(let error)?: throw error
        case nil: throw WALError(.io, "the snapshot node reader ended without reporting how it ended")
        }
    }

    /// The reader thread: every node, in batches, then where it stopped.
    private func read(from start: SendableReader, into queue: HandOffQueue<Batch, Result<SendableReader, WALError>>) {
        var reader = start.reader
        var batch = Batch()
        batch.entries.reserveCapacity(Self.batchSize)
        var previous: UInt64? = nil
        do throws(WALError) {
            for index in 0..<count {
                let entry = try read(&reader, index: index, after: previous)
                batch.entries.append(entry)
                previous = entry.id
                if batch.entries.count == Self.batchSize {
                    guard queue.hand(batch) else { return }
                    batch = queue.spare() ?? Batch()
                    batch.entries.removeAll(keepingCapacity: true)
                    batch.entries.reserveCapacity(Self.batchSize)
                }
            }
            queue.finish(last: batch, .success(SendableReader(reader: reader)))
        } catch {
            queue.finish(last: batch, .failure(error))
        }
    }
}

/// A reader handed to the node reader thread and back; see ``NodeSection/Batch``.
struct SendableReader: @unchecked Sendable {
    var reader: BinaryReader
}
