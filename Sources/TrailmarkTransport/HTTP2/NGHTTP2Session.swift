import CNGHTTP2
import NIOCore

/// What the owner of an `NGHTTP2Session` hears from libnghttp2's callbacks.
///
/// Rule for implementers (nghttp2 API docs; measured as use-after-free otherwise): never call
/// `receive`, `send` or free the session, and never close the channel, from inside these
/// methods. Submitting frames (`submit…`, `resumeData`, `consume`) is allowed.
protocol NGHTTP2SessionDelegate: AnyObject {
    /// A HEADERS frame opened a stream (server) or started a response/trailers (client).
    func session(beginHeaders streamID: Int32) -> NGHTTP2Session.CallbackResult
    /// One header field; the buffers are valid only during the call.
    func session(header streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> NGHTTP2Session.CallbackResult
    /// A complete header block arrived; `endStream` when it also ended the peer's side.
    func session(headersComplete streamID: Int32, endStream: Bool)
    /// DATA payload bytes (padding excluded); valid only during the call. With automatic
    /// window updates off, the delegate must later `consume` exactly this many bytes.
    func session(data streamID: Int32, bytes: UnsafeRawBufferPointer) -> NGHTTP2Session.CallbackResult
    /// A DATA frame with END_STREAM arrived (after its payload was delivered).
    func session(dataEndStream streamID: Int32)
    /// The stream is closed (both sides ended, or reset); `errorCode` is an RFC 9113 §7 code.
    func session(streamClosed streamID: Int32, errorCode: UInt32)
    /// Fills `buffer` with response/request body bytes of `streamID`.
    func session(readData streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2Session.DataRead
    /// A GOAWAY arrived (client side: stop opening streams above `lastStreamID`).
    func session(goAway lastStreamID: Int32, errorCode: UInt32)
    /// A PING or SETTINGS frame (not ACK) arrived; used by the abuse policy.
    func sessionControlFrameReceived() -> NGHTTP2Session.CallbackResult
}

/// Owns one `nghttp2_session` (client or server), created with automatic window updates off
/// and freed exactly once in `deinit`.
///
/// Threading: not Sendable; one instance belongs to one connection handler on one event loop.
/// Callbacks reach Swift through the session's `user_data`, which is this object passed
/// unretained: callbacks run only inside the `nghttp2_session_*` calls made by this object's
/// methods, so `self` is alive for each callback's duration. The delegate is
/// `unowned(unsafe)` (no reference-count traffic per callback): the delegate owns this
/// session and outlives it, and callbacks run only inside the delegate's own calls.
final class NGHTTP2Session {
    /// Outcome a delegate returns from a receive callback.
    enum CallbackResult {
        case ok
        /// Reset just this stream (nghttp2 sends RST_STREAM INTERNAL_ERROR).
        case resetStream
        /// Tear the connection down (nghttp2 returns an error from `receive`).
        case fatal
    }

    /// What `readData` produced.
    enum DataRead {
        /// `count` bytes written; `endOfBody` ends the body, with `trailers` sent after it
        /// (or END_STREAM on the last DATA frame when there are none).
        case bytes(count: Int, endOfBody: Bool, trailers: TrailerBlock?)
        /// Nothing to send now; call `resumeData` when there is.
        case deferred
    }

    /// SETTINGS this side announces (RFC 9113 §6.5.2).
    struct Settings {
        var maxConcurrentStreams: UInt32 = 128
        var initialWindowBytes: UInt32 = 1 << 20
        var connectionWindowBytes: Int32 = 16 << 20
        var maxFrameBytes: UInt32 = 16_384
        var maxHeaderListBytes: UInt32 = 16 << 10
        var headerTableBytes: UInt32 = 4096
    }

    enum Role { case server, client }

    // Unchecked exclusivity: read on every call, written only in init and deinit.
    @exclusivity(unchecked) private var session: OpaquePointer?
    // unowned(unsafe): the delegate owns this session and outlives it (see the type docs).
    unowned(unsafe) let delegate: any NGHTTP2SessionDelegate
    /// `delegate` again when it is the server's handler, unretained for the same reason.
    /// Callbacks borrow it (`_withUnsafeGuaranteedRef`): reading the `unowned(unsafe)`
    /// existential instead costs a retain/release pair per callback (about 14 per request).
    private let serverDelegate: Unmanaged<HTTP2ServerHandler>?
    let role: Role
    /// nghttp2's allocator for this session. Declared after `session`, and `deinit` frees
    /// the session in its body, so every block is back in the pool before the pool goes.
    let memoryPool = NGHTTP2MemoryPool()

    init(role: Role, settings: Settings, resetBurst: UInt64 = 1000, resetRatePerSecond: UInt64 = 33,
         delegate: any NGHTTP2SessionDelegate) throws(TransportError) {
        self.role = role
        self.delegate = delegate
        self.serverDelegate = (delegate as? HTTP2ServerHandler).map { Unmanaged.passUnretained($0) }
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw TransportError(.http2, "nghttp2_session_callbacks_new failed")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        NGHTTP2Callbacks.install(callbacks)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { throw TransportError(.http2, "nghttp2_option_new failed") }
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_outbound_ack(option, 1000)
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_stream_reset_rate_limit(option, resetBurst, resetRatePerSecond)
        nghttp2_option_set_max_send_header_block_length(option, 64 << 10)
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)

        var created: OpaquePointer?
        // Unretained: see the type's doc comment.
        let userData = Unmanaged.passUnretained(self).toOpaque()
        // nghttp2 copies the allocator struct; the pool it points to lives as long as `self`.
        var allocator = memoryPool.nghttp2Allocator
        let rc = role == .server
            ? nghttp2_session_server_new3(&created, callbacks, userData, option, &allocator)
            : nghttp2_session_client_new3(&created, callbacks, userData, option, &allocator)
        guard rc == 0, let created else { throw TransportError(.http2, "creating the session: \(Self.describe(rc))") }
        session = created

        var entries: [nghttp2_settings_entry] = [
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowBytes),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameBytes),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListBytes),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE.rawValue), value: settings.headerTableBytes),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        guard nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count) == 0 else {
            throw TransportError(.http2, "submitting SETTINGS")
        }
        let growth = settings.connectionWindowBytes - tm_nghttp2_initial_window_size()
        if growth > 0 {
            _ = nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindowBytes)
        }
    }

    deinit { if let session { nghttp2_session_del(session) } }

    /// Human-readable text of an nghttp2 error code.
    static func describe(_ code: Int32) -> String { String(cString: nghttp2_strerror(code)) }
    static func describe(_ code: Int) -> String { describe(Int32(truncatingIfNeeded: code)) }

    private var pointer: OpaquePointer {
        guard let session else { preconditionFailure("NGHTTP2Session used after free") }
        return session
    }

    // MARK: I/O

    /// Feeds received bytes. Returns nil, or the fatal error nghttp2 reported (flood,
    /// bad preface, protocol error); the session has then queued a GOAWAY to send.
    func receive(_ buffer: ByteBuffer) -> TransportError? {
        let rc = buffer.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress, raw.count > 0 else { return 0 }
            return nghttp2_session_mem_recv(pointer, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        return rc < 0 ? TransportError(.protocolViolation, "HTTP/2: \(Self.describe(rc))") : nil
    }

    /// Serialises queued frames into `output` until nothing is left or `output` holds
    /// `limitBytes`. Returns an error when nghttp2 failed (the connection must close).
    func send(into output: inout ByteBuffer, limitBytes: Int) -> TransportError? {
        while output.readableBytes < limitBytes {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(pointer, &data)
            if n < 0 { return TransportError(.http2, "HTTP/2 send: \(Self.describe(n))") }
            guard n > 0, let data else { return nil }
            output.writeBytes(UnsafeRawBufferPointer(start: data, count: n))
        }
        return nil
    }

    var wantsRead: Bool { nghttp2_session_want_read(pointer) != 0 }
    var wantsWrite: Bool { nghttp2_session_want_write(pointer) != 0 }

    // MARK: Submissions (valid inside callbacks too)

    /// Submits response HEADERS; with `body`, DATA follows from `readData`.
    @discardableResult
    func submitResponse(streamID: Int32, headers: HeaderFields, body: Bool) -> Bool {
        withNameValues(headers) { nv, count in
            if body {
                var provider = NGHTTP2Callbacks.dataProvider
                return nghttp2_submit_response(pointer, streamID, nv, count, &provider) == 0
            }
            return nghttp2_submit_response(pointer, streamID, nv, count, nil) == 0
        }
    }

    /// Submits constant response HEADERS (no copy of the header bytes).
    func submitResponse(streamID: Int32, fixed: StaticHeaderBlock, body: Bool) {
        if body {
            var provider = NGHTTP2Callbacks.dataProvider
            _ = nghttp2_submit_response(pointer, streamID, fixed.nameValues, fixed.count, &provider)
        } else {
            _ = nghttp2_submit_response(pointer, streamID, fixed.nameValues, fixed.count, nil)
        }
    }

    func submitTrailer(streamID: Int32, trailers: TrailerBlock) {
        switch trailers {
        case .fixed(let block): _ = nghttp2_submit_trailer(pointer, streamID, block.nameValues, block.count)
        case .fields(let fields): submitTrailer(streamID: streamID, trailers: fields)
        }
    }

    /// Submits a request (client); returns the new stream id or nil (e.g. GOAWAY received).
    func submitRequest(headers: HeaderFields, body: Bool) -> Int32? {
        let id = withNameValues(headers) { nv, count -> Int32 in
            var provider = NGHTTP2Callbacks.dataProvider
            return body ? nghttp2_submit_request(pointer, nil, nv, count, &provider, nil)
                        : nghttp2_submit_request(pointer, nil, nv, count, nil, nil)
        }
        return id > 0 ? id : nil
    }

    @discardableResult
    func submitTrailer(streamID: Int32, trailers: HeaderFields) -> Bool {
        withNameValues(trailers) { nv, count in nghttp2_submit_trailer(pointer, streamID, nv, count) == 0 }
    }

    func submitReset(streamID: Int32, errorCode: UInt32) {
        _ = nghttp2_submit_rst_stream(pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// First phase of graceful shutdown (RFC 9113 §6.8): GOAWAY with the largest stream id.
    func submitShutdownNotice() { _ = nghttp2_submit_shutdown_notice(pointer) }

    /// Final GOAWAY naming the last stream this side processed.
    func submitGoAway(errorCode: UInt32) {
        let last = nghttp2_session_get_last_proc_stream_id(pointer)
        _ = nghttp2_submit_goaway(pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, nil, 0)
    }

    /// Ends the session with GOAWAY `errorCode`; `receive` afterwards ignores input.
    func terminate(errorCode: UInt32) { _ = nghttp2_session_terminate_session(pointer, errorCode) }

    func submitPing() { _ = nghttp2_submit_ping(pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil) }

    /// Tells nghttp2 a deferred body has more bytes.
    func resumeData(streamID: Int32) { _ = nghttp2_session_resume_data(pointer, streamID) }

    /// Returns `bytes` of received DATA to the peer's flow-control windows (stream and
    /// connection); with automatic updates off this is the only way the windows reopen.
    func consume(streamID: Int32, bytes: Int) {
        guard bytes > 0 else { return }
        if nghttp2_session_consume(pointer, streamID, bytes) != 0 {
            _ = nghttp2_session_consume_connection(pointer, bytes)
        }
    }

    /// Returns `bytes` to the connection window only (for DATA of streams already closed).
    func consumeConnection(bytes: Int) {
        guard bytes > 0 else { return }
        _ = nghttp2_session_consume_connection(pointer, bytes)
    }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS.
    var remoteMaxConcurrentStreams: UInt32 {
        nghttp2_session_get_remote_settings(pointer, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
    }

    /// Builds `nghttp2_nv`s pointing into one temporary byte array; nghttp2 copies them
    /// during the call, so the pointers need only live for `body`.
    private func withNameValues<R>(_ headers: HeaderFields, _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var storage: [UInt8] = []
        storage.reserveCapacity(headers.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        var spans: [(Int, Int, Int, Int)] = []
        spans.reserveCapacity(headers.count)
        for field in headers.fields {
            let n = storage.count
            storage.append(contentsOf: field.name.utf8)
            let v = storage.count
            storage.append(contentsOf: field.value.utf8)
            spans.append((n, v - n, v, storage.count - v))
        }
        precondition(!storage.isEmpty, "a header block has at least one field")
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!  // non-empty, checked above
            let nvs = spans.map { s in
                nghttp2_nv(name: base + s.0, value: base + s.2, namelen: s.1, valuelen: s.3,
                           flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nvs.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }  // array of headers.count elements
        }
    }

    /// Runs `body` with the delegate of the session behind a callback's `user_data`, borrowing
    /// the session without retaining it (one retain/release pair less per callback).
    @inline(__always)
    static func withDelegate<R>(_ userData: UnsafeMutableRawPointer?, _ body: (any NGHTTP2SessionDelegate) -> R) -> R {
        withSession(userData) { body($1) }
    }

    /// Runs `body` with the session behind a callback's `user_data` and its delegate, both
    /// borrowed (no retain): the session as in `withDelegate`, a server delegate through
    /// `serverDelegate`.
    @inline(__always)
    static func withSession<R>(_ userData: UnsafeMutableRawPointer?, _ body: (NGHTTP2Session, any NGHTTP2SessionDelegate) -> R) -> R {
        // Guaranteed alive: callbacks only run inside this object's own nghttp2 calls (see type
        // docs), which hold a strong reference for their duration.
        Unmanaged<NGHTTP2Session>.fromOpaque(userData!)._withUnsafeGuaranteedRef { session in  // user_data is always set at creation
            if let server = session.serverDelegate {
                // Alive: the handler owns the session (see `delegate`).
                return server._withUnsafeGuaranteedRef { body(session, $0) }
            }
            return body(session, session.delegate)
        }
    }
}
