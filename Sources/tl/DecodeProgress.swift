public import ArgumentParser
import Foundation
import MediaProbe
import NIOConcurrencyHelpers

extension DecodeMode: ExpressibleByArgument {}

/// One line on stderr, on a terminal only, with the percentage of duration each running deep
/// check has read: `decoding 37% a.mp4 · 12% b.mkv`. Redrawn at most ten times a second, and
/// erased before any report is printed, so it never mixes with stdout.
final class DecodeProgress: Sendable {
    private struct State {
        var fractions: [String: Double] = [:]
        var lastDraw: ContinuousClock.Instant?
        var shown = false
    }
    private let state = NIOLockedValueBox(State())
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    /// The callback for one file's deep check.
    func reporter(for path: String) -> (@Sendable (Double) -> Void)? {
        guard enabled else { return nil }
        let name = (path as NSString).lastPathComponent
        return { [self] fraction in update(name, fraction) }
    }

    private func update(_ name: String, _ fraction: Double) {
        state.withLockedValue { state in
            state.fractions[name] = fraction
            let now = ContinuousClock.now
            if let last = state.lastDraw, now - last < .milliseconds(100) { return }
            state.lastDraw = now
            let parts = state.fractions.sorted { $0.key < $1.key }.map { "\(Int(($0.value * 100).rounded(.down)))% \($0.key)" }
            Self.write("\r\u{1B}[K" + "decoding " + parts.joined(separator: " · "))
            state.shown = true
        }
    }

    /// Forgets a finished file and erases the line (the next update draws it again).
    func finish(_ path: String) {
        guard enabled else { return }
        state.withLockedValue { state in
            state.fractions[(path as NSString).lastPathComponent] = nil
            if state.shown { Self.write("\r\u{1B}[K") }
            state.shown = false
            state.lastDraw = nil
        }
    }

    private static func write(_ text: String) {
        CLI.write(text, to: STDERR_FILENO)
    }
}
