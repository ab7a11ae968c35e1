import ArgumentParser
import Foundation

/// A moment typed on the command line: ISO 8601 with a time zone, with or
/// without fractional seconds (`2026-12-01T15:04:05Z`,
/// `2026-12-01T16:04:05.250+01:00`).
struct TimestampArgument: ExpressibleByArgument, CustomStringConvertible {
    let date: Date
    let text: String

    init?(argument: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: argument) {
            self.date = date
        } else {
            formatter.formatOptions = [.withInternetDateTime]
            guard let date = formatter.date(from: argument) else { return nil }
            self.date = date
        }
        text = argument
    }

    var description: String { text }

    static var defaultValueDescription: String { "an ISO 8601 time such as 2026-12-01T15:04:05Z" }
}
