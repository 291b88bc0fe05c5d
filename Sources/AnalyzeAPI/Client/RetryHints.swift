package import Foundation
/// How long a response asks the client to wait before trying again.
///
/// In order: `Retry-After` (delay seconds, or an HTTP date), then `X-RateLimit-*-Reset` style headers
/// (epoch seconds, or seconds from now when the value is small), matched case-insensitively. A reset header
/// whose sibling `…-Remaining` header says requests remain is ignored: it is not the exhausted limit.
/// `package`: the client applies it; the sandbox and the tests share it; it is not API for users.
package enum RetryHints {
    /// The delay `response` asks for, relative to `now`, or `nil` when it names none.
    package static func delay(in headers: [HTTPHeader], now: Date) -> Duration? {
        func value(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
                .trimmingCharacters(in: .whitespaces)
        }
        if let retryAfter = value("Retry-After") {
            if let seconds = Double(retryAfter), seconds.isFinite, seconds >= 0 {
                return .seconds(double: seconds)
            }
            if let date = httpDate(retryAfter) {
                return .seconds(double: max(0, date.timeIntervalSince(now)))
            }
        }
        var longest: Double?
        for header in headers {
            let name = header.name.lowercased()
            guard name.hasPrefix("x-ratelimit"), name.hasSuffix("reset"),
                  let raw = Double(header.value.trimmingCharacters(in: .whitespaces)), raw.isFinite, raw >= 0
            else { continue }
            let base = String(name.dropLast("reset".count))
            if let remaining = value(base + "remaining").flatMap(Double.init), remaining > 0 { continue }
            let seconds = raw > 1_000_000_000 ? raw - now.timeIntervalSince1970 : raw
            longest = max(longest ?? 0, max(0, seconds))
        }
        return longest.map { .seconds(double: $0) }
    }

    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP requires senders to use.
    package static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), let year = Int(parts[3]), parts[1].count == 2, parts[3].count == 4
        else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let month = monthIndex + 1
        let stamp = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(parts[4])Z"
        return RFC3339.date(from: stamp)
    }

    /// Formats `date` as an IMF-fixdate.
    package static func httpDateString(_ date: Date) -> String {
        let stamp = RFC3339.string(from: date)  // 2026-11-20T10:00:00.123Z
        let chars = Array(stamp)
        let year = Int(String(chars[0..<4]))!, month = Int(String(chars[5..<7]))!, day = Int(String(chars[8..<10]))!
        let time = String(chars[11..<19])
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let weekday = weekdays[((days % 7) + 7) % 7]
        return "\(weekday), \(pad(day, 2)) \(months[month - 1]) \(pad(year, 4)) \(time) GMT"
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}
