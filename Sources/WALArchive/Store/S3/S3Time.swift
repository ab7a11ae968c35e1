import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The time formats of S3 requests and answers, without `DateFormatter`
/// (whose instances are not safe to share between threads).
enum S3Time {
    /// `yyyyMMdd'T'HHmmss'Z'` in UTC: the request's `x-amz-date`.
    static func amzDate(_ date: Date) -> String {
        let fields = utc(date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second)
    }

    /// `yyyy-MM-dd'T'HH:mm:ss'Z'` in UTC, for messages.
    static func iso8601(_ date: Date) -> String {
        let fields = utc(date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second)
    }

    /// An HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`), or `nil`.
    static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]),
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].firstIndex(of: String(parts[2]))
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return date(year: year, month: month + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
    }

    /// A date from UTC fields.
    static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        let seconds = timegm(&fields)
        guard seconds != -1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func utc(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        return (
            Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1, Int(fields.tm_mday), Int(fields.tm_hour), Int(fields.tm_min),
            Int(fields.tm_sec)
        )
    }
}
