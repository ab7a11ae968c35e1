#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A one-line "scanning: 42%" on stderr that redraws itself while a long
/// scan runs, and disappears when it ends.
///
/// It draws only when stderr is a terminal, waits a second before drawing
/// at all (short scans stay silent), and redraws at most a few times a
/// second, so it costs nothing measurable per record.
struct ProgressLine {
    private let label: String
    private let totalBytes: UInt64
    private let enabled: Bool
    private let start: UInt64
    private var lastDraw: UInt64 = 0
    private var drawn = false
    private var calls = 0

    /// - Parameter totalBytes: the bytes the scan will read, for the percentage.
    init(label: String, totalBytes: UInt64, enabled: Bool = Console.stderrIsTerminal) {
        self.label = label
        self.totalBytes = max(totalBytes, 1)
        self.enabled = enabled
        self.start = Self.nowNanoseconds()
    }

    /// Notes that the scan has read `bytes` bytes so far; redraws when due.
    mutating func update(bytes: UInt64) {
        guard enabled else { return }
        calls += 1
        // Reading the clock per record would cost more than the record.
        guard calls % 1024 == 0 else { return }
        let now = Self.nowNanoseconds()
        guard now - start >= 1_000_000_000, now - lastDraw >= 200_000_000 else { return }
        lastDraw = now
        let percent = min(100, bytes * 100 / totalBytes)
        Console.rawDiagnostic(
            "\r\(label): \(percent)% (\(ByteCount(bytes)) of \(ByteCount(totalBytes)))\u{1B}[K")
        drawn = true
    }

    /// Erases the line if it was drawn, so later output starts clean.
    mutating func finish() {
        guard drawn else { return }
        Console.rawDiagnostic("\r\u{1B}[K")
        drawn = false
    }

    private static func nowNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
