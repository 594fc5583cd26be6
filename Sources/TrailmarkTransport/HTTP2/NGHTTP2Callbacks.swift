import CNGHTTP2

/// The C callbacks installed on every `NGHTTP2Session`: each recovers the session from
/// `user_data` (`NGHTTP2Session.withSession` / `withDelegate`) and forwards to its delegate. They capture nothing,
/// so they convert to C function pointers.
enum NGHTTP2Callbacks {
    private static let ok: Int32 = 0
    private static let temporalFailure = NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
    private static let fatalFailure = NGHTTP2_ERR_CALLBACK_FAILURE.rawValue

    fileprivate static func code(_ result: NGHTTP2Session.CallbackResult) -> Int32 {
        switch result {
        case .ok: ok
        case .resetStream: temporalFailure
        case .fatal: fatalFailure
        }
    }

    static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
            return NGHTTP2Session.withDelegate(userData) { NGHTTP2Callbacks.code($0.session(beginHeaders: frame.pointee.hd.stream_id)) }
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name else { return 0 }
            return NGHTTP2Session.withDelegate(userData) {
                NGHTTP2Callbacks.code($0.session(header: frame.pointee.hd.stream_id, name: UnsafeBufferPointer(start: name, count: nameLength),
                                                 value: UnsafeBufferPointer(start: value, count: valueLength)))
            }
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let hd = frame.pointee.hd
            let endStream = hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            return NGHTTP2Session.withDelegate(userData) { delegate -> Int32 in
                switch UInt32(hd.type) {
                case NGHTTP2_HEADERS.rawValue:
                    delegate.session(headersComplete: hd.stream_id, endStream: endStream)
                case NGHTTP2_DATA.rawValue:
                    if endStream { delegate.session(dataEndStream: hd.stream_id) }
                case NGHTTP2_GOAWAY.rawValue:
                    delegate.session(goAway: frame.pointee.goaway.last_stream_id, errorCode: frame.pointee.goaway.error_code)
                case NGHTTP2_PING.rawValue, NGHTTP2_SETTINGS.rawValue:
                    if hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                        return NGHTTP2Callbacks.code(delegate.sessionControlFrameReceived())
                    }
                default:
                    break
                }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            return NGHTTP2Session.withDelegate(userData) {
                NGHTTP2Callbacks.code($0.session(data: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length)))
            }
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            NGHTTP2Session.withDelegate(userData) { $0.session(streamClosed: streamID, errorCode: errorCode) }
            return 0
        }
    }

    /// The body source for every submitted response/request: asks the delegate.
    /// `NGHTTP2_DATA_FLAG_NO_END_STREAM` plus `nghttp2_submit_trailer` from inside this
    /// callback is nghttp2's documented way to send trailers after the last DATA frame.
    static let dataProvider = nghttp2_data_provider(
        source: nghttp2_data_source(ptr: nil),
        read_callback: { session, streamID, buffer, length, flags, _, userData in
            guard let buffer, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            _ = session
            return NGHTTP2Session.withSession(userData) { owner, delegate -> Int in
                switch delegate.session(readData: streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length)) {
                case .deferred:
                    return Int(NGHTTP2_ERR_DEFERRED.rawValue)
                case .bytes(let count, let endOfBody, let trailers):
                    if endOfBody {
                        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                        if let trailers {
                            flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                            owner.submitTrailer(streamID: streamID, trailers: trailers)
                        }
                    }
                    return count
                }
            }
        })
}
