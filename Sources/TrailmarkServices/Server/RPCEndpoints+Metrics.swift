import TrailmarkTransport
import TrailmarkWire

extension RPCEndpoints {
    /// Registers `handler` for `method`, counted in `trailmark_requests_total` with
    /// `method="rpc:<Service>/<Method>"` and `status` the gRPC status name its call ends
    /// with (`OK`, `INVALID_ARGUMENT`, …, as `RPCStatusTable` maps a thrown error), next to
    /// the JSON gateway's `http:<route>` series.
    func register(_ method: RPCMethod, _ handler: RPCHandler, in router: inout TransportRouter) {
        router.register(method.path, Self.counted(handler, method: "rpc:\(method.service)/\(method.method)", metrics: hub.metrics))
    }

    private static func counted(_ handler: RPCHandler, method name: String, metrics: ServiceMetrics) -> RPCHandler {
        @Sendable func ended(_ error: (any Error)?) {
            metrics.request(method: name, status: error.map { RPCStatusTable.rpcError(for: $0).code.description } ?? StatusCode.ok.description)
        }
        /// `body`'s result, counted as it ends.
        @Sendable func observed<R>(_ body: () async throws -> R) async throws -> R {
            do {
                let result = try await body()
                ended(nil)
                return result
            } catch {
                ended(error)
                throw error
            }
        }
        switch handler {
        case .unary(let body):
            return .unary { request, context in try await observed { try await body(request, context) } }
        case .synchronousUnary(let body):
            return .synchronousUnary { request, context in
                do {
                    let response = try body(request, context)
                    ended(nil)
                    return response
                } catch {
                    ended(error)
                    throw error
                }
            }
        case .clientStreaming(let body):
            return .clientStreaming { requests, context in try await observed { try await body(requests, context) } }
        case .serverStreaming(let body):
            return .serverStreaming { request, context, responses in try await observed { try await body(request, context, responses) } }
        case .bidirectional(let body):
            return .bidirectional { requests, context, responses in try await observed { try await body(requests, context, responses) } }
        }
    }
}
