import TrailmarkTransport
import TrailmarkWire

/// Typed reads for service-to-service use, over the binary RPC (`Query/*`, SEMANTICS §2-5)
/// on one long-lived HTTP/2 connection. Needs a secret (`sk_`) or read (`rk_`) key.
///
/// Every call takes a deadline (`timeout`, default `options.timeout`), sent as
/// `grpc-timeout`; a call past it fails with DEADLINE_EXCEEDED.
public final class TrailmarkQueryClient: Sendable {
    /// Default deadline of every call.
    public let timeout: Duration
    let transport: TransportClient

    /// A client for `host` (`https://host:port` or `http://host:port`), authenticating with `key`.
    public init(host: String, key: String, tls: TLSVerification = .verify(caFile: nil), timeout: Duration = .seconds(30)) throws(TrailmarkError) {
        let address = try ServerAddress(parsing: host)
        self.transport = try TransportClient.trailmark(address: address, key: key, tls: tls)
        self.timeout = timeout
    }

    /// A client on an existing transport (shares its connection).
    public init(transport: TransportClient, timeout: Duration = .seconds(30)) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Every event matching `query` in `[from, to)` as an async sequence of rows: the
    /// server streams all of them in pages of at most `query.limit` rows (flattened here).
    /// Iterating throws `TrailmarkError`.
    public func events(_ query: EventsQuery, timeout: Duration? = nil) -> EventRows {
        EventRows(client: self, query: query, timeout: timeout ?? self.timeout)
    }

    /// Every matching event, following cursors until none is left: the whole range, not
    /// capped at 10,000 rows. `pageLimit` is the `limit` of each streamed request (≤ 10,000).
    public func allEvents(_ query: EventsQuery, pageLimit: UInt32 = 10_000, timeout: Duration? = nil) -> AllEventRows {
        AllEventRows(client: self, query: query, pageLimit: pageLimit, timeout: timeout ?? self.timeout)
    }

    /// One page of `Query/Events` (unary).
    public func eventsPage(_ query: EventsQuery, timeout: Duration? = nil) async throws(TrailmarkError) -> EventsPage {
        try await call(TrailmarkRPC.events, query, timeout: timeout)
    }

    /// `Query/Stats` (SEMANTICS §3, API.md `/v1/stats`).
    public func stats(_ query: StatsQuery, timeout: Duration? = nil) async throws(TrailmarkError) -> StatsResult {
        try await call(TrailmarkRPC.stats, query, timeout: timeout)
    }

    /// `Query/Sources`: events and uniques per source/medium/campaign.
    public func sources(_ query: SourcesQuery, timeout: Duration? = nil) async throws(TrailmarkError) -> SourcesResult {
        try await call(TrailmarkRPC.sources, query, timeout: timeout)
    }

    /// `Query/User`: anonymous ids, first touch, pre-login events, time to conversion.
    public func user(_ query: UserQuery, timeout: Duration? = nil) async throws(TrailmarkError) -> UserResult {
        try await call(TrailmarkRPC.user, query, timeout: timeout)
    }

    /// `Query/Funnel` with every SEMANTICS §4/§5 option of `FunnelQuery`.
    public func funnel(_ query: FunnelQuery, timeout: Duration? = nil) async throws(TrailmarkError) -> FunnelResult {
        try await call(TrailmarkRPC.funnel, query, timeout: timeout)
    }

    /// `Health/Check` (no key needed).
    public func health(timeout: Duration? = nil) async throws(TrailmarkError) -> HealthResponse {
        try await call(TrailmarkRPC.health, HealthRequest(), timeout: timeout)
    }

    /// `Identity/Forget` (secret key): hides every event of the user from then on.
    public func forget(userID: String, timeout: Duration? = nil) async throws(TrailmarkError) -> ForgetResponse {
        try await call(TrailmarkRPC.forget, ForgetRequest(userID: userID), timeout: timeout)
    }

    /// Closes the connection.
    public func close() async { await transport.close() }

    func call<Request: WireMessage, Response: WireMessage>(_ method: RPCMethod, _ request: Request, timeout: Duration?) async throws(TrailmarkError) -> Response {
        do {
            let bytes = try await transport.unary(method.path, request.encoded(), timeout: timeout ?? self.timeout)
            return try Response(decoding: bytes)
        } catch {
            throw TrailmarkError(wrapping: error)
        }
    }
}

/// The rows of one `Query/EventsStream` call (every matching row, paged by `query.limit`).
public struct EventRows: AsyncSequence, Sendable {
    public typealias Element = EventRow
    let client: TrailmarkQueryClient
    let query: EventsQuery
    let timeout: Duration

    public func makeAsyncIterator() -> Iterator { Iterator(rows: self) }

    /// Pulls pages from the server stream one at a time and hands out their rows.
    public struct Iterator: AsyncIteratorProtocol {
        let rows: EventRows
        var pages: RPCMessageStream.Iterator?
        var buffer: [EventRow] = []
        var index = 0
        var finished = false
        /// The cursor of the last page, when more rows match than `limit` allowed.
        public private(set) var nextCursor: String?

        init(rows: EventRows) { self.rows = rows }

        public mutating func next() async throws -> EventRow? {
            while index == buffer.count {
                if finished { return nil }
                if pages == nil {
                    do {
                        pages = try await rows.client.transport.serverStreaming(
                            TrailmarkRPC.eventsStream.path, rows.query.encoded(), timeout: rows.timeout).makeAsyncIterator()
                    } catch { throw TrailmarkError(wrapping: error) }
                }
                let bytes: [UInt8]?
                do { bytes = try await pages?.next() } catch { throw TrailmarkError(wrapping: error) }
                guard let bytes else {
                    finished = true
                    return nil
                }
                let page: EventsPage
                do { page = try EventsPage(decoding: bytes) } catch { throw TrailmarkError(wrapping: error) }
                buffer = page.rows
                index = 0
                nextCursor = page.nextCursor  // the last page's: nil once the stream has sent every row
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}

/// Every matching row, across as many `Query/EventsStream` calls as cursors require.
public struct AllEventRows: AsyncSequence, Sendable {
    public typealias Element = EventRow
    let client: TrailmarkQueryClient
    let query: EventsQuery
    let pageLimit: UInt32
    let timeout: Duration

    public func makeAsyncIterator() -> Iterator { Iterator(all: self) }

    /// Runs one streamed call per cursor.
    public struct Iterator: AsyncIteratorProtocol {
        let all: AllEventRows
        var current: EventRows.Iterator?
        var done = false

        init(all: AllEventRows) { self.all = all }

        public mutating func next() async throws -> EventRow? {
            while !done {
                if current == nil {
                    var query = all.query
                    query.limit = Swift.max(1, Swift.min(all.pageLimit, 10_000))
                    current = EventRows(client: all.client, query: query, timeout: all.timeout).makeAsyncIterator()
                }
                if let row = try await current?.next() { return row }
                if let cursor = current?.nextCursor {
                    var query = all.query
                    query.cursor = cursor
                    query.limit = Swift.max(1, Swift.min(all.pageLimit, 10_000))
                    current = EventRows(client: all.client, query: query, timeout: all.timeout).makeAsyncIterator()
                } else {
                    done = true
                }
            }
            return nil
        }
    }
}
