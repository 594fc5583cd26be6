import CNGHTTP2

/// A header block whose bytes live for the whole process, submitted to nghttp2 without
/// copying (`NGHTTP2_NV_FLAG_NO_COPY_NAME | NO_COPY_VALUE`): the constant gRPC response
/// headers and the OK trailer. Built once as a `static let`, never freed.
final class StaticHeaderBlock: @unchecked Sendable {
    // @unchecked Sendable: the pointed-to bytes are written once in init and only read after.
    let nameValues: UnsafeMutablePointer<nghttp2_nv>
    let count: Int

    init(_ fields: [(String, String)]) {
        count = fields.count
        nameValues = .allocate(capacity: fields.count)
        for (i, (name, value)) in fields.enumerated() {
            let nameBytes = Array(name.utf8)
            let valueBytes = Array(value.utf8)
            let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: nameBytes.count + valueBytes.count + 1)
            storage.initialize(from: nameBytes, count: nameBytes.count)
            (storage + nameBytes.count).initialize(from: valueBytes, count: valueBytes.count)
            nameValues[i] = nghttp2_nv(
                name: storage, value: storage + nameBytes.count, namelen: nameBytes.count, valuelen: valueBytes.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue))
        }
    }

    /// `:status: 200`, `content-type: application/grpc+trailmark`.
    static let grpcResponse = StaticHeaderBlock([(":status", "200"), ("content-type", "application/grpc+trailmark")])
    /// `grpc-status: 0`.
    static let grpcOK = StaticHeaderBlock([("grpc-status", "0")])
}

/// Trailers to send after a body: constant or built per call.
enum TrailerBlock {
    case fixed(StaticHeaderBlock)
    case fields(HeaderFields)
}
