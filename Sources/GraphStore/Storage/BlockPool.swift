import Dispatch
import Glibc
import Synchronization

/// The process's source of ``BlobBlock`` blocks: fixed-size blocks carved
/// from chunks of anonymous memory, the next chunk mapped and made
/// resident ahead, on a background queue, while the current one is carved.
///
/// Why ahead: the first write to a fresh page of memory costs a page
/// fault and the kernel zeroing the page, and on a virtual machine often
/// the host backing it too. A graph that grows by a million nodes pays
/// that for every page its nodes fill, on the thread that commits them;
/// measured at ten million nodes it was a quarter of that thread's time
/// (Benchmarks/README.md). Touching a chunk's pages on another thread pays
/// it there, before the committing thread needs the memory.
///
/// Blocks given back (their blobs all gone) are handed out again before
/// any new memory, newest first. A chunk whose blocks are all back is
/// unmapped, its memory returned to the system, except one kept as the
/// next chunk to carve: a graph that is cleared gives its memory back, and
/// one that hovers around a chunk's worth does not map and unmap it over
/// and over.
final class BlockPool: Sendable {
    /// The one pool of the process.
    static let shared = BlockPool()

    /// A block: a few dozen records' properties.
    static let blockSize = 4096
    /// A chunk: 512 blocks, aligned to its size, so a block's chunk is
    /// its address with the low bits cleared.
    static let chunkSize = 2 << 20
    private static var blocksPerChunk: Int { chunkSize / blockSize }

    /// One chunk's bookkeeping.
    private struct Chunk {
        /// Blocks given back, by index, handed out again last in, first out.
        var free: [Int] = []
        /// Blocks handed out and not given back.
        var live = 0
    }

    private struct State {
        /// Every chunk mapped, by address.
        var chunks: [UInt: Chunk] = [:]
        /// Chunks with blocks given back, the newest last.
        var withFree: [UInt] = []
        /// The chunk being carved, and the offset of its next block.
        var carving: UInt?
        var carved = 0
        /// A chunk to carve next: mapped ahead, or emptied and kept.
        var ready: UInt?
        /// Whether the background queue is mapping the next chunk.
        var preparing = false
    }

    private let state = Mutex(State())
    /// Whether chunks are mapped ahead; off only for tests that count.
    private let mapsAhead: Bool

    init(mapsAhead: Bool = true) {
        self.mapsAhead = mapsAhead
    }

    /// Every block object holds the pool, so none is in use any more.
    deinit {
        state.withLock { state in
            for base in state.chunks.keys { Self.unmap(base) }
        }
    }

    /// How many chunks the pool has mapped (the one kept for next included).
    var chunkCount: Int { state.withLock { $0.chunks.count } }
    /// How many blocks were given back and wait to be handed out again.
    var returnedCount: Int { state.withLock { $0.chunks.values.reduce(0) { $0 + $1.free.count } } }
    /// How many blocks are handed out and not given back.
    var blocksInUse: Int { state.withLock { $0.chunks.values.reduce(0) { $0 + $1.live } } }
    /// Whether a chunk to carve next waits.
    var hasReadyChunk: Bool { state.withLock { $0.ready != nil } }

    /// A block of ``blockSize`` bytes, or nil when no memory could be mapped.
    func takeBlock() -> UnsafeMutableRawPointer? {
        let (block, prepare) = state.withLock { state -> (UInt?, Bool) in
            if let block = Self.reuse(&state) { return (block, false) }
            if state.carving == nil || state.carved == Self.chunkSize {
                // A carved chunk whose blocks all came back meanwhile.
                if let carved = state.carving, state.chunks[carved]?.live == 0 { Self.release(carved, &state) }
                if let ready = state.ready {
                    state.ready = nil
                    state.carving = ready
                } else {
                    guard let fresh = Self.map() else { return (nil, false) }
                    state.chunks[fresh] = Chunk()
                    state.carving = fresh
                }
                state.carved = 0
            }
            guard let chunk = state.carving else { return (nil, false) }
            let block = chunk + UInt(state.carved)
            state.carved += Self.blockSize
            state.chunks[chunk]?.live += 1
            // Half way through a chunk, the next one is mapped.
            let prepare = mapsAhead && !state.preparing && state.ready == nil && state.carved >= Self.chunkSize / 2
            if prepare { state.preparing = true }
            return (block, prepare)
        }
        if prepare { prepareNextChunk() }
        return block.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// A block given back earlier, from the chunk that got one last.
    private static func reuse(_ state: inout State) -> UInt? {
        while let base = state.withFree.last {
            guard let index = state.chunks[base]?.free.popLast() else {
                state.withFree.removeLast()
                continue
            }
            state.chunks[base]?.live += 1
            if state.chunks[base]?.free.isEmpty ?? true { state.withFree.removeLast() }
            return base + UInt(index * blockSize)
        }
        return nil
    }

    /// Takes back a block from ``takeBlock()``, its blobs all gone.
    func giveBack(_ block: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: block)
        let base = address & ~UInt(Self.chunkSize - 1)
        state.withLock { state in
            guard var chunk = state.chunks[base] else { return }
            chunk.live -= 1
            guard chunk.live > 0 || base == state.carving else {
                Self.release(base, &state)
                return
            }
            chunk.free.append(Int(address - base) / Self.blockSize)
            if chunk.free.count == 1 { state.withFree.append(base) }
            state.chunks[base] = chunk
        }
    }

    /// A chunk with none of its blocks handed out: kept as the next to
    /// carve when none waits, else unmapped.
    private static func release(_ base: UInt, _ state: inout State) {
        state.withFree.removeAll { $0 == base }
        if state.ready == nil && !state.preparing {
            state.chunks[base] = Chunk()
            state.ready = base
        } else {
            state.chunks[base] = nil
            unmap(base)
        }
    }

    /// Maps the next chunk and touches its pages, on a background queue.
    /// Only one at a time (`preparing`), and only when none waits, so
    /// `ready` is free when it is done.
    private func prepareNextChunk() {
        DispatchQueue.global(qos: .utility).async {
            let chunk = Self.map()
            if let chunk, let pointer = UnsafeMutableRawPointer(bitPattern: chunk) {
                // Nothing else can reach the chunk yet: a write per page
                // makes each resident, zeroed by the kernel, here.
                for offset in stride(from: 0, to: Self.chunkSize, by: Int(getpagesize())) {
                    pointer.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
                }
            }
            self.state.withLock { state in
                state.preparing = false
                guard let chunk else { return }
                state.chunks[chunk] = Chunk()
                state.ready = chunk
            }
        }
    }

    /// A fresh chunk aligned to its size, or nil when the kernel refuses
    /// (the caller then allocates another way).
    private static func map() -> UInt? {
        // Twice the size, then the unaligned ends cut off.
        let span = 2 * chunkSize
        guard let pointer = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            pointer != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        let start = UInt(bitPattern: pointer)
        let base = (start + UInt(chunkSize - 1)) & ~UInt(chunkSize - 1)
        if base > start { munmap(pointer, Int(base - start)) }
        let end = start + UInt(span)
        let tail = end - (base + UInt(chunkSize))
        if tail > 0, let after = UnsafeMutableRawPointer(bitPattern: base + UInt(chunkSize)) { munmap(after, Int(tail)) }
        return base
    }

    private static func unmap(_ base: UInt) {
        guard let pointer = UnsafeMutableRawPointer(bitPattern: base) else { return }
        munmap(pointer, chunkSize)
    }
}
