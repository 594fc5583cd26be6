import NIOCore

/// Plain HTTP routes over HTTP/2 (JSON gateway, health, metrics).
extension HTTP2ServerHandler {
    func respondPayloadTooLarge(_ stream: ServerStream, limit: Int) {
        stream.body = []
        respondHTTP(stream, .error(413, "payload_too_large", "the request body exceeds \(limit) bytes"))
    }

    func startHTTP(_ stream: ServerStream, route: HTTPRoute) {
        guard let executor, let bound = loopBound else { return }
        let (path, query) = Self.splitQuery(stream.path)
        var headers = stream.headers
        if let authority = stream.authority, headers["host"] == nil { headers.addLowercased("host", authority) }
        let request = HTTPRequest(method: stream.method, path: path, query: query, headers: headers, body: stream.body, peer: peer)
        stream.body = []
        let id = stream.id
        let loop = eventLoop
        stream.task = shared.spawn(on: executor) {
            let response = await route.handler(request)
            HTTP2ServerHandler.onLoop(bound, loop) { handler in
                guard let stream = handler.streams[id] else { return }
                handler.respondHTTP(stream, response)
                handler.scheduleFlush()
            }
        }
    }

    /// Sends a complete plain response (HEADERS, then the body as DATA).
    func respondHTTP(_ stream: ServerStream, _ response: HTTPResponse) {
        guard !stream.finished, let session else { return }
        stream.finished = true
        if !stream.requestEnded { stream.kind = .answered }
        var headers = HeaderFields()
        headers.addLowercased(":status", String(response.status))
        for field in response.headers where !Self.hopByHop.contains(field.name) && field.name != "content-length" {
            headers.addLowercased(field.name, field.value)
        }
        headers.addLowercased("content-length", String(response.body.count))
        stream.responseStarted = true
        if response.body.isEmpty {
            session.submitResponse(streamID: stream.id, headers: headers, body: false)
        } else {
            stream.outbound = context!.channel.allocator.buffer(bytes: response.body)  // set in handlerAdded
            stream.outboundEnded = true
            session.submitResponse(streamID: stream.id, headers: headers, body: true)
        }
    }

    /// RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]
}
