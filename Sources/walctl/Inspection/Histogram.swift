/// Counts of values in power-of-two buckets: 0, 1, 2-3, 4-7, 8-15, ...
///
/// Transaction sizes span orders of magnitude (one event to millions), so
/// doubling buckets show the shape in a dozen rows whatever the log.
struct Histogram {
    /// counts[0] holds zeros; counts[k] holds values in 2^(k-1) ..< 2^k.
    private(set) var counts: [Int] = []
    private(set) var total = 0
    private(set) var sum: UInt64 = 0
    private(set) var minimum: Int?
    private(set) var maximum: Int?

    mutating func add(_ value: Int) {
        let bucket = value <= 0 ? 0 : (Int.bitWidth - value.leadingZeroBitCount)
        if counts.count <= bucket { counts += Array(repeating: 0, count: bucket + 1 - counts.count) }
        counts[bucket] += 1
        total += 1
        sum += UInt64(max(0, value))
        minimum = Swift.min(minimum ?? value, value)
        maximum = Swift.max(maximum ?? value, value)
    }

    var mean: Double? { total == 0 ? nil : Double(sum) / Double(total) }

    /// The non-empty buckets as (lowest value, highest value, count).
    var buckets: [(low: Int, high: Int, count: Int)] {
        counts.enumerated().compactMap { bucket, count in
            guard count > 0 else { return nil }
            if bucket == 0 { return (0, 0, count) }
            let low = 1 << (bucket - 1)
            return (low, low * 2 - 1, count)
        }
    }
}
