#!/usr/bin/python3
"""Raw HTTP/2 probes against a Trailmark server speaking h2c (prior knowledge).

Usage: /usr/bin/python3 h2_probe.py PORT SCENARIO
Prints one line `RESULT <key>=<value> ...` and exits 0 when the server behaved as RFC 9113
and the gRPC rules require, 1 otherwise (with the reason on stderr). Uses python3-h2 for
well-formed traffic and hyperframe/hpack for frames h2 would refuse to send.
"""
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hpack
from hyperframe.frame import (DataFrame, Frame, GoAwayFrame, HeadersFrame, RstStreamFrame,
                              SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
GRPC_HEADERS = [(":method", "POST"), (":scheme", "http"), (":authority", "localhost"),
                ("content-type", "application/grpc+trailmark"), ("te", "trailers")]


def fail(reason):
    print(reason, file=sys.stderr)
    sys.exit(1)


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def framed(body):
    return b"\x00" + struct.pack(">I", len(body)) + body


def read_frames(sock, deadline=5.0):
    """Yields raw frames until the peer closes or `deadline` seconds pass."""
    buf = b""
    end = time.time() + deadline
    sock.settimeout(0.5)
    while time.time() < end:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return
        if not chunk:
            return
        buf += chunk
        while len(buf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(buf[:9]))
            if len(buf) < 9 + length:
                break
            frame.parse_body(memoryview(buf[9:9 + length]))
            buf = buf[9 + length:]
            yield frame


def raw_client(port):
    """A socket that has sent the preface and an empty SETTINGS."""
    sock = connect(port)
    sock.sendall(PREFACE + SettingsFrame(0).serialize())
    return sock


def headers_frame(encoder, stream_id, path, end_stream=False, extra=()):
    frame = HeadersFrame(stream_id)
    frame.data = encoder.encode([(":path", path)] + GRPC_HEADERS[:1] + GRPC_HEADERS[1:] + list(extra))
    frame.flags.add("END_HEADERS")
    if end_stream:
        frame.flags.add("END_STREAM")
    return frame.serialize()


def expect_goaway(sock, codes, what):
    for frame in read_frames(sock):
        if isinstance(frame, GoAwayFrame):
            if frame.error_code in codes:
                return frame.error_code
            fail(f"{what}: GOAWAY error code {frame.error_code}, expected one of {codes}")
    fail(f"{what}: connection ended without GOAWAY")


def bad_preface(port):
    sock = connect(port)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\x00" * 64)
    closed = False
    for _ in read_frames(sock, 5):
        pass
    try:
        closed = sock.recv(1) == b""
    except OSError:
        closed = True
    if not closed:
        fail("bad preface: connection still open")
    print("RESULT closed=1")


def data_on_closed_stream(port):
    sock = raw_client(port)
    enc = hpack.Encoder()
    sock.sendall(headers_frame(enc, 1, "/trailmark.v1.Echo/Unary"))
    data = DataFrame(1, framed(b"hi"))
    data.flags.add("END_STREAM")
    sock.sendall(data.serialize())
    got_trailers = False
    for frame in read_frames(sock, 5):
        if isinstance(frame, HeadersFrame) and "END_STREAM" in frame.flags:
            got_trailers = True
            break
    if not got_trailers:
        fail("closed stream: no response to the first call")
    again = DataFrame(1, b"late")
    sock.sendall(again.serialize())
    code = None
    for frame in read_frames(sock, 5):
        if isinstance(frame, GoAwayFrame):
            code = frame.error_code
            break
        if isinstance(frame, RstStreamFrame) and frame.stream_id == 1:
            code = frame.error_code
            break
    if code not in (5,):  # STREAM_CLOSED (RFC 9113 §5.1)
        fail(f"closed stream: expected STREAM_CLOSED, got {code}")
    print(f"RESULT error_code={code}")


def window_overflow(port):
    sock = raw_client(port)
    sock.sendall(WindowUpdateFrame(0, 2**31 - 1).serialize())
    code = expect_goaway(sock, (3,), "window overflow")  # FLOW_CONTROL_ERROR (RFC 9113 §6.9.1)
    print(f"RESULT goaway={code}")


def big_message(port, size=16 << 20):
    """Sends one `size`-byte message over many DATA frames, honouring flow control, and
    checks the echo comes back whole with grpc-status 0."""
    sock = connect(port)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    sock.sendall(conn.data_to_send())
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":path", "/trailmark.v1.Echo/Unary")] + GRPC_HEADERS)
    payload = framed(bytes(i % 251 for i in range(size)))
    sent = 0
    received = bytearray()
    status = None
    sock.settimeout(30)
    while status is None:
        while sent < len(payload):
            window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
            if window <= 0:
                break
            chunk = payload[sent:sent + window]
            conn.send_data(sid, chunk, end_stream=(sent + len(chunk) == len(payload)))
            sent += len(chunk)
        sock.sendall(conn.data_to_send())
        data = sock.recv(1 << 20)
        if not data:
            fail("big message: connection closed")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                received += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, sid)
            elif isinstance(event, h2.events.TrailersReceived):
                status = dict(event.headers).get("grpc-status")
            elif isinstance(event, h2.events.StreamReset):
                fail(f"big message: stream reset {event.error_code}")
        sock.sendall(conn.data_to_send())
    if status != "0" or bytes(received) != payload:
        fail(f"big message: status {status}, {len(received)} of {len(payload)} bytes echoed")
    print(f"RESULT bytes={len(received) - 5} status={status}")


def slow_reader(port, seconds=3.0):
    """Asks for a large server stream, then stops reading: the server must stop at the
    flow-control window instead of buffering. Prints how many bytes arrived."""
    sock = connect(port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":path", "/trailmark.v1.Echo/Flood")] + GRPC_HEADERS)
    conn.send_data(sid, framed(b"\xff"), end_stream=True)
    sock.sendall(conn.data_to_send())
    time.sleep(seconds)  # never read: the kernel buffers fill, then the server must stop
    print("RESULT stalled=1")
    sys.stdout.flush()
    sock.close()


def rapid_reset(port, count=10000):
    """CVE-2023-44487: opens and immediately resets `count` streams. The server may answer
    with GOAWAY ENHANCE_YOUR_CALM; it must not crash (checked by the caller afterwards)."""
    sock = raw_client(port)
    enc = hpack.Encoder()
    batch = bytearray()
    sid = 1
    sent = 0
    try:
        for _ in range(count):
            batch += headers_frame(enc, sid, "/trailmark.v1.Echo/Unary")
            batch += RstStreamFrame(sid, 8).serialize()  # CANCEL
            sid += 2
            sent += 1
            if len(batch) > 32 << 10:
                sock.sendall(batch)
                batch = bytearray()
        sock.sendall(batch)
    except (BrokenPipeError, ConnectionResetError):
        pass
    code = None
    for frame in read_frames(sock, 5):
        if isinstance(frame, GoAwayFrame):
            code = frame.error_code
            break
    print(f"RESULT sent={sent} goaway={code}")


def header_flood(port):
    """HPACK amplification: one small frame whose decoded header list (the same indexed
    field 200 times, ~47 KiB) is far above SETTINGS_MAX_HEADER_LIST_SIZE (16 KiB). The
    stream (or connection) must be refused, never served."""
    sock = raw_client(port)
    enc = hpack.Encoder()
    extra = [("x-flood", "v" * 200)] * 200
    sock.sendall(headers_frame(enc, 1, "/trailmark.v1.Echo/Unary", end_stream=True, extra=extra))
    for frame in read_frames(sock, 5):
        if isinstance(frame, RstStreamFrame) and frame.stream_id == 1:
            print(f"RESULT rst={frame.error_code}")
            return
        if isinstance(frame, GoAwayFrame):
            print(f"RESULT goaway={frame.error_code}")
            return
        if isinstance(frame, HeadersFrame) and frame.stream_id == 1:
            fail("header flood: the request was served")
    fail("header flood: no reset")


def ping_flood(port, count=5000):
    sock = raw_client(port)
    from hyperframe.frame import PingFrame
    try:
        sock.sendall(b"".join(PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize() for i in range(count)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    code = expect_goaway(sock, (11,), "ping flood")  # ENHANCE_YOUR_CALM
    print(f"RESULT goaway={code}")


def upload_no_read(port, total=256 << 20, stall_seconds=3.0):
    """Uploads up to `total` bytes as 64 KiB messages on the bidirectional echo and never
    consumes the echoes (no WINDOW_UPDATE for them): the server must stop reading instead of
    buffering. Stops after `stall_seconds` without progress; prints the bytes sent."""
    sock = connect(port)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":path", "/trailmark.v1.Echo/Bidi")] + GRPC_HEADERS)
    message = framed(b"\x5a" * (64 << 10))
    sent = 0
    pending = b""
    last_progress = time.time()
    sock.settimeout(0.2)
    while sent < total and time.time() - last_progress < stall_seconds:
        window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
        while window > 0 and sent < total:
            if not pending:
                pending = message
            chunk = pending[:window]
            pending = pending[len(chunk):]
            conn.send_data(sid, chunk)
            sent += len(chunk)
            last_progress = time.time()
            window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
        try:
            sock.sendall(conn.data_to_send())
            data = sock.recv(1 << 16)
            if not data:
                break
            conn.receive_data(data)  # window updates; echoed DATA is never acknowledged
        except socket.timeout:
            pass
        except h2.exceptions.FlowControlError:
            break
    print(f"RESULT sent={sent}")
    sys.stdout.flush()
    sock.close()


def idle_connections(port, count=1000, hold_seconds=6.0):
    """Opens `count` TLS connections with ALPN h2, sends the preface and SETTINGS, then idles
    for `hold_seconds` (the caller measures the server's memory meanwhile)."""
    import ssl
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    conns = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        tls = context.wrap_socket(raw, server_hostname="localhost")
        tls.sendall(PREFACE + SettingsFrame(0).serialize())
        conns.append(tls)
    print(f"RESULT open={len(conns)}")
    sys.stdout.flush()
    time.sleep(hold_seconds)
    for c in conns:
        c.close()


SCENARIOS = {
    "upload_no_read": upload_no_read,
    "idle_connections": idle_connections,
    "bad_preface": bad_preface,
    "data_on_closed_stream": data_on_closed_stream,
    "window_overflow": window_overflow,
    "big_message": big_message,
    "slow_reader": slow_reader,
    "rapid_reset": rapid_reset,
    "header_flood": header_flood,
    "ping_flood": ping_flood,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        fail(f"usage: h2_probe.py PORT {{{','.join(SCENARIOS)}}}")
    SCENARIOS[sys.argv[2]](int(sys.argv[1]))
