import GRPCCore
import GRPCNIOTransportHTTP2

// Usage: GRPCSwiftEcho PORT CERT_CHAIN_PEM KEY_PEM
// Serves /trailmark.v1.Echo/Unary (raw bytes echoed back) over TLS with ALPN h2.

/// Passes message bytes through unchanged (the benchmark compares transports, not codecs).
struct RawCoder: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        bytes.withUnsafeBytes { Array($0) }
    }
}

struct EchoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "trailmark.v1.Echo", method: "Unary"),
            deserializer: RawCoder(), serializer: RawCoder()
        ) { request, _ in
            StreamingServerResponse { writer in
                for try await message in request.messages { try await writer.write(message) }
                return [:]
            }
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[1]) else {
    print("usage: GRPCSwiftEcho PORT CERT_CHAIN_PEM KEY_PEM")
    exit(2)
}
let transport = HTTP2ServerTransport.Posix(
    address: .ipv4(host: "127.0.0.1", port: port),
    transportSecurity: .tls(certificateChain: [.file(path: arguments[2], format: .pem)],
                            privateKey: .file(path: arguments[3], format: .pem)))
let server = GRPCServer(transport: transport, services: [EchoService()])
try await server.serve()
