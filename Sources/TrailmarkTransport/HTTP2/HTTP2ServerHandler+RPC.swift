import CNGHTTP2
import NIOCore
import TrailmarkWire

/// The gRPC side of the server handler: request framing, handler tasks, response
/// messages, status trailers and deadlines (gRPC over HTTP/2, "Requests"/"Responses").
extension HTTP2ServerHandler {
    /// Bytes of taken-but-unconsumed messages a streaming handler may have queued before
    /// request DATA stops being returned to flow control.
    static let inboundQueueBytesMax = 1 << 20

    func startRPCStream(_ stream: ServerStream, handler: RPCHandler) {
        stream.kind = .rpc(handler)
        stream.deframer = MessageDeframer(messageBytesMax: shared.limits.messageBytesMax)
        var deadline: ContinuousClock.Instant?
        if let timeout = stream.grpcTimeout {
            guard let duration = GRPCTimeout.parse(timeout) else {
                respondRPCError(stream, RPCError(.invalidArgument, "malformed grpc-timeout \(timeout)"))
                return
            }
            deadline = ContinuousClock.now + duration
            armDeadline(stream, after: duration)
        }
        stream.context = RPCRequestContext(path: stream.path, headers: stream.headers, peer: peer, deadline: deadline)
        if handler.streamsRequests {
            let id = stream.id
            let bound = loopBound!  // set in handlerAdded
            let loop = eventLoop
            stream.inbound = RPCInboundBuffer { bytes in
                HTTP2ServerHandler.onLoop(bound, loop) { $0.inboundTaken(streamID: id, wireBytes: bytes) }
            }
            startTask(stream, handler: handler)
        }
    }

    func receiveRPCData(_ stream: ServerStream, handler: RPCHandler, bytes: UnsafeRawBufferPointer) {
        guard let session, stream.deframer != nil else { return }
        if handler.streamsRequests && stream.queuedInboundBytes > Self.inboundQueueBytesMax {
            stream.owedWindowBytes += bytes.count
        } else {
            session.consume(streamID: stream.id, bytes: bytes.count)
        }
        // Fast path: a single-request call whose whole, valid message is in this chunk (any
        // other chunk, including a bad flag or length, goes to the deframer, which reports it).
        if stream.inbound == nil, stream.singleRequest == nil, stream.deframer?.bufferedBytes == 0,
           let length = Self.wholeMessageLength(bytes, messageBytesMax: shared.limits.messageBytesMax) {
            stream.singleRequest = Array(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - length)...]))
            return
        }
        guard var deframer = stream.deframer else { return }
        stream.deframer = nil  // unique while appending (no copy of its buffer)
        deframer.append(bytes)
        do {
            while let message = try deframer.next() {
                if let inbound = stream.inbound {
                    stream.queuedInboundBytes += message.count + MessageFraming.prefixBytes
                    inbound.push(message, wireBytes: message.count + MessageFraming.prefixBytes)
                } else if stream.singleRequest == nil {
                    stream.singleRequest = message
                } else {
                    failRPC(stream, RPCError(.unimplemented, "more than one request message for a single-request method"))
                    return
                }
            }
            stream.deframer = deframer
        } catch {
            failRPC(stream, RPCStatusTable.rpcError(for: error))
        }
    }

    /// The body length when `bytes` is exactly one uncompressed message (flag 0, length at most
    /// `messageBytesMax`, nothing after it); nil otherwise. Reads the 5-byte prefix directly:
    /// `MessageFraming.parsePrefix` is generic across the module boundary, and its
    /// unspecialised element reads cost about four heap allocations per call.
    static func wholeMessageLength(_ bytes: UnsafeRawBufferPointer, messageBytesMax: Int) -> Int? {
        guard bytes.count >= MessageFraming.prefixBytes, bytes[0] == 0 else { return nil }
        let length = Int(bytes[1]) << 24 | Int(bytes[2]) << 16 | Int(bytes[3]) << 8 | Int(bytes[4])
        guard length <= messageBytesMax, bytes.count == MessageFraming.prefixBytes + length else { return nil }
        return length
    }

    /// A streaming handler took a message: pay back owed window once the queue is short.
    func inboundTaken(streamID: Int32, wireBytes: Int) {
        guard let stream = streams[streamID] else { return }
        stream.queuedInboundBytes -= wireBytes
        if stream.owedWindowBytes > 0 && stream.queuedInboundBytes <= Self.inboundQueueBytesMax {
            session?.consume(streamID: streamID, bytes: stream.owedWindowBytes)
            stream.owedWindowBytes = 0
            scheduleFlush()
        }
    }

    func rpcRequestEnded(_ stream: ServerStream, handler: RPCHandler) {
        guard let deframer = stream.deframer else { return }
        guard deframer.isAtMessageBoundary else {
            failRPC(stream, RPCError(.internalError, "the request stream ended inside a message"))
            return
        }
        if let inbound = stream.inbound {
            inbound.finish()
        } else if stream.singleRequest == nil {
            failRPC(stream, RPCError(.unimplemented, "no request message for a single-request method"))
        } else {
            startTask(stream, handler: handler)
        }
    }

    /// Ends the call with `error` and stops its handler (request side poisoned).
    func failRPC(_ stream: ServerStream, _ error: RPCError) {
        stream.task?.cancel()
        stream.inbound?.finish(error)
        respondRPCError(stream, error)
    }

    private func startTask(_ stream: ServerStream, handler: RPCHandler) {
        // Moved out (not copied): nothing reads the stream's context after this point.
        guard let bound = loopBound, let context = stream.context.take() else { return }
        let id = stream.id
        if case .synchronousUnary(let function) = handler {
            // Inline on the loop: the outcome goes straight to the stream (no task, no hop).
            let request = stream.singleRequest.take() ?? []
            let result: Result<[UInt8]?, RPCError>
            do { result = .success(try function(request, context)) } catch { result = .failure(RPCStatusTable.rpcError(for: error)) }
            completeRPC(streamID: id, result)
            return
        }
        let loop = eventLoop
        let complete = RPCCompletion(bound: bound, loop: loop, streamID: id)
        switch handler {
        case .synchronousUnary:
            break  // answered above
        case .unary(let function):
            let request = stream.singleRequest ?? []
            stream.singleRequest = nil
            stream.task = shared.spawn {
                do { complete(.success(try await function(request, context))) } catch { complete(.failure(RPCStatusTable.rpcError(for: error))) }
            }
        case .clientStreaming(let function):
            let requests = RPCMessageStream(buffer: stream.inbound!)  // created with the stream for streaming kinds
            stream.task = shared.spawn {
                do { complete(.success(try await function(requests, context))) } catch { complete(.failure(RPCStatusTable.rpcError(for: error))) }
            }
        case .serverStreaming(let function):
            let request = stream.singleRequest ?? []
            stream.singleRequest = nil
            let writer = makeWriter(streamID: id)
            stream.task = shared.spawn {
                do { try await function(request, context, writer); complete(.success(nil)) } catch { complete(.failure(RPCStatusTable.rpcError(for: error))) }
            }
        case .bidirectional(let function):
            let requests = RPCMessageStream(buffer: stream.inbound!)  // created with the stream for streaming kinds
            let writer = makeWriter(streamID: id)
            stream.task = shared.spawn {
                do { try await function(requests, context, writer); complete(.success(nil)) } catch { complete(.failure(RPCStatusTable.rpcError(for: error))) }
            }
        }
    }

    private func makeWriter(streamID: Int32) -> RPCMessageWriter {
        let bound = loopBound!  // set in handlerAdded
        let loop = eventLoop
        return RPCMessageWriter { message in
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                HTTP2ServerHandler.onLoop(bound, loop) { $0.writeFromHandler(streamID: streamID, message, continuation) }
            }
        }
    }

    private func writeFromHandler(streamID: Int32, _ message: [UInt8], _ continuation: CheckedContinuation<Void, any Error>) {
        guard let stream = streams[streamID], !stream.finished else {
            continuation.resume(throwing: RPCError(.cancelled, "the stream is closed"))
            return
        }
        enqueue(stream, message: message)
        scheduleFlush()
        if stream.outbound.readableBytes > shared.limits.streamOutboundBytesMax {
            stream.drainWaiters.append(continuation)
        } else {
            continuation.resume()
        }
    }

    func wakeWritersIfDrained(_ stream: ServerStream) {
        guard !stream.drainWaiters.isEmpty, stream.outbound.readableBytes <= shared.limits.streamOutboundBytesMax / 2 else { return }
        let waiters = stream.drainWaiters
        stream.drainWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// The handler finished: its last message (unary / client-streaming) and OK, or an error.
    func completeRPC(streamID: Int32, _ result: Result<[UInt8]?, RPCError>) {
        guard let stream = stream(streamID), !stream.finished else { return }
        switch result {
        case .success(let message):
            if let message, !stream.responseStarted {
                stream.responseStarted = true
                stream.finalMessage = message
                session?.submitResponse(streamID: stream.id, fixed: .grpcResponse, body: true)
            } else if let message {
                enqueue(stream, message: message)
            }
            finishRPC(stream, RPCError(.ok, ""))
        case .failure(let error):
            finishRPC(stream, error)
        }
        scheduleFlush()
    }

    private func enqueue(_ stream: ServerStream, message: [UInt8]) {
        if !stream.responseStarted {
            stream.responseStarted = true
            stream.outbound = context!.channel.allocator.buffer(capacity: message.count + MessageFraming.prefixBytes)  // set in handlerAdded
            session?.submitResponse(streamID: stream.id, fixed: .grpcResponse, body: true)
        }
        let length = UInt32(message.count)
        stream.outbound.writeInteger(UInt8(0))
        stream.outbound.writeInteger(length)
        stream.outbound.writeBytes(message)
        resume(stream)
    }

    private func resume(_ stream: ServerStream) {
        if stream.dataDeferred {
            stream.dataDeferred = false
            session?.resumeData(streamID: stream.id)
        }
    }

    /// Ends the response with `status`: trailers after the body, or trailers-only when no
    /// response HEADERS were sent yet.
    private func finishRPC(_ stream: ServerStream, _ status: RPCError) {
        stream.finished = true
        if let ended = shared.router.rpcEnded {
            ended(shared.router.rpcHandlers[stream.path] == nil ? nil : stream.path, status.code)
        }
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        if status.code == .ok && status.message.isEmpty && status.trailers.isEmpty && stream.responseStarted {
            stream.trailers = .fixed(.grpcOK)
            stream.outboundEnded = true
            resume(stream)
            if !stream.requestEnded { stream.kind = .answered }
            return
        }
        var trailers = HeaderFields()
        trailers.addLowercased("grpc-status", String(status.code.rawValue))
        if !status.message.isEmpty { trailers.addLowercased("grpc-message", PercentEncoding.encode(status.message)) }
        for field in status.trailers where !field.name.hasPrefix("grpc-status") && !field.name.hasPrefix("grpc-message") && !field.name.hasPrefix(":") {
            trailers.addLowercased(field.name, field.value)
        }
        if stream.responseStarted {
            stream.trailers = .fields(trailers)
            stream.outboundEnded = true
            resume(stream)
        } else {
            stream.responseStarted = true
            var headers = Self.responseHeaders
            for field in trailers { headers.addLowercased(field.name, field.value) }
            session?.submitResponse(streamID: stream.id, headers: headers, body: false)
        }
        if !stream.requestEnded { stream.kind = .answered }
    }

    /// A trailers-only error response before any handler ran.
    func respondRPCError(_ stream: ServerStream, _ error: RPCError) {
        stream.kind = .answered
        guard !stream.finished else { return }
        finishRPC(stream, error)
    }

    private func armDeadline(_ stream: ServerStream, after duration: Duration) {
        guard let bound = loopBound else { return }
        let id = stream.id
        stream.deadlineTimer = eventLoop.scheduleTask(in: TimeAmount(duration)) {
            let handler = bound.value
            guard let stream = handler.streams[id], !stream.finished else { return }
            stream.task?.cancel()
            stream.inbound?.finish(RPCError(.deadlineExceeded, "deadline exceeded"))
            handler.finishRPC(stream, RPCError(.deadlineExceeded, "the call exceeded its grpc-timeout"))
            let waiters = stream.drainWaiters
            stream.drainWaiters.removeAll()
            for waiter in waiters { waiter.resume(throwing: RPCError(.deadlineExceeded, "deadline exceeded")) }
            handler.pump()
        }
    }

    static let responseHeaders: HeaderFields = [":status": "200", "content-type": "application/grpc+trailmark"]
}

/// Delivers a handler's outcome to its stream on the connection's loop: inline when the
/// handler finished on the loop thread (no closure allocated), else by `execute`.
struct RPCCompletion: Sendable {
    let bound: NIOLoopBound<HTTP2ServerHandler>
    let loop: any EventLoop
    let streamID: Int32

    func callAsFunction(_ result: Result<[UInt8]?, RPCError>) {
        if loop.inEventLoop {
            bound.value.completeRPC(streamID: streamID, result)
        } else {
            let bound = self.bound, id = streamID
            loop.execute { bound.value.completeRPC(streamID: id, result) }
        }
    }
}
