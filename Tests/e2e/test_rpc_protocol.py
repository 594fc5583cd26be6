"""Binary RPC statuses and framing end to end (WIRE.md § 1, § 8): auth statuses, invalid events
and queries, unknown methods, content types, framing errors, message size limits, a bad call
beside good ones, and the RPC over TLS with ALPN h2."""
import pytest

from rpc_support import GOOD, T0, count_all, expect_status, raw_call
from server import Server
from trailmark_rpc import (INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAUTHENTICATED,
                           UNIMPLEMENTED, UNKNOWN, Channel, RpcError, encode, frame)

# The server holds the RPC data set, as when these tests shared one file (and server) with the
# query tests: e.g. a count before and after a rejected call, or a COUNT that must be non-zero.
pytestmark = pytest.mark.usefixtures("loaded")


# ------------------------------------------------------------------------- errors ----

@pytest.mark.parametrize("key,method,code", [
    ("sk_live_AAAAAAAA_notarealsecret", "Ingest/Track", UNAUTHENTICATED),
    (None, "Query/Events", UNAUTHENTICATED),
    ("rk", "Ingest/Track", PERMISSION_DENIED),
    ("rk", "Ingest/TrackStream", PERMISSION_DENIED),
    ("rk", "Identity/Identify", PERMISSION_DENIED),
    ("rk", "Identity/Forget", PERMISSION_DENIED),
    ("pk", "Query/Stats", PERMISSION_DENIED),
])
def test_auth_statuses(server, key, method, code):
    before = count_all(server)
    body = {"Ingest/Track": GOOD, "Ingest/TrackStream": GOOD, "Identity/Identify": {"identifies": [
        {"anonymous_id": "x", "user_id": "y"}]}, "Identity/Forget": {"user_id": "user-1"},
        "Query/Events": {"from": 0, "to": 1}, "Query/Stats": {}}[method]
    with Channel.to(server, key=server.keys.get(key, key)) as ch:
        call = ch.open(method)
        call.send(body, end=True)
        assert call.recv() is None
        with pytest.raises(RpcError) as e:
            call.check()
    assert e.value.code == code and e.value.message
    # An auth failure is a trailers-only response: grpc-status in the only HEADERS frame.
    assert call.trailers is None and call.headers["grpc-status"] == str(code)
    assert count_all(server) == before


@pytest.mark.parametrize("events,field", [
    ([{"event": "ok", "anonymous_id": "a"}, {"event": "", "anonymous_id": "a"}], "events[1].event"),
    ([{"event": "ok", "anonymous_id": ""}], "anonymous_id"),
    ([{"event": "ok", "anonymous_id": "a", "user_id": ""}], "events[0].user_id"),
    ([{"event": "x" * 201, "anonymous_id": "a"}], "events[0].event"),
    ([{"event": "ok", "anonymous_id": "a", "url": "u" * 2049}], "events[0].url"),
    ([{"event": "ok", "anonymous_id": "a", "timestamp": -5}], "events[0].timestamp"),
])
def test_invalid_event_is_invalid_argument(server, events, field):
    before = count_all(server)
    call = raw_call(server, "Ingest/Track", frame(encode("EventBatch", {"events": events})))
    expect_status(call, INVALID_ARGUMENT, "invalid_event", field)
    assert count_all(server) == before


def test_invalid_queries_are_invalid_argument(server, rpc):
    for method, q, field in [("Query/Events", {"from": 10, "to": 5}, "to"),
                             ("Query/Events", {"from": 0, "to": 5, "limit": 10001}, "limit"),
                             ("Query/Funnel", {"from": 0, "to": 5, "steps": [{"event": "a"}]}, "steps"),
                             ("Query/Stats", {"from": 7, "to": 7}, "to")]:
        with pytest.raises(RpcError) as e:
            rpc.unary(method, q)
        assert e.value.code == INVALID_ARGUMENT and "invalid_query" in e.value.message, (method, e.value)
        assert field in e.value.message


@pytest.mark.parametrize("path", ["/trailmark.v1.Ingest/Nope", "/trailmark.v1.Nope/Track", "/trailmark.v2.Ingest/Track"])
def test_unknown_method_is_unimplemented(server, path):
    with Channel.to(server, key=server.keys["sk"]) as ch:
        call = ch.open("Ingest/Track", path=path)
        call.send(GOOD, end=True)
        call.wait()
    expect_status(call, UNIMPLEMENTED)


def test_call_without_te_trailers_is_rejected(server):
    """gRPC over HTTP/2 makes `te: trailers` part of every call (it detects proxies that drop
    trailers); like grpc's own servers, a call without it ends trailers-only with UNKNOWN and
    its request is not processed. The connection stays usable."""
    before = count_all(server)
    with Channel.to(server, key=server.keys["sk"]) as ch:
        call = ch.open("Ingest/Track", te=None)
        call.send(GOOD, end=True)
        call.wait()
        expect_status(call, UNKNOWN, "te")
        assert call.trailers is None and call.headers["grpc-status"] == str(UNKNOWN)
        assert ch.unary("Health/Check", {})["status"] == "OK"
    assert count_all(server) == before


@pytest.mark.parametrize("ctype", ["application/json", "application/grpc+proto", "text/plain", None])
def test_wrong_content_type_is_415(server, ctype):
    with Channel.to(server, key=server.keys["sk"]) as ch:
        call = ch.open("Ingest/Track", content_type=ctype)
        call.send(GOOD, end=True)
        call.wait()
    assert call.http_status == 415, call.headers


def test_framing_errors(server):
    before = count_all(server)
    body = encode("EventBatch", GOOD)
    # compressed-flag 01: no grpc-encoding is accepted -> UNIMPLEMENTED; other flags INVALID_ARGUMENT.
    expect_status(raw_call(server, "Ingest/Track", frame(body, flag=1)), UNIMPLEMENTED)
    expect_status(raw_call(server, "Ingest/Track", frame(body, flag=2)), INVALID_ARGUMENT)
    expect_status(raw_call(server, "Ingest/Track", frame(body, flag=0x80)), INVALID_ARGUMENT)
    # A body whose declared field length runs past its end: a malformed message naming the field.
    expect_status(raw_call(server, "Ingest/Track", frame(body[:-2])), INVALID_ARGUMENT, "events")
    bad_utf8 = body.replace(b"\x03err", b"\x03e\xffr")
    expect_status(raw_call(server, "Ingest/Track", frame(bad_utf8)), INVALID_ARGUMENT, "events.dictionary[0]")
    expect_status(raw_call(server, "Ingest/Track", frame(body + b"\x10\x80\x00")), INVALID_ARGUMENT, "sent_at")
    assert count_all(server) == before


def test_stream_ending_inside_a_message(server):
    """WIRE.md § 1 does not say which status this gets; the server answers INTERNAL, as grpc does."""
    body = frame(encode("EventBatch", GOOD))
    call = raw_call(server, "Ingest/Track", body[:3])      # inside the prefix
    assert call.code == 13 and call.message
    call = raw_call(server, "Ingest/Track", body[:-3])     # inside the body
    assert call.code == 13 and call.message


def test_oversized_message_is_rejected_before_it_is_buffered(server):
    """Only the prefix and 64 KiB of a 4 MiB + 1 body are sent, the stream stays open: the server
    must answer RESOURCE_EXHAUSTED from the declared length alone."""
    with Channel.to(server, key=server.keys["sk"], timeout=20) as ch:
        call = ch.open("Ingest/Track")
        call.send_raw(b"\x00" + (4 * 1024 * 1024 + 1).to_bytes(4, "big") + bytes(65536))
        call.wait()
        expect_status(call, RESOURCE_EXHAUSTED)
        assert ch.unary("Health/Check", {})["status"] == "OK"   # the connection is still usable


def test_exactly_max_size_is_accepted_by_the_framing(server):
    """A 4 MiB body is not too large: it fails as an invalid message, not RESOURCE_EXHAUSTED."""
    body = b"\x0a" + (4 * 1024 * 1024 - 5).to_bytes(4, "little")  # garbage, decoded only after framing
    body = body + bytes(4 * 1024 * 1024 - len(body))
    call = raw_call(server, "Ingest/Track", frame(body))
    assert call.code == INVALID_ARGUMENT, (call.code, call.message)


def test_a_bad_call_does_not_affect_others_on_the_connection(server):
    with Channel.to(server, key=server.keys["sk"]) as ch:
        good = ch.open("Query/Stats")
        bad = ch.open("Ingest/Track")
        bad.send_raw(frame(b"\x0a\x05ab"), end=True)
        good.send({"metric": "COUNT"}, end=True)
        assert good.recv()["rows"][0]["value"] > 0
        good.check()
        bad.wait()
        assert bad.code == INVALID_ARGUMENT


# ----------------------------------------------------------------------------- TLS ----

def test_tls_with_alpn_h2():
    s = Server(plaintext=False)
    s.start()
    try:
        key = s.create_key("secret")
        with Channel.to(s, key=key) as ch:
            assert ch.sock.selected_alpn_protocol() == "h2"
            ack = ch.unary("Ingest/Track", {"events": [{"event": "tls", "anonymous_id": "t", "timestamp": T0}]})
            assert ack["accepted"] == 1
            page = ch.unary("Query/Events", {"from": T0, "to": T0 + 1})
            assert [r["event"]["event"] for r in page["rows"]] == ["tls"]
    finally:
        s.cleanup()
