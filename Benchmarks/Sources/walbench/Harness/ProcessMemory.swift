#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of this process, from `/proc/self/status` (Linux).
enum ProcessMemory {
    /// Current resident set (`VmRSS`) in bytes, or nil where there is no procfs.
    static func residentBytes() -> Int? { statusField("VmRSS:") }

    /// Peak resident set (`VmHWM`) in bytes since start or the last ``resetPeak()``.
    static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    /// Lowers the peak to the current resident set (writes 5 to
    /// `/proc/self/clear_refs`, Linux 4.0+), so the next peak read belongs
    /// to what ran after this call. Returns whether the kernel took it.
    @discardableResult
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let five: [UInt8] = [UInt8(ascii: "5")]
        return five.withUnsafeBytes { write(fd, $0.baseAddress, 1) } == 1
    }

    private static func statusField(_ name: String) -> Int? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            // "VmRSS:	   13592 kB"
            let fields = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = fields.first.flatMap({ Int($0) }) else { return nil }
            return value * 1024
        }
        return nil
    }
}

/// Measures how far a workload pushed the resident set above where it started.
struct PeakMemoryProbe {
    private let baseline: Int?
    private let resetWorked: Bool

    /// Takes the baseline and resets the kernel's peak to it.
    init() {
        resetWorked = ProcessMemory.resetPeak()
        baseline = ProcessMemory.residentBytes()
    }

    /// Peak resident bytes above the baseline since `init`, or nil if the
    /// kernel would not reset the peak (then the peak would be the process's).
    func peakAboveBaseline() -> Int? {
        guard resetWorked, let baseline, let peak = ProcessMemory.peakResidentBytes() else { return nil }
        return max(peak - baseline, 0)
    }
}
