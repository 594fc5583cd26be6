/// gRPC's length-prefixed message framing (gRPC over HTTP/2, "Length-Prefixed-Message"):
///
///     Compressed-Flag (1 byte, 0 or 1) | Message-Length (4 bytes, big-endian) | Message
///
/// Trailmark never compresses, so a frame with flag 1 is rejected (`compressedMessage`,
/// which maps to UNIMPLEMENTED). See `Proto/WIRE.md` § Framing.
public enum MessageFraming {
    /// Size of the prefix in bytes.
    public static let prefixBytes = 5

    /// Appends the 5-byte prefix and `body` to `output`.
    public static func frame(_ body: [UInt8], into output: inout [UInt8]) {
        precondition(body.count <= Int(UInt32.max), "message body larger than 4 GiB")
        let length = UInt32(body.count)
        output.reserveCapacity(output.count + prefixBytes + body.count)
        output.append(0)
        output.append(UInt8(truncatingIfNeeded: length >> 24))
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
        output.append(contentsOf: body)
    }

    /// The framed bytes of `body`.
    public static func framed(_ body: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        frame(body, into: &output)
        return output
    }

    /// Reads a prefix from the first five bytes of `bytes`; `nil` when fewer are present.
    /// Throws when the flag is not 0 or the length exceeds `messageBytesMax`
    /// (checked before any body byte is buffered).
    public static func parsePrefix<C: Collection<UInt8>>(
        _ bytes: C, messageBytesMax: Int
    ) throws(WireError) -> Int? where C.Index == Int {
        guard bytes.count >= prefixBytes else { return nil }
        let start = bytes.startIndex
        switch bytes[start] {
        case 0: break
        case 1:
            throw WireError(.compressedMessage, field: "", "compressed messages are not supported (no grpc-encoding is accepted)")
        default:
            throw WireError(.invalidValue, field: "", "compressed-flag byte is \(bytes[start]), must be 0")
        }
        var length = 0
        for i in 1...4 { length = length << 8 | Int(bytes[start + i]) }
        guard length <= messageBytesMax else {
            throw WireError(.messageTooLarge, field: "", "message of \(length) bytes exceeds the maximum of \(messageBytesMax) bytes")
        }
        return length
    }
}

/// Splits a byte stream (the DATA frames of one HTTP/2 stream) into gRPC messages.
///
/// Feed bytes as they arrive with `append(_:)`, then call `next()` until it returns `nil`
/// ("need more data"). Memory is bounded by `messageBytesMax` plus one prefix: a declared
/// length above the maximum is rejected before its body is buffered.
public struct MessageDeframer: Sendable {
    public let messageBytesMax: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(messageBytesMax: Int = WireLimits.default.messageBytesMax) {
        self.messageBytesMax = messageBytesMax
    }

    /// Bytes received but not yet returned as messages.
    public var bufferedBytes: Int { buffer.count - readIndex }

    public mutating func append<S: Sequence<UInt8>>(_ bytes: S) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message body, or `nil` when more bytes are needed.
    public mutating func next() throws(WireError) -> [UInt8]? {
        let available = buffer[readIndex...]
        guard let length = try MessageFraming.parsePrefix(available, messageBytesMax: messageBytesMax) else {
            return nil
        }
        guard available.count >= MessageFraming.prefixBytes + length else { return nil }
        let bodyStart = readIndex + MessageFraming.prefixBytes
        let body = Array(buffer[bodyStart..<bodyStart + length])
        readIndex = bodyStart + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            readIndex = 0
        } else if readIndex > 1 << 16 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        return body
    }

    /// True when the stream may end here: no partial message is buffered.
    public var isAtMessageBoundary: Bool { bufferedBytes == 0 }
}
