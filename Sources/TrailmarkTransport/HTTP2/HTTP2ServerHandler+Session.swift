import CNGHTTP2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import TrailmarkWire

/// nghttp2's callbacks for the server: parse headers, route, feed request bytes, serve
/// response bytes. Nothing here calls `receive`/`send` or closes the channel.
extension HTTP2ServerHandler: NGHTTP2SessionDelegate {
    func session(beginHeaders streamID: Int32) -> NGHTTP2Session.CallbackResult {
        if stream(streamID) == nil {
            let created: ServerStream
            if let reused = spareStreams.popLast() {
                reused.reuse(id: streamID)
                created = reused
            } else {
                created = ServerStream(id: streamID)
            }
            streams.insert(created)
            lastStream = created
            session?.memoryPool.keepsFreedBlocks = true  // the connection is in use (see the pool)
        }
        return .ok
    }

    func session(header streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> NGHTTP2Session.CallbackResult {
        guard let stream = stream(streamID) else { return .ok }
        guard case .pending = stream.kind else { return .ok }  // request trailers: ignored
        // RFC 9113 §6.5.2 accounting: name + value + 32 per field.
        stream.headerListBytes += name.count + value.count + 32
        guard stream.headerListBytes <= headerListBytesMax else { return .resetStream }
        // Hot path: known names are compared as bytes; constant values reuse literals.
        if name.first == UInt8(ascii: ":") {
            if HeaderBytes.equal(name, ":path") {
                // A connection mostly repeats paths: reuse the previous one's String.
                stream.path = HeaderBytes.equal(value, string: recentPath) ? recentPath : String(decoding: value, as: UTF8.self)
            } else if HeaderBytes.equal(name, ":method") {
                stream.method = HeaderBytes.equal(value, "POST") ? "POST" : HeaderBytes.equal(value, "GET") ? "GET"
                    : String(decoding: value, as: UTF8.self)
            } else if HeaderBytes.equal(name, ":authority") {
                stream.authority = recentHeaders.strings(name: name, value: value).value
            }
            return .ok
        }
        // The list the previous request sent, field for field so far: share it (see
        // `RepeatedHeaderList`); at the first difference, build this request's own list.
        let index = stream.headerFieldCount
        stream.headerFieldCount += 1
        let repeated = stream.headersRepeat && repeatedHeaders.matches(index: index, name: name, value: value)
        if !repeated && stream.headersRepeat {
            stream.headersRepeat = false
            stream.headers = repeatedHeaders.list(count: index)
            stream.headers.reserveCapacity(index + 8)
        }
        if HeaderBytes.equal(name, "content-type") {
            let type = HeaderBytes.equal(value, "application/grpc+trailmark") ? "application/grpc+trailmark"
                : repeated ? repeatedHeaders.value(at: index) : String(decoding: value, as: UTF8.self)
            stream.contentType = type
            if !repeated { stream.headers.addLowercased("content-type", type) }
            return .ok
        }
        if HeaderBytes.equal(name, "te") {
            // nghttp2's HTTP messaging rules already reset a stream whose te is not "trailers".
            let trailers = HeaderBytes.equal(value, "trailers")
            stream.teTrailers = stream.teTrailers || trailers
            if !repeated { stream.headers.addLowercased("te", trailers ? "trailers" : String(decoding: value, as: UTF8.self)) }
            return .ok
        }
        if HeaderBytes.equal(name, "content-length") {
            stream.contentLength = HeaderBytes.decimal(value)
        } else if HeaderBytes.equal(name, "grpc-timeout") {
            stream.grpcTimeout = repeated ? repeatedHeaders.value(at: index) : String(decoding: value, as: UTF8.self)
        } else if HeaderBytes.equal(name, "grpc-encoding") {
            stream.grpcEncoding = repeated ? repeatedHeaders.value(at: index) : String(decoding: value, as: UTF8.self)
        }
        if !repeated {
            // Fields that repeat from request to request reuse the connection's Strings.
            let (nameString, valueString) = recentHeaders.strings(name: name, value: value)
            stream.headers.addLowercased(nameString, valueString)
        }
        return .ok
    }

    /// The request's header block is complete: its regular fields are the remembered list's
    /// first ones when every field matched it, else they were built and become that list.
    private func completeHeaderList(_ stream: ServerStream) {
        if stream.headersRepeat {
            stream.headers = repeatedHeaders.list(count: stream.headerFieldCount)
        } else {
            repeatedHeaders.remember(stream.headers)
        }
    }

    /// The stream with `id`, remembering the last one looked up (callbacks for one frame
    /// come in a row, so this saves most dictionary lookups).
    func stream(_ id: Int32) -> ServerStream? {
        if let last = lastStream, last.id == id { return last }
        let found = streams[id]
        lastStream = found
        return found
    }

    func session(headersComplete streamID: Int32, endStream: Bool) {
        guard let stream = stream(streamID) else { return }
        if case .pending = stream.kind {
            completeHeaderList(stream)
            route(stream)
        }
        if endStream { requestEnded(stream) }
    }

    func session(data streamID: Int32, bytes: UnsafeRawBufferPointer) -> NGHTTP2Session.CallbackResult {
        guard let session else { return .ok }
        guard let stream = stream(streamID) else {
            session.consumeConnection(bytes: bytes.count)
            return .ok
        }
        switch stream.kind {
        case .rpc(let handler):
            receiveRPCData(stream, handler: handler, bytes: bytes)
        case .http(let route):
            session.consume(streamID: streamID, bytes: bytes.count)
            if stream.body.count + bytes.count > route.bodyBytesMax {
                respondPayloadTooLarge(stream, limit: route.bodyBytesMax)
            } else {
                stream.body.append(contentsOf: bytes)
            }
        case .pending, .answered:
            session.consume(streamID: streamID, bytes: bytes.count)
        }
        return .ok
    }

    func session(dataEndStream streamID: Int32) {
        guard let stream = stream(streamID) else { return }
        requestEnded(stream)
    }

    func session(streamClosed streamID: Int32, errorCode: UInt32) {
        if lastStream?.id == streamID { lastStream = nil }
        guard var stream = streams.removeValue(forKey: streamID) else { return }
        if stream.owedWindowBytes > 0 { session?.consumeConnection(bytes: stream.owedWindowBytes) }
        if !stream.finished || stream.task != nil || stream.deadlineTimer != nil || stream.inbound != nil || !stream.drainWaiters.isEmpty {
            let reason = errorCode == NGHTTP2_NO_ERROR.rawValue
                ? RPCError(.cancelled, "the stream closed")
                : RPCError(.cancelled, "the peer reset the stream (error code \(errorCode))")
            stream.tearDown(reason: reason)
        }
        // Keep the object for the next stream when nothing else holds it (a handler task or
        // closure that still did would see a reused object: only ids are captured, checked here).
        if spareStreams.count < Self.spareStreamsMax && isKnownUniquelyReferenced(&stream) {
            stream.recycle()
            spareStreams.append(stream)
        }
    }

    func session(readData streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2Session.DataRead {
        guard let stream = stream(streamID) else { return .bytes(count: 0, endOfBody: true, trailers: nil) }
        var count = min(buffer.count, stream.outbound.readableBytes)
        if count > 0 {
            stream.outbound.withUnsafeReadableBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)  // both non-empty here
            }
            stream.outbound.moveReaderIndex(forwardBy: count)
            if stream.outbound.readableBytes == 0 { stream.outbound.clear() }
            wakeWritersIfDrained(stream)
        }
        if count < buffer.count, stream.outbound.readableBytes == 0, let message = stream.finalMessage {
            count += Self.copyFinalMessage(stream, message, into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
        }
        if stream.outbound.readableBytes == 0 && stream.finalMessage == nil && stream.outboundEnded {
            return .bytes(count: count, endOfBody: true, trailers: stream.trailers)
        }
        if count == 0 {
            stream.dataDeferred = true
            return .deferred
        }
        return .bytes(count: count, endOfBody: false, trailers: nil)
    }

    /// Copies the next bytes of `message` framed (flag byte, 4-byte big-endian length,
    /// body) into `buffer`; returns how many. Clears `finalMessage` once all are copied.
    private static func copyFinalMessage(_ stream: ServerStream, _ message: [UInt8], into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let total = MessageFraming.prefixBytes + message.count
        let start = stream.finalMessageSent
        let count = min(buffer.count, total - start)
        let length = UInt32(message.count)
        var written = 0
        while written < count && start + written < MessageFraming.prefixBytes {
            let offset = start + written  // 0: the compressed flag (0); 1...4: the length, big-endian
            buffer[written] = offset == 0 ? 0 : UInt8(truncatingIfNeeded: length >> (8 * UInt32(MessageFraming.prefixBytes - 1 - offset)))
            written += 1
        }
        if written < count {
            let from = start + written - MessageFraming.prefixBytes
            message.withUnsafeBytes { body in
                buffer.baseAddress!.advanced(by: written)  // count > written, so non-empty
                    .copyMemory(from: body.baseAddress!.advanced(by: from), byteCount: count - written)  // body non-empty: bytes remain
            }
        }
        stream.finalMessageSent = start + count
        if stream.finalMessageSent == total { stream.finalMessage = nil }
        return count
    }

    func session(goAway lastStreamID: Int32, errorCode: UInt32) {}

    func sessionControlFrameReceived() -> NGHTTP2Session.CallbackResult {
        guard budget.admit() else {
            shared.logger.warning("too many PING/SETTINGS frames", metadata: ["peer": "\(peer)"])
            session?.terminate(errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
            return .ok
        }
        return .ok
    }

    // MARK: Routing

    /// Decides what a stream is once its request headers are complete.
    private func route(_ stream: ServerStream) {
        let path = stream.path
        let isGRPC = stream.contentType.map(Self.isGRPCContentType) ?? false
        let handler: RPCHandler?
        if recentPathRouted && path == recentPath {  // same storage: compares without reading bytes
            handler = recentPathHandler
        } else {
            handler = shared.router.rpcHandler(for: path)
            (recentPath, recentPathHandler, recentPathRouted) = (path, handler, true)
        }
        if handler != nil || (stream.contentType?.hasPrefix("application/grpc") ?? false) {
            guard isGRPC else {
                respondHTTP(stream, .error(415, "unsupported_media_type", "RPC paths take content-type application/grpc+trailmark"))
                return
            }
            // gRPC over HTTP/2: te: trailers is part of every call's definition (it detects
            // proxies that would drop the status trailers); grpc servers answer its absence
            // with UNKNOWN before routing.
            guard stream.teTrailers else {
                respondRPCError(stream, RPCError(.unknown, "missing te: trailers header"))
                return
            }
            guard let handler else {
                respondRPCError(stream, RPCError(.unimplemented, "unknown method \(path)"))
                return
            }
            guard stream.method == "POST" else {
                respondHTTP(stream, .error(405, "method_not_allowed", "RPCs use POST"))
                return
            }
            if let encoding = stream.grpcEncoding, encoding != "identity" {
                respondRPCError(stream, RPCError(.unimplemented, "grpc-encoding \(encoding) is not supported",
                                                 trailers: ["grpc-accept-encoding": "identity"]))
                return
            }
            startRPCStream(stream, handler: handler)
            return
        }
        let (routePath, _) = Self.splitQuery(path)
        switch shared.router.httpRoute(method: stream.method, path: routePath) {
        case .route(let route):
            if let length = stream.contentLength, length > route.bodyBytesMax {
                respondPayloadTooLarge(stream, limit: route.bodyBytesMax)
            } else {
                stream.kind = .http(route)
            }
        case .notFound:
            respondHTTP(stream, .error(404, "not_found", "no route for \(stream.method) \(routePath)"))
        case .methodNotAllowed:
            respondHTTP(stream, .error(405, "method_not_allowed", "\(stream.method) is not allowed on \(routePath)"))
        }
    }

    private func requestEnded(_ stream: ServerStream) {
        guard !stream.requestEnded else { return }
        stream.requestEnded = true
        switch stream.kind {
        case .rpc(let handler): rpcRequestEnded(stream, handler: handler)
        case .http(let route): startHTTP(stream, route: route)
        case .pending, .answered: break
        }
    }

    /// `application/grpc+trailmark`, optionally with parameters.
    static func isGRPCContentType(_ value: String) -> Bool {
        value == "application/grpc+trailmark" || value.hasPrefix("application/grpc+trailmark;")
    }

    static func splitQuery(_ target: String) -> (path: String, query: String) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }
}

/// Byte comparisons of header names/values against ASCII literals (no String creation).
enum HeaderBytes {
    @inline(__always)
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        guard let base = bytes.baseAddress else { return bytes.isEmpty }
        return memcmp(base, literal.utf8Start, bytes.count) == 0
    }

    /// Compares with stored bytes (no String access).
    @inline(__always)
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, stored: [UInt8]) -> Bool {
        guard bytes.count == stored.count else { return false }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return stored.withUnsafeBufferPointer { memcmp(base, $0.baseAddress!, bytes.count) == 0 }  // same non-zero count
    }

    /// The non-negative decimal number `bytes` spells (digits only, at most 18 of them, so no
    /// overflow); nil otherwise. Same result as `Int(String)` for such values, without a String.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var result = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    /// Compares with a run-time String. (A separate label: with an unlabeled String overload,
    /// Swift picks it for literals too, and every literal comparison became a String
    /// round trip and an out-of-line `memcmp` — 3% of the server's time.)
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, string: String) -> Bool {
        guard bytes.count == string.utf8.count else { return false }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return string.utf8.withContiguousStorageIfAvailable { memcmp(base, $0.baseAddress!, bytes.count) == 0 } ?? false  // same non-zero count
    }
}
