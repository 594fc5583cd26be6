import NIOCore
import TrailmarkWire

/// One multiplexed HTTP/2 connection of a `TransportClient`; Sendable, hops to its loop.
final class ClientConnection: Sendable {
    static let outboundBytesMax = 256 << 10

    let channel: any Channel
    let handler: NIOLoopBound<HTTP2ClientHandler>
    let usable: ClientConnectionFlag
    let authority: String
    let scheme: String
    let messageBytesMax: Int

    init(channel: any Channel, handler: NIOLoopBound<HTTP2ClientHandler>, usable: ClientConnectionFlag,
         authority: String, scheme: String, messageBytesMax: Int) {
        self.channel = channel
        self.handler = handler
        self.usable = usable
        self.authority = authority
        self.scheme = scheme
        self.messageBytesMax = messageBytesMax
    }

    var isUsable: Bool { usable.isSet && channel.isActive }

    /// Sends a plain HTTP request and collects the whole response.
    func request(method: String, path: String, headers: HeaderFields, body: [UInt8], timeout: Duration?) async throws -> HTTPResponse {
        var all = HeaderFields()
        all.addLowercased(":method", method)
        all.addLowercased(":scheme", scheme)
        all.addLowercased(":authority", authority)
        all.addLowercased(":path", path)
        for field in headers where !field.name.hasPrefix(":") { all.addLowercased(field.name, field.value) }
        let requestHeaders = all
        let loop = channel.eventLoop
        let handler = self.handler
        let maxBytes = messageBytesMax
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
            loop.execute {
                let stream = ClientStream(messageBytesMax: maxBytes, inbound: RPCInboundBuffer { _ in })
                stream.raw = true
                stream.httpStatusWaiters.append(continuation)
                guard handler.value.open(stream, headers: requestHeaders) else {
                    stream.httpStatusWaiters.removeAll()
                    continuation.resume(throwing: RPCError(.unavailable, "the connection does not accept new streams"))
                    return
                }
                if !body.isEmpty { stream.outbound.writeBytes(body) }
                handler.value.endRequest(stream)
                if let timeout {
                    let streamBound = NIOLoopBound(stream, eventLoop: loop)
                    stream.deadlineTimer = loop.scheduleTask(in: TimeAmount(timeout)) {
                        handler.value.reset(streamBound.value, failure: RPCError(.deadlineExceeded, "the request exceeded its deadline of \(timeout)"))
                    }
                }
            }
        }
    }

    /// Opens a call: sends request HEADERS (with `grpc-timeout` when `timeout` is set).
    func open(path: String, metadata: HeaderFields, timeout: Duration?) async throws -> ClientCall {
        var headers = HeaderFields()
        headers.addLowercased(":method", "POST")
        headers.addLowercased(":scheme", scheme)
        headers.addLowercased(":authority", authority)
        headers.addLowercased(":path", path)
        headers.addLowercased("content-type", "application/grpc+trailmark")
        headers.addLowercased("te", "trailers")
        if let timeout { headers.addLowercased("grpc-timeout", GRPCTimeout.encode(timeout)) }
        for field in metadata where !field.name.hasPrefix(":") { headers.addLowercased(field.name, field.value) }
        let loop = channel.eventLoop
        let handler = self.handler
        let requestHeaders = headers
        let maxBytes = messageBytesMax
        return try await loop.submit { () throws -> ClientCall in
            let ref = ClientStreamRef()
            let refBound = NIOLoopBound(ref, eventLoop: loop)
            let inbound = RPCInboundBuffer { bytes in
                loop.execute {
                    guard let stream = refBound.value.stream else { return }
                    handler.value.inboundTaken(stream, wireBytes: bytes)
                }
            }
            let stream = ClientStream(messageBytesMax: maxBytes, inbound: inbound)
            ref.stream = stream
            guard handler.value.open(stream, headers: requestHeaders) else {
                throw RPCError(.unavailable, "the connection does not accept new streams")
            }
            if let timeout {
                let streamBound = NIOLoopBound(stream, eventLoop: loop)
                stream.deadlineTimer = loop.scheduleTask(in: TimeAmount(timeout)) {
                    handler.value.reset(streamBound.value, failure: RPCError(.deadlineExceeded, "the call exceeded its deadline of \(timeout)"))
                }
            }
            return ClientCall(stream: NIOLoopBound(stream, eventLoop: loop), handler: handler, inbound: inbound)
        }.get()
    }
}

/// A weak link from a flow-control callback to its stream (which may be gone).
final class ClientStreamRef {
    weak var stream: ClientStream?
}

/// An open call: send request messages, end them, read response messages, await status.
/// Sendable; every operation hops to the connection's event loop.
public struct ClientCall: Sendable {
    let stream: NIOLoopBound<ClientStream>
    let handler: NIOLoopBound<HTTP2ClientHandler>
    let inbound: RPCInboundBuffer

    /// The response messages; throws the call's `RPCError` after them when not OK.
    public var responses: RPCMessageStream { RPCMessageStream(buffer: inbound) }

    /// Sends one request message; suspends while too much is queued.
    public func send(_ message: [UInt8]) async throws {
        let stream = self.stream
        let handler = self.handler
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            stream.eventLoop.execute {
                let s = stream.value
                if let status = s.finalStatus {
                    continuation.resume(throwing: status.error ?? RPCError(.cancelled, "the call already ended"))
                    return
                }
                handler.value.enqueue(s, message: message)
                if s.outbound.readableBytes > ClientConnection.outboundBytesMax {
                    s.drainWaiters.append(continuation)
                } else {
                    continuation.resume()
                }
            }
        }
    }

    /// Ends the request stream (END_STREAM after the queued messages).
    public func finish() {
        let stream = self.stream
        let handler = self.handler
        stream.eventLoop.execute { handler.value.endRequest(stream.value) }
    }

    /// Cancels the call (RST_STREAM CANCEL); its status becomes CANCELLED.
    public func cancel() {
        let stream = self.stream
        let handler = self.handler
        stream.eventLoop.execute { handler.value.reset(stream.value, failure: RPCError(.cancelled, "cancelled by the caller")) }
    }

    /// The final status, once the server ended the call (or it failed).
    public func status() async -> RPCStatus {
        let stream = self.stream
        return await withCheckedContinuation { (continuation: CheckedContinuation<RPCStatus, Never>) in
            stream.eventLoop.execute {
                let s = stream.value
                if let status = s.finalStatus { continuation.resume(returning: status) } else { s.statusWaiters.append(continuation) }
            }
        }
    }
}
