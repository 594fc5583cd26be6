"""Binary RPC encodings end to end (WIRE.md § 2, § 4, § 6): the server accepts any valid encoding,
names the field of an invalid event block, enforces batch and message limits, rejects non-finite
doubles, ignores server-owned fields sent by a client; and Forget through the RPC."""
import struct

import pytest

from rpc_support import GOOD, H, T0, count_all, expect_status, raw_call
from tmhttp import request
from trailmark_rpc import INVALID_ARGUMENT, UNIMPLEMENTED, Channel, RpcError, encode, frame, varint, zigzag

# The server holds the RPC data set, as when these tests shared one file (and server) with the
# query tests: e.g. a count before and after a rejected call, or a COUNT that must be non-zero.
pytestmark = pytest.mark.usefixtures("loaded")


# ------------------------------------------- readers accept any valid encoding (§ 2, § 6) ----

def _ld(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def _dictionary(*strings):
    return b"".join(varint(len(s.encode())) + s.encode() for s in strings)


def test_server_accepts_non_canonical_encodings(server):
    """Columns out of order, a dictionary with repeats and unused entries, a bitmap marking every
    event, unknown fields of each wire type, a repeated scalar (last wins): same events as canonical."""
    t = T0 + 4 * 24 * H
    d = _dictionary("unused", "nc", "anon-nc", "nc", "k", "v", "s-1", "k2")
    block = b"".join([
        _ld(15, b"\x05\x05" + b"\x04" + struct.pack("<d", 2.5)),    # property_value: "v" | 2.5
        _ld(14, b"\x04\x07"),                                         # property_key: "k" | "k2"
        _ld(13, b"\x01\x01"),                                         # property_count
        _ld(8, b"\x07\x00"),                                          # session_id: "s-1" | absent
        _ld(7, b"\x03"),                                              # timestamp_present: both
        _ld(6, varint(zigzag(t)) + varint(zigzag(5))),                # timestamp: t, t + 5
        _ld(4, b"\x02\x02"), _ld(3, b"\x01\x03"),                     # anonymous_id, name (two "nc" entries)
        varint(2 << 3) + varint(2),                                   # count
        _ld(1, d),
        _ld(30, b"future column"), varint(31 << 3 | 5) + b"\x00\x00\x00\x00",
    ])
    body = b"".join([
        varint(99 << 3) + varint(7),                                  # unknown varint field
        varint(3 << 3) + varint(1),                                   # batch_id = 1 ...
        _ld(1, block),
        varint(98 << 3 | 1) + bytes(8),                               # unknown fixed64
        varint(97 << 3 | 5) + bytes(4),                               # unknown fixed32
        _ld(96, b"\xff\xff not even a message"),                      # unknown LEN, skipped unread
        varint(3 << 3) + varint(77),                                  # ... then 77: the last value wins
    ])
    with Channel.to(server, key=server.keys["sk"]) as ch:
        call = ch.open("Ingest/Track")
        call.send_raw(frame(body), end=True)
        ack = call.recv()
        call.check()
        assert ack["batch_id"] == 77 and ack["accepted"] == 2
        # A query with explicit defaults, fields out of order and an unknown field.
        q = (varint(9 << 3) + varint(0) + varint(8 << 3) + varint(100) + varint(2 << 3) + varint(zigzag(t + H))
             + _ld(50, b"x") + varint(1 << 3) + varint(zigzag(t)))
        call = ch.open("Query/Events")
        call.send_raw(frame(q), end=True)
        page = call.recv()
        call.check()
    got = [(r["event"]["event"], r["event"]["anonymous_id"], r["event"]["timestamp"], r["event"]["session_id"],
            r["event"]["properties"]) for r in page["rows"]]
    assert got == [("nc", "anon-nc", t, "s-1", {"k": {"string": "v"}}),
                   ("nc", "anon-nc", t + 5, None, {"k2": {"double": 2.5}})]


@pytest.mark.parametrize("name,block,field", [
    ("column_left_over", _ld(1, _dictionary("e", "a")) + b"\x10\x01" + _ld(3, b"\x00\x00") + _ld(4, b"\x01"),
     "events.name"),
    ("ref_out_of_range", _ld(1, _dictionary("e", "a")) + b"\x10\x01" + _ld(3, b"\x05") + _ld(4, b"\x01"),
     "events[0].event"),
    ("no_name_column", _ld(1, _dictionary("e", "a")) + b"\x10\x01" + _ld(4, b"\x01"), "events.name"),
    ("bitmap_high_bits", _ld(1, _dictionary("e", "a")) + b"\x10\x01" + _ld(3, b"\x00") + _ld(4, b"\x01")
     + _ld(6, b"\x02") + _ld(7, b"\x03"), "events.timestamp_present"),
    ("property_kind_6", _ld(1, _dictionary("e", "a", "k")) + b"\x10\x01" + _ld(3, b"\x00") + _ld(4, b"\x01")
     + _ld(13, b"\x01") + _ld(14, b"\x02") + _ld(15, b"\x06"), "events[0].properties.k"),
    ("duplicate_key_text", _ld(1, _dictionary("e", "a", "k", "k")) + b"\x10\x01" + _ld(3, b"\x00") + _ld(4, b"\x01")
     + _ld(13, b"\x02") + _ld(14, b"\x02\x03") + _ld(15, b"\x00\x01"), "events[0].properties.k"),
    ("too_many_events", _ld(1, _dictionary("e", "a")) + b"\x10" + varint(10001) + _ld(3, bytes(10001))
     + _ld(4, b"\x01" * 10001), "events"),
])
def test_invalid_event_blocks_name_the_field(server, name, block, field):
    call = raw_call(server, "Ingest/Track", frame(_ld(1, block)))
    expect_status(call, INVALID_ARGUMENT, f"[field {field}]")


def test_rpc_batches_may_hold_10000_events(server):
    t = T0 + 10 * 24 * H
    events = [{"event": "bulk", "anonymous_id": f"bulk-{i % 100}", "event_id": f"bulk-{i}", "timestamp": t + i}
              for i in range(10000)]
    with Channel.to(server, key=server.keys["sk"]) as ch:
        ack = ch.unary("Ingest/Track", {"events": events})       # > 64 KiB: HTTP/2 flow control both ways
        assert ack["accepted"] == 10000 and ack["event_ids"] == [e["event_id"] for e in events]
        with pytest.raises(RpcError) as e:
            ch.unary("Ingest/Track", {"events": events + [dict(events[0], event_id="bulk-x")]})
        assert e.value.code == INVALID_ARGUMENT
        with pytest.raises(RpcError) as e:
            ch.unary("Identity/Identify", {"identifies": [{"anonymous_id": "a", "user_id": "u"}] * 10001})
        assert e.value.code == INVALID_ARGUMENT and "identifies" in e.value.message
        page = ch.unary("Query/Events", {"from": t, "to": t + 10000, "limit": 10000})
    assert [r["event"]["event_id"] for r in page["rows"]] == [e["event_id"] for e in events]


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_double_property_is_rejected(server, value):
    call = raw_call(server, "Ingest/Track", frame(encode("EventBatch", {"events": [
        {"event": "nonfinite", "anonymous_id": "nf", "timestamp": T0 - 30 * 24 * H,
         "properties": {"x": {"double": value}}}]})))
    expect_status(call, INVALID_ARGUMENT, "events[0].properties.x")


def test_grpc_message_is_percent_encoded_utf8(server):
    block = (_ld(1, _dictionary("e", "a", "名前", "名前")) + b"\x10\x01" + _ld(3, b"\x00") + _ld(4, b"\x01")
             + _ld(13, b"\x02") + _ld(14, b"\x02\x03") + _ld(15, b"\x00\x01"))
    call = raw_call(server, "Ingest/Track", frame(_ld(1, block)))
    raw = call.headers.get("grpc-message", "")
    assert raw.isascii() and "%E5%90%8D" in raw.upper(), raw     # "名" percent-encoded (gRPC spec)
    expect_status(call, INVALID_ARGUMENT, "events[0].properties.名前")


def test_explicit_zero_is_not_the_default(server, rpc):
    """`limit` 0 is written on the wire (its default is 100, WIRE.md § 4 rule 2) and is invalid."""
    assert encode("EventsQuery", {"from": 0, "to": 5, "limit": 0}).endswith(b"\x40\x00")
    with pytest.raises(RpcError) as e:
        rpc.unary("Query/Events", {"from": 0, "to": 5, "limit": 0})
    assert e.value.code == INVALID_ARGUMENT and "limit" in e.value.message


def test_server_fields_sent_by_a_client_are_ignored(server):
    t = T0 + 20 * 24 * H
    spoofed = {"event": "spoof", "anonymous_id": "sp", "timestamp": t, "received_at": 5, "seq": 123456789,
               "attribution": {"source": "spoofed", "medium": "spoofed", "campaign": "x", "rule": "utm",
                               "confidence": "LOW"}}
    with Channel.to(server, key=server.keys["sk"]) as ch:
        call = ch.open("Ingest/Track")
        call.send({"events": [spoofed]}, end=True)
        assert call.recv()["accepted"] == 1
        call.check()
        assert call.headers["content-type"] == "application/grpc+trailmark"
        (row,) = ch.unary("Query/Events", {"from": t, "to": t + 1})["rows"]
    e = row["event"]
    assert e["attribution"] == {"source": "direct", "medium": "direct", "campaign": None, "rule": "direct",
                                "confidence": "HIGH"}
    assert e["received_at"] > T0 and e["seq"] != 123456789


@pytest.mark.parametrize("data,what", [(b"", "none"), (None, "two")])
def test_unary_needs_exactly_one_request_message(server, data, what):
    """WIRE.md § 1 says unary calls carry exactly one request but not the status otherwise;
    the server answers UNIMPLEMENTED."""
    body = frame(encode("EventBatch", GOOD))
    before = count_all(server)
    call = raw_call(server, "Ingest/Track", body + body if data is None else data)
    expect_status(call, UNIMPLEMENTED)
    assert count_all(server) == before


def test_query_responses_fit_the_message_size(server):
    t = T0 + 40 * 24 * H
    with Channel.to(server, key=server.keys["sk"]) as ch:
        for b in range(4):
            ch.unary("Ingest/Track", {"events": [
                {"event": "wide", "anonymous_id": "w", "timestamp": t + b * 100 + i,
                 "properties": {"p": {"string": f"{b}-{i}-" + "x" * 60000}}} for i in range(18)]})
        rows, cursor = [], None
        while True:
            q = {"from": t, "to": t + H, "limit": 10000}
            if cursor:
                q["cursor"] = cursor
            page = ch.unary("Query/Events", q)      # raises RESOURCE_EXHAUSTED above 4 MiB
            rows += page["rows"]
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert len(rows) == 72


def test_forget_through_rpc_hides_the_user_from_both_apis(server):
    t = T0 + 50 * 24 * H
    with Channel.to(server, key=server.keys["sk"]) as ch:
        ch.unary("Ingest/Track", {"events": [
            {"event": "pre", "anonymous_id": "fg-anon", "timestamp": t},
            {"event": "post", "anonymous_id": "fg-anon", "user_id": "fg-user", "timestamp": t + 2},
            {"event": "other", "anonymous_id": "fg-other", "timestamp": t + 3}]})
        ch.unary("Identity/Identify", {"identifies": [{"anonymous_id": "fg-anon", "user_id": "fg-user",
                                                       "timestamp": t + 1}]})
        assert ch.unary("Identity/Forget", {"user_id": "fg-user"}) == {"events_hidden": 3}
        rows = ch.unary("Query/Events", {"from": t, "to": t + 10})["rows"]
        user = ch.unary("Query/User", {"user_id": "fg-user"})
    assert [r["event"]["event"] for r in rows] == ["other"]
    assert user["anonymous_ids"] == [] and user["first_touch"] is None and user["prelogin"] == []
    j = request(server, "GET", "/v1/query", key=server.keys["rk"], params={"from": t, "to": t + 10}).json()
    assert [r["event"] for r in j["events"]] == ["other"]
