import ArgumentParser
import Foundation
import TrailmarkServices
import TrailmarkStorage

/// Reads `TRAILMARK_<NAME>` from the environment: every flag has an environment
/// equivalent, and a flag on the command line wins.
func environment(_ name: String) -> String? {
    ProcessInfo.processInfo.environment["TRAILMARK_\(name)"]
}

/// The storage and service options of `trailmark serve` (each with a `TRAILMARK_…`
/// environment variable, named in its help).
struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "Durability of acknowledgements: group (fdatasync before every ack, grouped) or none (benchmarks only: acks before data is durable). Env TRAILMARK_DURABILITY.")
    var durability: String = environment("DURABILITY") ?? "group"

    @Option(name: .long, help: "Size of each preallocated log segment, MiB. Env TRAILMARK_SEGMENT_MB.")
    var segmentMB: Int = Int(environment("SEGMENT_MB") ?? "") ?? 64

    @Option(name: .long, help: "Delete whole segments older than this many days (0: keep). Env TRAILMARK_RETENTION_DAYS.")
    var retentionDays: Int = Int(environment("RETENTION_DAYS") ?? "") ?? 0

    @Option(name: .long, help: "Delete the oldest segments beyond this many GiB in total (0: no limit). Env TRAILMARK_RETENTION_GB.")
    var retentionGB: Int = Int(environment("RETENTION_GB") ?? "") ?? 0

    @Option(name: .long, help: "Seconds forgets are batched before they are erased from disk (DELETE /v1/users/…; 0: at once). Env TRAILMARK_FORGET_ERASE_DELAY_S.")
    var forgetEraseDelayS: Double = Double(environment("FORGET_ERASE_DELAY_S") ?? "") ?? 300

    @Flag(name: .long, help: "Start even if the log is corrupt in the middle: keep the good prefix, move the rest to *.corrupt. Env TRAILMARK_REPAIR=1.")
    var repair: Bool = environment("REPAIR") == "1"

    @Option(name: .long, help: "Clock-skew tolerance for sent_at correction, seconds (SEMANTICS §1). Env TRAILMARK_SKEW_TOLERANCE_S.")
    var skewToleranceS: Int = Int(environment("SKEW_TOLERANCE_S") ?? "") ?? 60

    @Option(name: .long, help: "Requests per second per API key (burst: twice that). Env TRAILMARK_RATE_REQUESTS.")
    var rateRequests: Double = Double(environment("RATE_REQUESTS") ?? "") ?? 1_000

    @Option(name: .long, help: "Events per second per API key (burst: twice that). Env TRAILMARK_RATE_EVENTS.")
    var rateEvents: Double = Double(environment("RATE_EVENTS") ?? "") ?? 2_000_000

    @Option(name: .long, help: "Largest binary RPC message, MiB. Env TRAILMARK_MESSAGE_MB.")
    var messageMB: Int = Int(environment("MESSAGE_MB") ?? "") ?? 4

    @Option(name: .long, help: "Most events in one binary batch. Env TRAILMARK_BATCH_EVENTS_MAX.")
    var batchEventsMax: Int = Int(environment("BATCH_EVENTS_MAX") ?? "") ?? 10_000

    @Flag(name: .long, help: "On a data directory without keys, create project 'dev' with one key of each kind and print them with example requests. Env TRAILMARK_DEV=1.")
    var dev: Bool = environment("DEV") == "1"

    func validate() throws {
        guard ["group", "none"].contains(durability) else { throw ValidationError("--durability must be group or none, got \(durability)") }
        guard (1...1024).contains(segmentMB) else { throw ValidationError("--segment-mb must be 1...1024") }
        guard retentionDays >= 0, retentionGB >= 0 else { throw ValidationError("retention values must not be negative") }
        guard (0...86_400).contains(forgetEraseDelayS) else { throw ValidationError("--forget-erase-delay-s must be 0...86400") }
        guard skewToleranceS >= 0 else { throw ValidationError("--skew-tolerance-s must not be negative") }
        guard rateRequests > 0, rateEvents > 0 else { throw ValidationError("rate limits must be positive") }
        guard (1...64).contains(messageMB) else { throw ValidationError("--message-mb must be 1...64") }
        guard (1...1_000_000).contains(batchEventsMax) else { throw ValidationError("--batch-events-max must be 1...1000000") }
    }

    func hubConfiguration(dataDirectory: String) -> ServiceHub.Configuration {
        var c = ServiceHub.Configuration(dataDirectory: dataDirectory)
        c.log.durability = durability == "none" ? .none : .group
        c.log.segmentBytes = segmentMB << 20
        c.log.repair = repair
        c.log.retention = LogConfiguration.Retention(
            ageMax: retentionDays > 0 ? .seconds(retentionDays * 86_400) : nil,
            totalBytesMax: retentionGB > 0 ? retentionGB << 30 : nil)
        c.forgetEraseDelay = .milliseconds(Int64(forgetEraseDelayS * 1000))
        c.skewToleranceMicros = Int64(skewToleranceS) * 1_000_000
        c.rateLimits = .init(requestsPerSecond: rateRequests, requestsBurst: rateRequests * 2,
                             eventsPerSecond: rateEvents, eventsBurst: rateEvents * 2)
        c.wireLimits.messageBytesMax = messageMB << 20
        c.wireLimits.batchEventsMax = batchEventsMax
        return c
    }
}
