import CNGHTTP2
import TrailmarkWire

/// nghttp2's callbacks for the client: response headers, messages, trailers, closure.
extension HTTP2ClientHandler: NGHTTP2SessionDelegate {
    func session(beginHeaders streamID: Int32) -> NGHTTP2Session.CallbackResult { .ok }

    func session(header streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> NGHTTP2Session.CallbackResult {
        guard let stream = streams[streamID] else { return .ok }
        let name = String(decoding: name, as: UTF8.self)
        let value = String(decoding: value, as: UTF8.self)
        switch name {
        case ":status": stream.httpStatus = Int(value)
        case "content-type": stream.contentType = value
        case "grpc-status":
            stream.grpcStatus = Int(value)
            if !stream.responseHeadersDone { stream.trailersOnly = true }
        case "grpc-message": stream.grpcMessage = PercentEncoding.decode(value)
        default:
            if name.hasPrefix(":") { break }
            if stream.responseHeadersDone { stream.trailers.addLowercased(name, value) } else { stream.headers.addLowercased(name, value) }
        }
        return .ok
    }

    func session(headersComplete streamID: Int32, endStream: Bool) {
        guard let stream = streams[streamID] else { return }
        stream.responseHeadersDone = true
    }

    func session(data streamID: Int32, bytes: UnsafeRawBufferPointer) -> NGHTTP2Session.CallbackResult {
        guard let stream = streams[streamID], stream.failure == nil else {
            consumeNow(streamID, bytes.count)
            return .ok
        }
        if stream.raw {
            consumeNow(streamID, bytes.count)
            if stream.rawBody.count + bytes.count > stream.deframer.messageBytesMax {
                reset(stream, failure: RPCError(.resourceExhausted, "response body exceeds \(stream.deframer.messageBytesMax) bytes"))
            } else {
                stream.rawBody.append(contentsOf: bytes)
            }
            return .ok
        }
        if stream.queuedInboundBytes > HTTP2ServerHandler.inboundQueueBytesMax {
            stream.owedWindowBytes += bytes.count
        } else {
            consumeNow(streamID, bytes.count)
        }
        stream.deframer.append(bytes)
        do {
            while let message = try stream.deframer.next() {
                let wire = message.count + MessageFraming.prefixBytes
                stream.queuedInboundBytes += wire
                stream.inbound.push(message, wireBytes: wire)
            }
        } catch {
            reset(stream, failure: RPCStatusTable.rpcError(for: error))
        }
        return .ok
    }

    private func consumeNow(_ streamID: Int32, _ count: Int) {
        sessionConsume(streamID, count)
    }

    func session(dataEndStream streamID: Int32) {}

    func session(streamClosed streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        if stream.owedWindowBytes > 0 { sessionConsumeConnection(stream.owedWindowBytes) }
        stream.owedWindowBytes = 0
        let closeError: RPCError? = switch errorCode {
        case NGHTTP2_NO_ERROR.rawValue: nil
        case NGHTTP2_REFUSED_STREAM.rawValue: RPCError(.unavailable, "the server refused the stream (retry is safe)")
        case NGHTTP2_CANCEL.rawValue: RPCError(.cancelled, "the stream was cancelled")
        default: RPCError(.internalError, "the stream was reset (HTTP/2 error code \(errorCode))")
        }
        stream.settle(closeError: closeError)
    }

    func session(readData streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2Session.DataRead {
        guard let stream = streams[streamID] else { return .bytes(count: 0, endOfBody: true, trailers: nil) }
        let count = min(buffer.count, stream.outbound.readableBytes)
        if count > 0 {
            stream.outbound.withUnsafeReadableBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }  // both non-empty
            stream.outbound.moveReaderIndex(forwardBy: count)
            if stream.outbound.readableBytes == 0 { stream.outbound.clear() }
            if !stream.drainWaiters.isEmpty && stream.outbound.readableBytes <= ClientConnection.outboundBytesMax / 2 {
                let waiters = stream.drainWaiters
                stream.drainWaiters.removeAll()
                for waiter in waiters { waiter.resume() }
            }
        }
        if stream.outbound.readableBytes == 0 && stream.outboundEnded { return .bytes(count: count, endOfBody: true, trailers: nil) }
        if count == 0 {
            stream.dataDeferred = true
            return .deferred
        }
        return .bytes(count: count, endOfBody: false, trailers: nil)
    }

    func session(goAway lastStreamID: Int32, errorCode: UInt32) { usable.clear() }

    func sessionControlFrameReceived() -> NGHTTP2Session.CallbackResult { .ok }
}
