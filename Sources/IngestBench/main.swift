import Foundation
import Ingest

// How many items one journal hands out per second: workers claiming (10 at a time) and finishing items, each
// claim and each finish one transaction, the way `tl ingest` workers use it. The figure behind the README's
// "how far one PostgreSQL carries".
//
//     IngestBench JOURNAL ITEMS WORKERS SECONDS
//
// Prints one JSON object: items finished per second, claims per second, transactions per second.
let arguments = CommandLine.arguments
guard arguments.count == 5, let items = Int(arguments[2]), let workers = Int(arguments[3]), let seconds = Double(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: IngestBench JOURNAL ITEMS WORKERS SECONDS\n".utf8))
    exit(64)
}
do {
    try await measure()
} catch {
    FileHandle.standardError.write(Data("IngestBench: \(error)\n".utf8))
    exit(2)
}

func measure() async throws {
let journal = try IngestJournal.open(arguments[1])
try await journal.migrate()
let job = JobSpec(name: "claims-\(UUID().uuidString.prefix(8))", prompts: ["Summarise."])
try await journal.openJob(job)
try await journal.discover(job: job, files: (0..<items).map { index in
    DiscoveredFile(path: "/bench/\(index).mp4", fingerprint: ContentFingerprint(size: 1000, digest: String(format: "%064x", index)))
})
let before = journal.meter.transactions
let clock = ContinuousClock()
let started = clock.now
let deadline = started + .seconds(seconds)
let counts = try await withThrowingTaskGroup(of: (claims: Int, finished: Int).self) { group in
    for worker in 0..<workers {
        group.addTask {
            var claims = 0, finished = 0
            while clock.now < deadline {
                let claimed = try await journal.claim(job: job.name, owner: "bench-\(worker)", limit: 10, leaseSeconds: 60)
                if claimed.isEmpty { break }
                claims += 1
                for item in claimed {
                    try await journal.apply(ItemUpdate.to(.done).releasing(), under: item.lease)
                    finished += 1
                }
            }
            return (claims, finished)
        }
    }
    var total = (claims: 0, finished: 0)
    while let next = try await group.next() {
        total.claims += next.claims
        total.finished += next.finished
    }
    return total
}
let elapsed = clock.now - started
let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let transactions = journal.meter.transactions - before
print(String(format: #"{"journal": "%@", "workers": %d, "seconds": %.2f, "items_finished_per_second": %.0f, "claims_per_second": %.0f, "transactions_per_second": %.0f}"#,
             journal.location.hasPrefix("postgres") ? "postgres" : "sqlite", workers, wall, Double(counts.finished) / wall,
             Double(counts.claims) / wall, Double(transactions) / wall))
_ = try await journal.forget(job: job.name)
await journal.close()
}
