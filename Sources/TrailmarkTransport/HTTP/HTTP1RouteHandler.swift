import NIOCore
import NIOHTTP1

/// Plain HTTP routes over HTTP/1.1 (NIO's codec; the JSON gateway, health and metrics —
/// RPCs need HTTP/2). Bodies are limited while they stream in: a declared or running size
/// above the route's `bodyBytesMax` answers 413 and closes the connection at once.
///
/// Threading: on its channel's event loop; the route handler runs as a task and hops back.
final class HTTP1RouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case collecting(HTTPRoute, HTTPRequestHead, [UInt8])
        /// A response was decided before the body ended; the rest is ignored.
        case discarding
        case responding
    }

    private let shared: ServerShared
    private var state = State.idle
    private var peer = "unknown"
    private var draining = false
    private var keepAlive = true
    private var executor: EventLoopTaskExecutor?

    init(shared: ServerShared) { self.shared = shared }

    func handlerAdded(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.peerDescription ?? "unknown"
        executor = EventLoopTaskExecutor(context.eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive && !draining
            receive(head: head, context: context)
        case .body(let chunk):
            guard case .collecting(let route, let head, var body) = state else { return }
            if body.count + chunk.readableBytes > route.bodyBytesMax {
                state = .discarding
                respond(context: context, .error(413, "payload_too_large", "the request body exceeds \(route.bodyBytesMax) bytes"), close: true)
                return
            }
            state = .idle  // release the array's reference before appending (no copy)
            body.append(contentsOf: chunk.readableBytesView)
            state = .collecting(route, head, body)
        case .end:
            switch state {
            case .collecting(let route, let head, let body):
                state = .responding
                run(route: route, head: head, body: body, context: context)
            case .discarding:
                state = .idle
            case .idle, .responding:
                break
            }
        }
    }

    private func receive(head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, _) = HTTP2ServerHandler.splitQuery(head.uri)
        if shared.router.rpcHandler(for: path) != nil {
            state = .discarding
            respond(context: context, .error(505, "http_version_not_supported", "RPCs need HTTP/2"), close: true)
            return
        }
        switch shared.router.httpRoute(method: head.method.rawValue, path: path) {
        case .route(let route):
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > route.bodyBytesMax {
                state = .discarding
                respond(context: context, .error(413, "payload_too_large", "the request body exceeds \(route.bodyBytesMax) bytes"), close: true)
                return
            }
            state = .collecting(route, head, [])
        case .notFound:
            state = .discarding
            respond(context: context, .error(404, "not_found", "no route for \(head.method.rawValue) \(path)"), close: false)
        case .methodNotAllowed:
            state = .discarding
            respond(context: context, .error(405, "method_not_allowed", "\(head.method.rawValue) is not allowed on \(path)"), close: false)
        }
    }

    private func run(route: HTTPRoute, head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        guard let executor else { return }
        let (path, query) = HTTP2ServerHandler.splitQuery(head.uri)
        var headers = HeaderFields()
        for (name, value) in head.headers { headers.add(name, value) }
        let request = HTTPRequest(method: head.method.rawValue, path: path, query: query, headers: headers, body: body, peer: peer)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        _ = shared.spawn(on: executor) {
            let response = await route.handler(request)
            loop.execute {
                let (handler, context) = bound.value
                handler.state = .idle
                handler.respond(context: context, response, close: !handler.keepAlive)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, _ response: HTTPResponse, close: Bool) {
        var headers = HTTPHeaders()
        for field in response.headers where field.name != "content-length" && field.name != "connection" {
            headers.add(name: field.name, value: field.value)
        }
        headers.add(name: "content-length", value: String(response.body.count))
        let shouldClose = close || !keepAlive
        if shouldClose { headers.add(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if shouldClose {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionDrainEvent {
            draining = true
            keepAlive = false
            if case .idle = state { context.close(promise: nil) }
        } else if event is IdleStateHandler.IdleStateEvent {
            if case .idle = state { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.logger.warning("HTTP/1.1 connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
        if case .idle = state {
            context.close(promise: nil)
        } else {
            respond(context: context, .error(400, "bad_request", "malformed HTTP/1.1 request"), close: true)
        }
    }
}
