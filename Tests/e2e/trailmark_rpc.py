"""A small gRPC-over-HTTP/2 client for the Trailmark binary RPC (Proto/WIRE.md § 1), on the
`h2` state machine and plain sockets (+ `ssl` with ALPN h2), with the pure-Python codec of
the `trailmark_codec` package (re-exported here). Standard library + h2 only.

    ch = Channel(port, key="sk_live_...")
    ack = ch.unary("Ingest/Track", {"events": [...]})          # -> BatchAck dict
    call = ch.open("Ingest/TrackStream"); call.send(batch); call.recv()  # one ack per batch
    pages = ch.server_stream("Query/EventsStream", {"from": 0, "to": 2**62})

A non-OK status raises `RpcError(code, message)`; `Call` exposes the raw HTTP/2 view
(status, headers, trailers) for protocol tests.
"""
import socket
import ssl
import struct
import urllib.parse

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from trailmark_codec import *  # noqa: F401,F403  (the codec is part of this module's API)
from trailmark_codec import decode, encode

CONTENT_TYPE = "application/grpc+trailmark"
MAX_MESSAGE = 4 * 1024 * 1024  # default maximum message size, bytes (WIRE.md § 7)

# method -> (request type, response type, client streams, server streams)
METHODS = {
    "Ingest/Track": ("EventBatch", "BatchAck", False, False),
    "Ingest/TrackStream": ("EventBatch", "BatchAck", True, True),
    "Identity/Identify": ("IdentifyBatch", "IdentifyAck", False, False),
    "Identity/Forget": ("ForgetRequest", "ForgetResponse", False, False),
    "Query/Events": ("EventsQuery", "EventsPage", False, False),
    "Query/EventsStream": ("EventsQuery", "EventsPage", False, True),
    "Query/Stats": ("StatsQuery", "StatsResult", False, False),
    "Query/Sources": ("SourcesQuery", "SourcesResult", False, False),
    "Query/User": ("UserQuery", "UserResult", False, False),
    "Query/Funnel": ("FunnelQuery", "FunnelResult", False, False),
    "Health/Check": ("HealthRequest", "HealthResponse", False, False),
}

# gRPC status codes used by the tests.
OK, INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNIMPLEMENTED, UNAUTHENTICATED = 0, 3, 7, 8, 12, 16
UNKNOWN = 2


class RpcError(Exception):
    def __init__(self, code, message="", http_status=200):
        super().__init__(f"grpc-status {code}: {message} (HTTP {http_status})")
        self.code = code
        self.message = message
        self.http_status = http_status


def frame(body, flag=0):
    """One gRPC length-prefixed message (§ 1)."""
    return bytes([flag]) + struct.pack(">I", len(body)) + body


def path_of(method):
    service, name = method.split("/")
    return f"/trailmark.v1.{service}/{name}"


class Call:
    """One HTTP/2 stream carrying a gRPC call."""

    def __init__(self, channel, stream_id, method):
        self.channel = channel
        self.stream_id = stream_id
        self.method = method
        self.types = METHODS.get(method, (None, None, False, False))
        self.headers = None
        self.trailers = None
        self.buffer = bytearray()
        self.ended = False
        self.reset_code = None
        self.send_closed = False

    # --- sending ---
    def send(self, value, end=False):
        self.send_raw(frame(encode(self.types[0], value)), end)

    def send_raw(self, data, end=False):
        """Sends raw bytes on the stream (respecting flow control); stops early, returning False,
        when the server has already ended the stream."""
        return self.channel._send_data(self, bytes(data), end)

    def close_send(self):
        if not self.send_closed and not self.ended:
            self.channel._end_stream(self)
        self.send_closed = True

    # --- receiving ---
    def recv_raw(self):
        """The next message body, or None once the stream ended without one. A body above the
        channel's `max_message` is refused as a conforming reader must (§ 1, § 7)."""
        while True:
            if len(self.buffer) >= 5:
                flag, length = self.buffer[0], struct.unpack(">I", self.buffer[1:5])[0]
                if length > self.channel.max_message:
                    raise RpcError(RESOURCE_EXHAUSTED, f"messageTooLarge: response message of {length} bytes "
                                   f"exceeds {self.channel.max_message}")
                if len(self.buffer) >= 5 + length:
                    body = bytes(self.buffer[5:5 + length])
                    del self.buffer[:5 + length]
                    assert flag == 0, f"server sent compressed-flag {flag}"
                    return body
            if self.ended:
                assert not self.buffer, f"stream ended inside a message: {bytes(self.buffer)!r}"
                return None
            self.channel._pump()

    def recv(self):
        """The next decoded response, or None at the end (then `check()` the status)."""
        body = self.recv_raw()
        return None if body is None else decode(self.types[1], body)

    def wait(self):
        while not self.ended:
            self.channel._pump()
        return self

    # --- status ---
    @property
    def http_status(self):
        return int(self.headers.get(":status", 0)) if self.headers else None

    @property
    def code(self):
        t = self.trailers if self.trailers is not None else self.headers or {}
        return int(t["grpc-status"]) if "grpc-status" in t else None

    @property
    def message(self):
        t = self.trailers if self.trailers is not None else self.headers or {}
        return urllib.parse.unquote(t.get("grpc-message", ""))

    def check(self):
        """Waits for the end of the call and raises RpcError unless it ended OK."""
        self.wait()
        if self.reset_code is not None and self.code is None:
            raise RpcError(-1, f"stream reset with HTTP/2 error {self.reset_code}", self.http_status)
        if self.http_status != 200 or self.code != OK:
            raise RpcError(self.code, self.message, self.http_status)
        return self


class Channel:
    """One HTTP/2 connection; calls on it are driven from one thread at a time."""

    def __init__(self, port, host="127.0.0.1", key=None, tls=False, cafile=None, server_hostname="localhost",
                 timeout=30, max_message=MAX_MESSAGE):
        self.key = key
        self.max_message = max_message
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx = ssl.create_default_context(cafile=cafile)
            ctx.set_alpn_protocols(["h2"])
            self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
            assert self.sock.selected_alpn_protocol() == "h2", self.sock.selected_alpn_protocol()
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.calls = {}
        self.closed = False
        self._flush()

    @classmethod
    def to(cls, server, key=None, **kw):
        """A channel to an e2e `Server` (plaintext h2c or TLS with its development CA)."""
        if server.plaintext:
            return cls(server.port, key=key, **kw)
        return cls(server.port, key=key, tls=True, cafile=server.ca_file(), **kw)

    def close(self):
        try:
            self.conn.close_connection()
            self._flush()
        except (OSError, h2.exceptions.ProtocolError):
            pass
        self.sock.close()
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- calls ---
    def open(self, method, key=..., content_type=CONTENT_TYPE, path=None, extra_headers=(), te="trailers"):
        key = self.key if key is ... else key
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "https" if isinstance(self.sock, ssl.SSLSocket) else "http"),
                   (":path", path or path_of(method)), (":authority", "127.0.0.1")]
        if te is not None:
            headers.append(("te", te))
        if content_type is not None:
            headers.append(("content-type", content_type))
        if key is not None:
            headers.append(("authorization", f"Bearer {key}"))
        headers += list(extra_headers)
        self.conn.send_headers(sid, headers)
        self._flush()
        call = Call(self, sid, method)
        self.calls[sid] = call
        return call

    def unary(self, method, request, **kw):
        call = self.open(method, **kw)
        call.send(request, end=True)
        response = call.recv()
        call.check()
        assert response is not None, "OK status without a response message"
        assert call.recv_raw() is None, "a unary call answered more than one message"
        return response

    def server_stream(self, method, request, **kw):
        call = self.open(method, **kw)
        call.send(request, end=True)
        out = []
        while (m := call.recv()) is not None:
            out.append(m)
        call.check()
        return out

    # --- connection plumbing ---
    def _flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def _pump(self):
        if self.closed:
            raise ConnectionError("connection closed")
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise TimeoutError("no answer from the server") from None
        if not data:
            self.closed = True
            raise ConnectionError("server closed the connection")
        for ev in self.conn.receive_data(data):
            call = self.calls.get(getattr(ev, "stream_id", None))
            if isinstance(ev, h2.events.ResponseReceived):
                call.headers = dict(ev.headers)
            elif isinstance(ev, h2.events.TrailersReceived):
                call.trailers = dict(ev.headers)
            elif isinstance(ev, h2.events.DataReceived):
                if call is not None:
                    call.buffer += ev.data
                if ev.flow_controlled_length:
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                call.ended = True
            elif isinstance(ev, h2.events.StreamReset):
                if call is not None:
                    call.ended, call.reset_code = True, ev.error_code
            elif isinstance(ev, h2.events.ConnectionTerminated):
                for c in self.calls.values():
                    if not c.ended and c.stream_id > ev.last_stream_id:
                        c.ended, c.reset_code = True, ev.error_code
        self._flush()

    def _send_data(self, call, data, end):
        view = memoryview(data)
        while view:
            if call.ended:
                return False
            try:
                n = min(self.conn.local_flow_control_window(call.stream_id), self.conn.max_outbound_frame_size,
                        len(view))
            except h2.exceptions.StreamClosedError:
                return False
            if n <= 0:
                self._pump()
                continue
            try:
                self.conn.send_data(call.stream_id, view[:n].tobytes())
            except h2.exceptions.StreamClosedError:
                return False
            view = view[n:]
            self._flush()
        if end:
            self._end_stream(call)
        return True

    def _end_stream(self, call):
        try:
            self.conn.end_stream(call.stream_id)
            self._flush()
        except h2.exceptions.StreamClosedError:
            pass
        call.send_closed = True
