// A victim for the kill -9 test: opens a log, carries on where the previous
// (killed) run stopped, and commits until it is killed, printing
// `<writer> <sequence> <commitLSN>` for every commit that returned, that
// is, every commit the log acknowledged: durable under `always`, in the
// kernel (written, or copied into the mapped segment) under `groupsync`
// and `none`. A killed process must lose none of them.
//
// Usage: wal-crash-child DIRECTORY [WRITERS] [always|groupsync|none]
//
// Under `groupsync` and `none` each writer pauses 200 µs between commits,
// so that a run of a few hundred milliseconds leaves a log the test can
// replay after every kill.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import WALTestSupport
import WriteAheadLog

func emit(_ line: String) { emitLine(line) }

final class Shared: Sendable {
    let wal: WAL<CrashEvent>
    let nextSequence: Mutex<[UInt16: UInt32]>
    let pauseMicroseconds: UInt32
    init(wal: WAL<CrashEvent>, next: [UInt16: UInt32], pauseMicroseconds: UInt32) {
        self.wal = wal
        self.nextSequence = Mutex(next)
        self.pauseMicroseconds = pauseMicroseconds
    }
}

/// What a writer thread needs; handed over through `pthread_create`'s context pointer.
final class WriterBox {
    let writer: UInt16
    let shared: Shared
    init(_ writer: UInt16, _ shared: Shared) {
        self.writer = writer
        self.shared = shared
    }
}

func commitForever(_ writer: UInt16, _ shared: Shared) -> Never {
    while true {
        let sequence = shared.nextSequence.withLock { next in
            defer { next[writer, default: 0] += 1 }
            return next[writer, default: 0]
        }
        let events = CrashEvent.transaction(writer: writer, sequence: sequence, count: 1 + Int(sequence % 3))
        do {
            guard let commit = try shared.wal.commit(events) else { continue }
            emit("\(writer) \(sequence) \(commit.commitLSN.rawValue)")
            if shared.pauseMicroseconds > 0 { usleep(shared.pauseMicroseconds) }
        } catch {
            emit("error \(error)")
            exit(1)
        }
    }
}

func run() -> Never {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2 else {
        emit("usage: wal-crash-child DIRECTORY [WRITERS] [always|groupsync|none]")
        exit(2)
    }
    let directory = arguments[1]
    let writers = arguments.count >= 3 ? max(1, Int(arguments[2]) ?? 2) : 2
    let syncMode: SyncMode
    switch arguments.count >= 4 ? arguments[3] : "always" {
    case "always": syncMode = .always
    case "groupsync": syncMode = .groupSync(interval: .milliseconds(20))
    case "none": syncMode = .none
    case let other:
        emit("error: unknown sync mode \(other); use always, groupsync or none")
        exit(2)
    }

    let shared: Shared
    do {
        let options = WALOptions(syncMode: syncMode, segmentTargetBytes: 16 << 10, recoveryMode: .strict)
        let (wal, events, _) = try WAL<CrashEvent>.open(directory: directory, options: options)
        var next: [UInt16: UInt32] = [:]
        for event in events { next[event.writer] = max(next[event.writer] ?? 0, event.sequence + 1) }
        shared = Shared(wal: wal, next: next, pauseMicroseconds: syncMode == .always ? 0 : 200)
        emit("ready \(wal.nextLSN.rawValue)")
    } catch {
        emit("error \(error)")
        exit(1)
    }

    for writer in 1..<writers {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(WriterBox(UInt16(writer), shared)).toOpaque()
        _ = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<WriterBox>.fromOpaque(raw).takeRetainedValue()
            commitForever(box.writer, box.shared)
        }, box)
    }
    commitForever(0, shared)
}

run()
