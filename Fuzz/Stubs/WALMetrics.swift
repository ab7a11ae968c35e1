// The fuzz build compiles the library sources without swift-metrics: these
// no-op stand-ins have the shape WALMetrics uses. Metrics never influence
// what the log writes or recovers.

struct WALMetrics: Sendable {
    struct Counter: Sendable {
        func increment(by amount: Int = 1) {}
    }
    struct Timer: Sendable {
        func recordNanoseconds(_ duration: Int64) {}
    }
    struct Recorder: Sendable {
        func record(_ value: Int) {}
    }
    struct Gauge: Sendable {
        func record(_ value: Int64) {}
    }

    let commits = Counter()
    let bytesWritten = Counter()
    let writes = Counter()
    let fsyncs = Counter()
    let fsyncDuration = Timer()
    let commitsPerFsync = Recorder()
    let durableLag = Gauge()

    init(directory: String) {}
}
