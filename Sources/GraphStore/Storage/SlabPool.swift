import Dispatch
import Glibc
import Synchronization

/// The process's source of ``BlobSlab`` blocks: fixed-size blocks carved
/// from chunks of anonymous memory, the next chunk mapped and made
/// resident ahead, on a background queue, while the current one is carved.
///
/// Why ahead: the first write to a fresh page of memory costs a page
/// fault and the kernel zeroing the page, and on a virtual machine often
/// the host backing it too. A graph that grows by a million nodes pays
/// that for every page its nodes fill, on the thread that commits them;
/// measured at ten million nodes it was a quarter of that thread's time
/// (Benchmarks/README.md). Mapping a chunk with `MAP_POPULATE` on another
/// thread pays it there, before the committing thread needs the memory.
///
/// Blocks given back (their blobs all gone) are handed out again before
/// any new memory, newest first. Chunks are kept for the life of the
/// process, as malloc keeps its heaps: a graph that shrinks keeps its
/// high-water mark of blocks for the nodes it creates next.
final class SlabPool: Sendable {
    /// The one pool of the process.
    static let shared = SlabPool()

    /// A block: a few dozen records' properties.
    static let blockSize = 4096
    /// A chunk: 512 blocks.
    static let chunkSize = 2 << 20

    /// A block's or chunk's address, which the state keeps across threads.
    private struct Address: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private struct State {
        /// Blocks given back, handed out again last in, first out.
        var returned: [Address] = []
        /// The chunk being carved, and the offset of its next block.
        var carving: Address?
        var carved = 0
        /// A chunk mapped and made resident ahead, waiting.
        var ready: Address?
        /// Whether the background queue is mapping the next chunk.
        var preparing = false
        /// Blocks handed out and not given back.
        var inUse = 0
        /// Every chunk mapped, unmapped when the pool goes.
        var chunks: [Address] = []
    }

    private let state = Mutex(State())
    /// Whether chunks are mapped ahead; off only for tests that count.
    private let mapsAhead: Bool

    init(mapsAhead: Bool = true) {
        self.mapsAhead = mapsAhead
    }

    /// Every block's slab holds the pool, so none is in use any more.
    deinit {
        state.withLock { state in
            for chunk in state.chunks { Self.unmap(chunk) }
        }
    }

    /// How many chunks the pool has mapped.
    var chunkCount: Int { state.withLock { $0.chunks.count } }
    /// How many blocks were given back and wait to be handed out again.
    var returnedCount: Int { state.withLock { $0.returned.count } }
    /// How many blocks are handed out and not given back.
    var blocksInUse: Int { state.withLock { $0.inUse } }
    /// Whether a chunk mapped ahead waits.
    var hasReadyChunk: Bool { state.withLock { $0.ready != nil } }

    /// A block of ``blockSize`` bytes, or nil when no memory could be mapped.
    func takeBlock() -> UnsafeMutableRawPointer? {
        let (block, prepare) = state.withLock { state -> (Address?, Bool) in
            if let block = state.returned.popLast() {
                state.inUse += 1
                return (block, false)
            }
            if state.carving == nil || state.carved == Self.chunkSize {
                guard let chunk = state.ready ?? Self.map(populated: false) else { return (nil, false) }
                if state.ready == nil { state.chunks.append(chunk) }
                state.ready = nil
                state.carving = chunk
                state.carved = 0
            }
            guard let chunk = state.carving else { return (nil, false) }
            let block = Address(pointer: chunk.pointer + state.carved)
            state.carved += Self.blockSize
            state.inUse += 1
            // Half way through a chunk, the next one is mapped.
            let prepare = mapsAhead && !state.preparing && state.ready == nil && state.carved >= Self.chunkSize / 2
            if prepare { state.preparing = true }
            return (block, prepare)
        }
        if prepare { prepareNextChunk() }
        return block?.pointer
    }

    /// Takes back a block from ``takeBlock()``, its blobs all gone.
    func giveBack(_ block: UnsafeMutableRawPointer) {
        let address = Address(pointer: block)
        state.withLock { state in
            state.returned.append(address)
            state.inUse -= 1
        }
    }

    /// Maps the next chunk, resident, on a background queue. Only one at a
    /// time (`preparing`), and only when none waits, so `ready` is free.
    private func prepareNextChunk() {
        DispatchQueue.global(qos: .utility).async {
            let chunk = Self.map(populated: true)
            self.state.withLock { state in
                state.preparing = false
                guard let chunk else { return }
                state.chunks.append(chunk)
                state.ready = chunk
            }
        }
    }

    /// A fresh chunk, its pages made resident first when `populated`; nil
    /// when the kernel refuses (the caller then allocates another way).
    private static func map(populated: Bool) -> Address? {
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | (populated ? MAP_POPULATE : 0)
        guard let pointer = mmap(nil, chunkSize, PROT_READ | PROT_WRITE, flags, -1, 0),
            pointer != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        return Address(pointer: pointer)
    }

    private static func unmap(_ chunk: Address) {
        munmap(chunk.pointer, chunkSize)
    }
}
