/// A message of the Trailmark wire schema (`Proto/trailmark.tmidl`, encoded per
/// `Proto/WIRE.md`).
///
/// `init(decoding:)` reads fields until the reader's current message ends, skipping
/// unknown fields, and applies the reader's `WireLimits`; `encode(into:)` writes the
/// canonical encoding (fields in ascending number order, WIRE.md § 4).
public protocol WireMessage: Sendable {
    /// Decodes the fields of one message from `reader` (which ends where the message ends).
    init(decoding reader: inout WireReader) throws(WireError)
    /// Appends this message's fields (no length prefix) to `writer`.
    func encode(into writer: inout WireWriter)
}

extension WireMessage {
    /// Decodes a whole message body from borrowed bytes, e.g. a record payload in the
    /// memory-mapped log. Strings are copied out; nothing refers to `buffer` afterwards.
    /// The body may be at most `limits.messageBytesMax` bytes.
    public init(decoding buffer: UnsafeRawBufferPointer, limits: WireLimits = .default) throws(WireError) {
        try limits.checkMessageSize(buffer.count)
        var reader = WireReader(buffer, limits: limits)
        self = try Self(decoding: &reader)
        try reader.checkAtEnd()
    }

    /// Decodes a whole message body from `bytes`.
    public init(decoding bytes: [UInt8], limits: WireLimits = .default) throws(WireError) {
        let result: Result<Self, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try Self(decoding: raw, limits: limits)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Decodes exactly one gRPC length-prefixed message (`flag | length | body`, WIRE.md § 1).
    public init(framed bytes: [UInt8], limits: WireLimits = .default) throws(WireError) {
        guard let length = try MessageFraming.parsePrefix(bytes, messageBytesMax: limits.messageBytesMax) else {
            throw WireError(.truncated, field: "", "framed message shorter than its 5-byte prefix")
        }
        let total = MessageFraming.prefixBytes + length
        guard bytes.count >= total else {
            throw WireError(.truncated, field: "", "framed message declares \(length) bytes, \(bytes.count - MessageFraming.prefixBytes) present")
        }
        guard bytes.count == total else {
            throw WireError(.invalidValue, field: "", "\(bytes.count - total) bytes after the framed message")
        }
        let result: Result<Self, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) {
                return .success(try Self(decoding: UnsafeRawBufferPointer(rebasing: raw[MessageFraming.prefixBytes...]), limits: limits))
            } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// The canonical encoding of this message body.
    public func encoded(capacity: Int = 256) -> [UInt8] {
        var writer = WireWriter(capacity: capacity)
        encode(into: &writer)
        return writer.bytes
    }

    /// This message as one gRPC length-prefixed message (uncompressed, WIRE.md § 1).
    public func framed(capacity: Int = 256) -> [UInt8] {
        var writer = WireWriter(capacity: capacity + MessageFraming.prefixBytes)
        for _ in 0..<MessageFraming.prefixBytes { writer.appendByte(0) }
        encode(into: &writer)
        var bytes = writer.bytes
        let length = bytes.count - MessageFraming.prefixBytes
        precondition(length <= Int(UInt32.max), "message body larger than 4 GiB")
        for i in 0..<4 { bytes[1 + i] = UInt8(truncatingIfNeeded: UInt32(length) >> (24 - 8 * i)) }
        return bytes
    }
}

extension MessageDeframer {
    /// The next complete message of the stream decoded as `M`, or `nil` when more bytes
    /// are needed (`Proto/WIRE.md` § 1). A decoding error poisons this message only.
    public mutating func next<M: WireMessage>(_ type: M.Type, limits: WireLimits = .default) throws(WireError) -> M? {
        guard let body = try next() else { return nil }
        return try M(decoding: body, limits: limits)
    }
}
