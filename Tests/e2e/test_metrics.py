"""`/metrics` (Prometheus text): the series issue 7 names are exported and move with traffic."""
import re
import time

from tmhttp import request

FROM, TO = "2026-08-01T00:00:00Z", "2026-08-02T00:00:00Z"


def series(server):
    text = request(server, "GET", "/metrics").body.decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$", line)
        assert m, f"not a Prometheus sample line: {line!r}"
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3)) if m.group(3) != "NaN" else float("nan")
    return out


def value(samples, name, **labels):
    for key, v in samples.items():
        if key == name or (key.startswith(name + "{") and all(f'{k}="{w}"' in key for k, w in labels.items())):
            return v
    return None


def test_ingest_moves_the_counters_and_gauges(server):
    before = series(server)
    batch = {"events": [{"event": "metric_probe", "anonymous_id": f"m-{i}", "timestamp": "2026-08-01T01:00:00Z"} for i in range(25)]}
    r = request(server, "POST", "/v1/batch", batch, key=server.keys["sk"])
    assert r.status == 202
    bad = request(server, "POST", "/v1/batch", {"events": [{"event": ""}]}, key=server.keys["sk"])
    assert bad.status == 400
    deadline = time.time() + 15
    while True:  # the engine gauges are published every 5 s
        after = series(server)
        if (value(after, "trailmark_engine_events") or 0) >= 25 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert value(after, "trailmark_events_accepted_total") - (value(before, "trailmark_events_accepted_total") or 0) == 25
    assert value(after, "trailmark_events_rejected_total") - (value(before, "trailmark_events_rejected_total") or 0) == 1
    assert value(after, "trailmark_requests_total", method="http:batch", status="202") >= 1
    assert value(after, "trailmark_engine_events") >= 25
    assert value(after, "trailmark_engine_memory_bytes") > 0
    # Durable-append latency is a histogram: its count grew by at least the one batch.
    count_before = value(before, "trailmark_append_durable_seconds_count") or 0
    assert value(after, "trailmark_append_durable_seconds_count") >= count_before + 1
    assert any(k.startswith("trailmark_append_durable_seconds_bucket{") for k in after)


def test_the_log_reports_groups_syncs_and_ring_depth(server):
    r = request(server, "POST", "/v1/batch", {"events": [{"event": "log_probe", "anonymous_id": "lp"}]}, key=server.keys["sk"])
    assert r.status == 202
    after = series(server)
    assert value(after, "trailmark_log_fsync_seconds_count") >= 1
    assert any(k.startswith("trailmark_log_fsync_seconds_bucket{") for k in after)
    assert value(after, "trailmark_log_written_bytes_total") > 0
    assert value(after, "trailmark_log_ring_depth") >= 1
    assert value(after, "trailmark_log_group_records_count") >= 1


def test_rpc_calls_are_counted_by_method_and_grpc_status(server):
    """Every RPC's status as sent, whoever decided it: the handler (OK, INVALID_ARGUMENT) or
    the transport (a truncated frame, no request message, an unknown method)."""
    from trailmark_rpc import Channel

    before = series(server)
    with Channel.to(server, key=server.keys["sk"]) as ch:
        ch.unary("Health/Check", {})

        def ended(method, send):
            call = ch.open(method)
            send(call)
            call.wait()
            return call.code

        assert ended("Ingest/Track", lambda c: c.send({"events": [{"event": ""}]}, end=True)) == 3  # empty name
        assert ended("Ingest/Track", lambda c: c.send_raw(b"\x00\x00\x00\x00\x10ab", end=True)) == 13  # truncated
        assert ended("Ingest/Track", lambda c: c.close_send()) == 12  # no request message
        assert ended("Nope/Nothing", lambda c: c.send_raw(b"\x00\x00\x00\x00\x00", end=True)) == 12
    after = series(server)

    def grew(method, status):
        labels = dict(method=method, status=status)
        return (value(after, "trailmark_requests_total", **labels) or 0) - (value(before, "trailmark_requests_total", **labels) or 0)

    assert grew("rpc:Health/Check", "OK") == 1
    assert grew("rpc:Ingest/Track", "INVALID_ARGUMENT") == 1
    assert grew("rpc:Ingest/Track", "INTERNAL") == 1
    assert grew("rpc:Ingest/Track", "UNIMPLEMENTED") == 1
    assert grew("rpc:unknown", "UNIMPLEMENTED") == 1
