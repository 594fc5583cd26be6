"""Graceful shutdown of `trailmark serve` (swift-service-lifecycle): the first SIGTERM/SIGINT
stops accepting, sends GOAWAY, lets in-flight requests finish, flushes and closes the log and
exits 0; a second signal during the drain closes open connections at once (exit 128+signal).

Synchronisation is by events, never by sleeping: a PING round trip proves the server has
processed a stream's HEADERS, and the server log line of the drain proves the listener is
closed. The only time limits are generous process-exit timeouts.
"""
import json
import signal
import socket
import subprocess

import h2.connection
import h2.events
import pytest

from server import BINARY, Server
from tmhttp import request
from trailmark_rpc import OK, Channel

FROM, TO = "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"
T0 = 1780272000 * 1_000_000          # 2026-06-01T00:00:00Z, microseconds
EXIT_TIMEOUT = 60                    # seconds a stopping process may take before the test fails
DRAINING = "shutdown: listener closed; draining open connections"
# What a graceful stop logs, in this order (StopSignalSupervisor, TransportServer.shutdown,
# TransportService, HubService, ServeCommand).
SEQUENCE = ["received; stopping gracefully", DRAINING, "shutdown: connections drained",
            "shutdown: transport stopped", "shutdown: log flushed and closed", "stopped"]


def start(grace, plaintext=True):
    s = Server(plaintext=plaintext, extra_args=["--shutdown-grace-seconds", str(grace)])
    s.start()
    return s


@pytest.fixture(params=["h2c", "tls"])
def fresh(request):
    # A grace period far above EXIT_TIMEOUT: a drain that waited for it would fail the test.
    s = start(grace=600, plaintext=request.param == "h2c")
    s.keys = {"sk": s.create_key("secret")}
    yield s
    s.cleanup()


def log_text(server):
    with open(server.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def wait_until_logged(server, text, times=1):
    """Waits until the server log holds `text` `times` times (failing if the server exits first)."""
    while log_text(server).count(text) < times:
        assert server.proc.poll() is None, f"server exited before logging {text!r}: {server.log_tail()}"
        try:
            server.proc.wait(0.02)
        except subprocess.TimeoutExpired:
            pass


def assert_in_order(text, parts):
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing (after offset {at}) in the server log:\n{text[-4000:]}"
        at = found + len(part)


def wait_exit(server):
    code = server.proc.wait(EXIT_TIMEOUT)
    server.proc = None
    return code


def event_ids(server, key):
    r = request(server, "GET", "/v1/query", key=key, params={"from": FROM, "to": TO, "limit": 1000})
    assert r.status == 200, r
    return sorted(e["event_id"] for e in r.json()["events"])


class Recorder:
    """Records the h2 events of a `trailmark_rpc.Channel`, and keeps h2's connection open after a
    GOAWAY. python-h2 4.1 moves its whole connection to CLOSED on any GOAWAY and then refuses to
    send or receive on the streams it still has, while RFC 9113 § 6.8 lets streams up to the
    GOAWAY's last-stream-id run to completion, which is what this suite checks."""

    def __init__(self, channel):
        self.channel = channel
        self.events = []
        machine = channel.conn.state_machine
        states, inputs = h2.connection.ConnectionState, h2.connection.ConnectionInputs
        transitions = dict(machine._transitions)
        transitions[(states.CLIENT_OPEN, inputs.RECV_GOAWAY)] = (None, states.CLIENT_OPEN)
        machine._transitions = transitions
        receive = channel.conn.receive_data

        def recording(data):
            events = receive(data)
            self.events += events
            return events

        channel.conn.receive_data = recording

    def goaways(self):
        return [e for e in self.events if isinstance(e, h2.events.ConnectionTerminated)]

    def ping_round_trip(self):
        """After this the server has processed every frame sent before it (frames are in order)."""
        seen = len(self.events)
        self.channel.conn.ping(b"shutdown")
        self.channel._flush()
        while not any(isinstance(e, h2.events.PingAckReceived) for e in self.events[seen:]):
            self.channel._pump()

    def read_until_closed(self):
        try:
            while True:
                self.channel._pump()
        except ConnectionError:
            pass


def batch_json(event_id):
    return json.dumps({"events": [{"event": "shutdown", "anonymous_id": "u-shutdown", "event_id": event_id,
                                   "timestamp": "2026-06-01T00:00:01Z"}]}).encode()


def rpc_batch(batch_id, event_id):
    return {"batch_id": batch_id, "events": [{"event": "shutdown", "anonymous_id": "u-stream", "event_id": event_id,
                                              "timestamp": T0 + batch_id}]}


def test_sigterm_lets_an_in_flight_http2_batch_finish(fresh):
    s, key = fresh, fresh.keys["sk"]
    body = batch_json("inflight-json")
    ch = Channel.to(s)
    rec = Recorder(ch)
    call = ch.open("POST /v1/batch", key=key, content_type="application/json", path="/v1/batch")
    call.send_raw(body[:20])                  # the request is in flight: half of its body sent
    rec.ping_round_trip()

    s.proc.send_signal(signal.SIGTERM)
    wait_until_logged(s, DRAINING)
    with pytest.raises(ConnectionRefusedError):   # the listener is closed before the drain begins
        socket.create_connection(("127.0.0.1", s.port), timeout=5).close()

    call.send_raw(body[20:], end=True)         # the rest of the body, after the signal
    call.wait()
    assert call.http_status == 202, (call.headers, bytes(call.buffer))
    assert json.loads(bytes(call.buffer))["accepted"] == 1
    rec.read_until_closed()                    # the server closes the connection once drained
    ch.close()
    goaways = rec.goaways()
    assert goaways, "no GOAWAY on the draining connection"
    assert all(g.error_code == 0 for g in goaways), goaways
    assert goaways[-1].last_stream_id == call.stream_id, goaways   # the final GOAWAY names our stream

    assert wait_exit(s) == 0, s.log_tail()
    assert_in_order(log_text(s), ["SIGTERM"] + SEQUENCE)

    s.start()                                  # same data directory: the event was flushed, once
    assert event_ids(s, key) == ["inflight-json"]


def test_sigterm_lets_an_in_flight_track_stream_finish(fresh):
    s, key = fresh, fresh.keys["sk"]
    ch = Channel.to(s, key=key)
    rec = Recorder(ch)
    call = ch.open("Ingest/TrackStream")
    call.send(rpc_batch(1, "stream-1"))
    assert call.recv()["accepted"] == 1       # the stream is open and serving

    s.proc.send_signal(signal.SIGTERM)
    wait_until_logged(s, DRAINING)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", s.port), timeout=5).close()

    call.send(rpc_batch(2, "stream-2"))        # a new message on the in-flight stream
    call.close_send()
    ack = call.recv()
    assert ack is not None and ack["batch_id"] == 2 and ack["accepted"] == 1, ack
    assert call.recv() is None
    call.check()
    assert call.code == OK
    rec.read_until_closed()
    ch.close()
    assert rec.goaways() and rec.goaways()[-1].last_stream_id == call.stream_id, rec.goaways()

    assert wait_exit(s) == 0, s.log_tail()
    assert_in_order(log_text(s), ["SIGTERM"] + SEQUENCE)
    s.start()
    assert event_ids(s, key) == ["stream-1", "stream-2"]


def test_sigint_stops_an_idle_server_with_status_0():
    s = start(grace=600)
    try:
        s.proc.send_signal(signal.SIGINT)
        assert wait_exit(s) == 0, s.log_tail()
        text = log_text(s)
        assert_in_order(text, ["SIGINT"] + SEQUENCE)
    finally:
        s.cleanup()


def test_second_signal_closes_the_draining_connections_at_once(fresh):
    s, key = fresh, fresh.keys["sk"]
    ch = Channel.to(s, key=key)
    Recorder(ch)
    call = ch.open("Ingest/TrackStream")
    call.send(rpc_batch(1, "acked-before-stop"))
    assert call.recv()["accepted"] == 1       # acknowledged, so it must survive the forced stop

    s.proc.send_signal(signal.SIGTERM)
    wait_until_logged(s, DRAINING)
    s.proc.send_signal(signal.SIGTERM)         # the stream is still open: the drain cannot end by itself
    assert wait_exit(s) == 128 + signal.SIGTERM, s.log_tail()   # well before the 600 s grace period
    text = log_text(s)
    assert_in_order(text, ["shutdown: SIGTERM received", DRAINING, "second SIGTERM"])
    # On cancellation the transport closes its connections while the hub flushes the log,
    # concurrently: both follow the second signal, in either order, and precede the exit line.
    second = text.find("second SIGTERM")
    for part in ("reason=cancelled", "shutdown: log flushed and closed"):
        assert_in_order(text[second:], [part, "stopped without draining"])
    ch.close()

    s.start()
    assert event_ids(s, key) == ["acked-before-stop"]


def test_sighup_reloads_certificates_and_does_not_stop():
    s = Server(plaintext=False)                # TLS with the generated development certificate
    s.start()
    try:
        for n in (1, 2):
            s.proc.send_signal(signal.SIGHUP)
            wait_until_logged(s, "certificates reloaded", times=n)
        assert s.health()[0] == 200            # still serving, over TLS
        s.proc.send_signal(signal.SIGTERM)
        assert wait_exit(s) == 0, s.log_tail()
    finally:
        s.cleanup()


def test_help_documents_the_grace_period():
    out = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--shutdown-grace-seconds" in out and "TRAILMARK_SHUTDOWN_GRACE_SECONDS" in out, out
    bad = subprocess.run([BINARY, "serve", "--shutdown-grace-seconds=-1"], capture_output=True, text=True)
    assert bad.returncode != 0 and "--shutdown-grace-seconds" in bad.stderr, bad
