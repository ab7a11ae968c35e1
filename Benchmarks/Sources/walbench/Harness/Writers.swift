import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long each writer of a workload goes on.
struct RunLimits: Sendable {
    /// Stop after this many commits per writer (fixed-count workloads).
    var commitsPerWriter: Int = .max
    /// Stop once this much time has passed since the start: the length of a
    /// fixed-duration workload, and a bound on a fixed-count one.
    var durationNanos: UInt64
}

/// Shared by the writers of one run: the start signal, the latest finish
/// time and the first error.
private final class RunControl: Sendable {
    let ready = Atomic<Int>(0)
    /// 0 until the harness releases the writers.
    let startNanos = Atomic<UInt64>(0)
    let endNanos = Atomic<UInt64>(0)
    let failed = Atomic<Bool>(false)
    let firstError = Mutex<(any Error)?>(nil)

    func fail(_ error: any Error) {
        firstError.withLock { if $0 == nil { $0 = error } }
        failed.store(true, ordering: .releasing)
    }

    func finished(at nanos: UInt64) {
        var current = endNanos.load(ordering: .relaxed)
        while current < nanos {
            let (exchanged, original) = endNanos.compareExchange(expected: current, desired: nanos, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// One writer's loop: time each commit until a limit is reached.
    ///
    /// One clock read per commit: a commit's end is the next one's start,
    /// so its latency also holds the loop's few nanoseconds of
    /// bookkeeping. Two reads cost the fastest systems a few percent of
    /// their rate on this machine's virtual clock.
    func loop(writer: Int, limits: RunLimits, latencies: LatencyBuffer, body: (Int) throws -> Void) {
        let deadline = startNanos.load(ordering: .acquiring) &+ limits.durationNanos
        var done = 0
        var before = monotonicNanos()
        while done < limits.commitsPerWriter, !failed.load(ordering: .relaxed) {
            if before >= deadline { break }
            do {
                try body(writer)
            } catch {
                fail(error)
                break
            }
            let after = monotonicNanos()
            latencies.record(after &- before)
            before = after
            done += 1
        }
        finished(at: before)
    }

    func elapsed() throws -> UInt64 {
        if let error = firstError.withLock({ $0 }) { throw error }
        return endNanos.load(ordering: .acquiring) &- startNanos.load(ordering: .acquiring)
    }
}

/// Runs `writers` OS threads that commit concurrently, each timing its own commits.
enum WriterThreads {
    /// Starts the threads, releases them together once all are up, and
    /// returns the nanoseconds from the release to the last one's finish.
    static func run(
        writers: Int, limits: RunLimits, latencies: [LatencyBuffer],
        body: @escaping @Sendable (Int) throws -> Void
    ) throws -> UInt64 {
        precondition(latencies.count == writers, "one latency buffer per writer")
        let control = RunControl()
        var threads: [SpawnedThread] = []
        do {
            for writer in 0..<writers {
                let buffer = latencies[writer]
                threads.append(try SpawnedThread.start {
                    control.ready.add(1, ordering: .acquiringAndReleasing)
                    while control.startNanos.load(ordering: .acquiring) == 0 { sched_yield() }
                    control.loop(writer: writer, limits: limits, latencies: buffer, body: body)
                })
            }
        } catch {
            // Release the threads already waiting at the gate: they see the
            // failure and stop at once.
            control.fail(error)
        }
        while !control.failed.load(ordering: .acquiring), control.ready.load(ordering: .acquiring) < writers { sched_yield() }
        control.startNanos.store(monotonicNanos(), ordering: .releasing)
        for thread in threads { thread.join() }
        return try control.elapsed()
    }
}

/// Runs `writers` Swift tasks that commit concurrently through `async` calls.
enum WriterTasks {
    static func run(
        writers: Int, limits: RunLimits, latencies: [LatencyBuffer],
        body: @escaping @Sendable (Int) async throws -> Void
    ) async throws -> UInt64 {
        precondition(latencies.count == writers, "one latency buffer per writer")
        let control = RunControl()
        control.startNanos.store(monotonicNanos(), ordering: .releasing)
        let deadline = control.startNanos.load(ordering: .acquiring) &+ limits.durationNanos
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let buffer = latencies[writer]
                group.addTask {
                    // One clock read per commit, as in `RunControl.loop`.
                    var done = 0
                    var before = monotonicNanos()
                    while done < limits.commitsPerWriter, !control.failed.load(ordering: .relaxed) {
                        if before >= deadline { break }
                        do {
                            try await body(writer)
                        } catch {
                            control.fail(error)
                            break
                        }
                        let after = monotonicNanos()
                        buffer.record(after &- before)
                        before = after
                        done += 1
                    }
                    control.finished(at: before)
                }
            }
        }
        return try control.elapsed()
    }
}

/// A plain OS thread, so that blocking writers never sit on the cooperative pool.
final class SpawnedThread: Sendable {
    private let handle: pthread_t

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private init(handle: pthread_t) { self.handle = handle }

    static func start(_ body: @escaping @Sendable () -> Void) throws -> SpawnedThread {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw BenchError("cannot start a writer thread: \(String(cString: strerror(result)))")
        }
        return SpawnedThread(handle: thread)
    }

    func join() {
        pthread_join(handle, nil)
    }
}
