import Synchronization
import TrailmarkWire

/// Every identify call of the run and which of them the server acknowledged, so `--verify`
/// can check them like batches: an acknowledged identify has exactly one `$identify` row,
/// one never acknowledged has at most one (SEMANTICS §1: a retried identify — same pair,
/// same timestamp — is stored once).
final class IdentifyLedger: Sendable {
    struct Pair: Hashable, Sendable {
        var anonymousID: String
        var userID: String
    }

    struct Snapshot: Sendable {
        var sent: Set<Pair> = []
        var acked: Set<Pair> = []
    }

    private let state = Mutex(Snapshot())

    func sent(_ identifies: [Identify]) {
        state.withLock { s in for i in identifies { s.sent.insert(Pair(anonymousID: i.anonymousID, userID: i.userID)) } }
    }

    func acked(_ identifies: [Identify]) {
        state.withLock { s in for i in identifies { s.acked.insert(Pair(anonymousID: i.anonymousID, userID: i.userID)) } }
    }

    func snapshot() -> Snapshot { state.withLock { $0 } }
}
