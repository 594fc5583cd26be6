"""The binary RPC end to end, through the pure-Python client of `trailmark_rpc` (written from
Proto/ alone): ingest, queries that must agree with the JSON gateway field by field, streams,
error statuses and framing errors (WIRE.md § 1, § 8), and kill -9 during binary TrackStreams."""
import datetime
import random
import struct
import threading
import time

import h2.exceptions
import pytest

from server import Server
from tmhttp import request
from trailmark_rpc import (INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAUTHENTICATED,
                           UNIMPLEMENTED, Channel, RpcError, encode, frame, varint, zigzag)

US = 1_000_000
H = 3600 * US
T0 = 1785542400 * US                      # 2026-08-01T00:00:00Z
FROM, TO = T0, T0 + 5 * 24 * H
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

URLS = [
    ("https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring", None),
    ("https://shop.example/?fbclid=abc", "https://l.facebook.com/"),
    ("https://shop.example/", "https://www.google.com/"),
    ("https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=aug", None),
    (None, None),
]


def rfc3339(us):
    return (EPOCH + datetime.timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jtime(s, us):
    """A JSON time string and its `_us` twin describe the same instant."""
    if us is None:
        assert s is None
        return None
    assert s == rfc3339(us), (s, us)
    return us


def typed(v):
    """A JSON property value as the RPC's typed property value."""
    if v is None:
        return {"null": None}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": v}
    if isinstance(v, float):
        return {"double": v}
    return {"string": v}


def dataset():
    """~150 events of 30 visitors: attribution variety, sessions, typed properties, an experiment,
    identifies for the visitors who sign up, purchases carrying user_id."""
    rng = random.Random(42)
    events, identifies = [], []
    for i in range(30):
        anon, user = f"anon-{i}", f"user-{i}"
        t = T0 + i * 7 * 60 * US
        url, ref = URLS[i % len(URLS)]
        sess = f"s-{i}" if i % 2 == 0 else None
        events.append({"event": "$pageview", "anonymous_id": anon, "timestamp": t, "url": url, "referrer": ref,
                       "path": "/", "session_id": sess, "event_id": f"pv-{i}"})
        if i % 3 != 2:
            events.append({"event": "$exposure", "anonymous_id": anon, "timestamp": t + 60 * US, "session_id": sess,
                           "properties": {"experiment": {"string": "exp1"},
                                          "group": {"string": "control" if i % 2 == 0 else "B"}}})
        if i % 4 != 3:
            events.append({"event": "$pageview", "anonymous_id": anon, "timestamp": t + 3 * 60 * US, "path": "/pricing",
                           "session_id": sess, "properties": {"page": {"string": "pricing"},
                                                              "plan": {"string": "pro" if i % 3 else "free"},
                                                              "n": {"int": i % 4}}})
        if i % 2 == 0 or i % 5 == 1:
            ts = t + rng.randrange(5, 50) * 60 * US
            events.append({"event": "signup", "anonymous_id": anon, "user_id": user, "timestamp": ts,
                           "session_id": sess, "properties": {"plan": {"string": "pro" if i % 3 else "free"}}})
            identifies.append({"anonymous_id": anon, "user_id": user, "timestamp": ts,
                               "traits": {"email": {"string": f"{user}@example.com"}, "age": {"int": 20 + i}}})
            if i % 4 == 0:
                later = ts + (24 * H if i % 8 == 0 else 2 * H)
                events.append({"event": "purchase", "anonymous_id": anon, "user_id": user, "timestamp": later,
                               "properties": {"qty": {"int": -i}, "price": {"double": 10.0 + i / 4},
                                              "gift": {"bool": i % 8 == 0}, "coupon": {"null": None},
                                              "名前": {"string": "日本🙂"}}})
        # An event with the same timestamp as the first pageview: order by seq.
        if i % 10 == 0:
            events.append({"event": "tie", "anonymous_id": anon, "timestamp": t, "properties": {"big": {"double": 1e300}}})
    # user-0 has a second device, so that user and anonymous units differ.
    events.append({"event": "$pageview", "anonymous_id": "anon-0b", "timestamp": T0 + 2 * H, "url": URLS[0][0]})
    identifies.append({"anonymous_id": "anon-0b", "user_id": "user-0", "timestamp": T0 + 3 * H})
    return events, identifies


@pytest.fixture(scope="module")
def loaded(server):
    events, identifies = dataset()
    with Channel.to(server, key=server.keys["sk"]) as ch:
        half = len(events) // 2
        acks = [ch.unary("Ingest/Track", {"events": events[:half], "batch_id": 1, "sent_at": int(time.time() * US)}),
                ch.unary("Ingest/Track", {"events": events[half:], "batch_id": 2})]
        assert [a["batch_id"] for a in acks] == [1, 2]
        assert [a["accepted"] for a in acks] == [half, len(events) - half]
        assert all(a["duplicates"] == 0 for a in acks)
        assert ch.unary("Identity/Identify", {"identifies": identifies}) == {"accepted": len(identifies)}
    return events, identifies


@pytest.fixture()
def rpc(server):
    with Channel.to(server, key=server.keys["rk"]) as ch:
        yield ch


def raw_call(server, method, data, key="sk", **kw):
    """Sends raw bytes on one call and waits for its end."""
    with Channel.to(server, key=server.keys.get(key, key)) as ch:
        call = ch.open(method, **kw)
        call.send_raw(data, end=True)
        return call.wait()


def count_all(server):
    return request(server, "GET", "/v1/stats", key=server.keys["sk"], params={"metric": "count"}).json()["rows"][0]["value"]


# ------------------------------------------------------------------ ingest and reads ----

def test_health(server, rpc):
    h = rpc.unary("Health/Check", {})
    assert h["status"] == "OK" and h["events"] == request(server, "GET", "/v1/health").json()["events"]


def test_track_round_trips_every_field(server, loaded):
    """What Track stored comes back through Query/Events with every client field intact."""
    events, _ = loaded
    with Channel.to(server, key=server.keys["rk"]) as ch:
        page = ch.unary("Query/Events", {"from": FROM, "to": TO, "limit": 10000})
    assert page["next_cursor"] is None
    got = {}
    for row in page["rows"]:
        e = row["event"]
        got.setdefault((e["anonymous_id"], e["event"], e["timestamp"]), []).append(e)
    assert len(page["rows"]) == len(events) + len(loaded[1])  # + one $identify per identify
    for e in events:
        (stored,) = [s for s in got[(e["anonymous_id"], e["event"], e["timestamp"])]
                     if s["event_id"] == e.get("event_id", s["event_id"])]
        for f in ("user_id", "session_id", "url", "path", "referrer"):
            assert stored[f] == e.get(f), f
        assert list(stored["properties"].items()) == list(e.get("properties", {}).items())
        assert stored["received_at"] is not None and stored["attribution"] is not None
    # Ties in timestamp are ordered by seq (SEMANTICS §2).
    keys = [(r["event"]["timestamp"], r["event"]["seq"]) for r in page["rows"]]
    assert keys == sorted(keys)


def test_identify_is_visible_through_user(server, loaded, rpc):
    u = rpc.unary("Query/User", {"user_id": "user-4", "conversion_event": "purchase"})
    assert u["anonymous_ids"] == ["anon-4"]
    assert u["first_touch"]["event"] == "$pageview"
    assert [r["event"]["event"] for r in u["prelogin"]] == ["$pageview", "$exposure", "$pageview"]
    assert all(r["user"] == "user-4" and r["event"]["user_id"] is None for r in u["prelogin"])
    assert u["time_to_conversion"] is not None and u["time_to_conversion"] > 2 * H


DIRECT = {"source": "direct", "medium": "direct", "campaign": None, "rule": "direct", "confidence": "HIGH"}


def test_identify_event_has_received_at(server, loaded, rpc):
    """Each identify appends a `$identify` event (SEMANTICS §1): the identify's ids and timestamp,
    its received time, empty properties, no session, event id, url, path or referrer (so
    direct/direct), and the same rows through `Query/Events` and `/v1/query?event=$identify`."""
    _, identifies = loaded
    rows = rpc.unary("Query/Events", {"from": FROM, "to": TO, "event": "$identify", "limit": 1000})["rows"]
    assert sorted((r["event"]["anonymous_id"], r["event"]["user_id"], r["event"]["timestamp"]) for r in rows) == \
        sorted((i["anonymous_id"], i["user_id"], i["timestamp"]) for i in identifies)
    received = {r["event"]["received_at"] for r in rows}
    assert len(received) == 1 and None not in received   # one Identify call, one receive time
    for r in rows:
        e = r["event"]
        assert r["user"] == e["user_id"]
        assert e["properties"] == {} and e["attribution"] == DIRECT   # the traits stay on the identify
        assert [e[f] for f in ("session_id", "event_id", "url", "path", "referrer")] == [None] * 5
    j = request(server, "GET", "/v1/query", key=server.keys["rk"],
                params={"event": "$identify", "from": rfc3339(FROM), "to": TO, "limit": 1000})
    assert j.status == 200, j
    jrows = j.json()["events"]
    assert jrows and all(x["received_at"] is not None and x["received_at_us"] is not None for x in jrows)
    assert [json_event_row(x) for x in jrows] == rows


def test_identify_received_at_is_the_servers_receive_time(server, rpc):
    """The received time of a `$identify` row is when the server accepted the identify, through
    either API, whatever the client claims; an identify without timestamp takes it as timestamp."""
    t = T0 - 30 * 24 * H       # before FROM: the shared data set's answers stay as they are
    before = int(time.time() * US) - 1000
    with Channel.to(server, key=server.keys["sk"]) as ch:
        assert ch.unary("Identity/Identify", {"identifies": [
            {"anonymous_id": "anon-rx1", "user_id": "user-rx", "timestamp": t, "received_at": 1}]}) == {"accepted": 1}
    r = request(server, "POST", "/v1/identify", key=server.keys["sk"],
                body={"anonymous_id": "anon-rx2", "user_id": "user-rx", "received_at": rfc3339(t)})
    assert r.status == 200, r
    after = int(time.time() * US) + 1000
    rows = rpc.unary("Query/Events", {"from": t, "to": after, "user_id": "user-rx", "event": "$identify"})["rows"]
    assert [r["event"]["anonymous_id"] for r in rows] == ["anon-rx1", "anon-rx2"]
    rx1, rx2 = (r["event"] for r in rows)
    assert rx1["timestamp"] == t and before <= rx1["received_at"] <= rx2["received_at"] <= after
    assert rx2["timestamp"] == rx2["received_at"]
    j = request(server, "GET", "/v1/query", key=server.keys["rk"],
                params={"from": t, "to": after, "user_id": "user-rx", "event": "$identify"}).json()
    assert [json_event_row(x) for x in j["events"]] == rows


# ---------------------------------------------------- the RPC and JSON give one answer ----

def json_event_row(r):
    """A JSON `/v1/query` row in the RPC's row form (times in µs, typed properties)."""
    attribution = None
    if r["source"] is not None:
        attribution = {"source": r["source"], "medium": r["medium"], "campaign": r["campaign"],
                       "rule": r["source_rule"], "confidence": r["source_confidence"].upper()}
    return {"event": {
        "event": r["event"], "anonymous_id": r["anonymous_id"], "user_id": r["user_id"],
        "timestamp": jtime(r["timestamp"], r["timestamp_us"]), "session_id": r["session_id"],
        "event_id": r["event_id"], "url": r["url"], "path": r["path"], "referrer": r["referrer"],
        "properties": {k: typed(v) for k, v in r["properties"].items()},
        "received_at": jtime(r["received_at"], r["received_at_us"]), "attribution": attribution, "seq": r["seq"],
    }, "user": r["user"]}


EVENT_QUERIES = [
    {},
    {"order": "desc", "limit": 7},
    {"event": "$pageview", "limit": 11},
    {"source": "google", "medium": "paid"},
    {"user_id": "user-4"},
    {"anonymous_id": "anon-10"},
]


@pytest.mark.parametrize("q", EVENT_QUERIES, ids=lambda q: ",".join(q) or "all")
def test_events_agree(server, loaded, rpc, q):
    json_params = dict(q, **{"from": rfc3339(FROM), "to": TO})   # both time formats on the JSON side
    rpc_q = {k: v for k, v in q.items() if k != "order"}
    rpc_q.update({"from": FROM, "to": TO, "order": "DESCENDING" if q.get("order") == "desc" else "ASCENDING"})
    pages = 0
    cursor = None
    while True:
        if cursor:
            json_params["cursor"] = rpc_q["cursor"] = cursor
        r = request(server, "GET", "/v1/query", key=server.keys["rk"], params=json_params)
        assert r.status == 200, r
        j = r.json()
        page = rpc.unary("Query/Events", rpc_q)
        assert page["rows"] == [json_event_row(x) for x in j["events"]]
        assert page["next_cursor"] == j["next_cursor"]
        assert len(page["rows"]) <= rpc_q.get("limit", 100)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages >= (2 if "limit" in q else 1)


STATS_QUERIES = [
    {"metric": "COUNT"},
    {"metric": "UNIQUES", "group_by": ["SOURCE", "MEDIUM"]},
    {"metric": "UNIQUES", "unit": "ANONYMOUS", "events": ["signup", "purchase"], "group_by": ["EVENT"]},
    {"metric": "COUNT", "group_by": ["EVENT", "CAMPAIGN"], "interval": "HOUR", "from": FROM, "to": TO},
    {"metric": "UNIQUES", "interval": "WEEK", "from": FROM},
]


@pytest.mark.parametrize("q", STATS_QUERIES, ids=lambda q: "_".join(str(v) for v in q.values())[:40])
def test_stats_agree(server, loaded, rpc, q):
    params = {"metric": q["metric"].lower()}
    if q.get("group_by"):
        params["group_by"] = ",".join(g.lower() for g in q["group_by"])
    for k in ("interval", "unit"):
        if k in q:
            params[k] = q[k].lower()
    for k in ("from", "to"):
        if k in q:
            params[k] = rfc3339(q[k])
    if "events" in q:
        params["event"] = q["events"]
    r = request(server, "GET", "/v1/stats", key=server.keys["rk"], params=params)
    assert r.status == 200, r
    j = r.json()
    res = rpc.unary("Query/Stats", q)
    assert res["metric"] == j["metric"].upper() == q["metric"]
    assert res["group_by"] == q.get("group_by", [])
    expected = [{"value": row["value"], "groups": [row[g.lower()] for g in q.get("group_by", [])],
                 "bucket": jtime(row.get("bucket"), row.get("bucket_us"))} for row in j["rows"]]
    assert res["rows"] == expected
    assert sum(row["value"] for row in res["rows"]) > 0


@pytest.mark.parametrize("unit", ["USER", "ANONYMOUS"])
def test_sources_agree(server, loaded, rpc, unit):
    j = request(server, "GET", "/v1/sources", key=server.keys["rk"],
                params={"from": FROM, "to": TO, "unit": unit.lower()}).json()
    res = rpc.unary("Query/Sources", {"from": FROM, "to": TO, "unit": unit})
    assert res["rows"] == j["sources"]
    google = [r for r in res["rows"] if (r["source"], r["medium"]) == ("google", "paid")]
    assert google[0]["uniques"] == (6 if unit == "USER" else 7)     # user-0's second device
    assert {(r["source"], r["medium"]) for r in res["rows"]} >= {("google", "paid"), ("facebook", "paid"),
                                                                    ("google", "organic"), ("direct", "direct")}


@pytest.mark.parametrize("user,conversion", [("user-0", "purchase"), ("user-6", "signup"), ("user-3", None),
                                             ("nobody", None)])
def test_user_agrees(server, loaded, rpc, user, conversion):
    params = {"conversion_event": conversion} if conversion else None
    r = request(server, "GET", f"/v1/users/{user}", key=server.keys["rk"], params=params)
    q = {"user_id": user}
    if conversion:
        q["conversion_event"] = conversion
    res = rpc.unary("Query/User", q)
    if r.status == 404:
        assert res["anonymous_ids"] == [] and res["first_touch"] is None and res["prelogin"] == []
        return
    j = r.json()
    ft = j["first_touch"]
    assert res["user_id"] == j["user_id"] == user
    assert res["anonymous_ids"] == j["anonymous_ids"]
    assert res["first_touch"] == (None if ft is None else {
        "event": ft["event"], "timestamp": jtime(ft["timestamp"], ft["timestamp_us"]), "source": ft["source"],
        "medium": ft["medium"], "campaign": ft["campaign"]})
    assert res["prelogin"] == [json_event_row(x) for x in j["prelogin"]]
    ttc = j.get("time_to_conversion")
    assert res["time_to_conversion"] == (None if ttc is None else ttc["us"])
    assert res["conversion_event"] == (None if ttc is None else ttc["event"])


FUNNELS = {
    "plain": {"steps": [("$pageview", {}), ("signup", {}), ("purchase", {})]},
    "filters_windows": {"steps": [("$pageview", {"page": "pricing"}), ("signup", {"plan": "pro"}),
                                  ("purchase", {"coupon": None, "gift": True})],
                        "windows": [None, 30 * 60 * US, None], "window": 2 * 24 * H, "strict": True,
                        "allowance": 1 * US},
    "breakdown_property": {"steps": [("$pageview", {"page": "pricing"}), ("signup", {})],
                           "breakdown": "property:plan"},
    "breakdown_property_int": {"steps": [("$pageview", {"page": "pricing"}), ("signup", {})],
                               "breakdown": "property:n", "unit": "anonymous"},
    "breakdown_first_touch": {"steps": [("$pageview", {}), ("signup", {})], "breakdown": "first_touch"},
    "sessions": {"steps": [("$pageview", {}), ("$pageview", {"page": "pricing"}), ("signup", {})],
                 "count": "sessions"},
    "experiment": {"steps": [("$pageview", {"page": "pricing"}), ("signup", {})],
                   "experiment": {"name": "exp1"}},
    "experiment_exposure_first": {"steps": [("signup", {}), ("purchase", {})],
                                  "experiment": {"name": "exp1", "control": "B", "exposure_as_first_step": True},
                                  "windows": [None, 3600 * US, None]},
}


def funnel_json(spec):
    body = {"from": rfc3339(FROM), "to": rfc3339(TO),
            "steps": [dict({"event": e}, **({"where": w} if w else {})) for e, w in spec["steps"]]}
    for k in ("windows", "window", "strict", "allowance", "count", "unit", "breakdown", "experiment"):
        if k in spec:
            body[k] = spec[k]
    return body


def funnel_rpc(spec):
    q = {"from": FROM, "to": TO, "steps": [{"event": e, "filters": {k: typed(v) for k, v in w.items()}}
                                           for e, w in spec["steps"]],
         "windows": spec.get("windows", []), "window": spec.get("window"), "strict": spec.get("strict", False),
         "allowance": spec.get("allowance", 0), "count": spec.get("count", "units").upper(),
         "unit": spec.get("unit", "user").upper()}
    b = spec.get("breakdown")
    q["breakdown"] = None if b is None else "FIRST_TOUCH" if b == "first_touch" else {"property": b[9:]}
    if "experiment" in spec:
        q["experiment"] = dict({"control": "control", "exposure_as_first_step": False}, **spec["experiment"])
    return q


def json_group_key(key, spec):
    if "experiment" in spec:
        return {"experiment_group": key}
    if spec.get("breakdown") == "first_touch":
        return {"first_touch": {"source": key[0], "medium": key[1]}}
    if spec.get("breakdown"):
        return {"property": typed(key)}
    assert key is None
    return "ALL"


def json_comparison(c):
    return {"diff": c["diff"], "ci_low": c["ci"][0] if c["ci"] else None, "ci_high": c["ci"][1] if c["ci"] else None,
            "p_value": c["p_value"], "lift": c["lift"], "lift_variance": c["lift_var"]}


@pytest.mark.parametrize("name", FUNNELS)
def test_funnel_agrees(server, loaded, rpc, name):
    spec = FUNNELS[name]
    r = request(server, "POST", "/v1/funnel", funnel_json(spec), key=server.keys["rk"])
    assert r.status == 200, r
    j = r.json()
    res = rpc.unary("Query/Funnel", funnel_rpc(spec))
    expected = [{"key": json_group_key(g["key"], spec), "exposed": g.get("exposed"), "steps": g["steps"],
                 "time_to_complete": {"n": g["time_to_complete"]["n"], "mean": g["time_to_complete"]["mean_us"],
                                      "median": g["time_to_complete"]["median_us"],
                                      "p90": g["time_to_complete"]["p90_us"]}} for g in j["groups"]]
    assert res["groups"] == expected
    assert res["comparisons"] == [{"group": c["group"], "steps": [
        {"stepwise": json_comparison(s["stepwise"]), "overall": json_comparison(s["overall"])} for s in c["steps"]]}
        for c in j.get("comparisons") or []]
    assert any(s["reached"] for g in res["groups"] for s in g["steps"]), "the funnel matched nothing"
    if "experiment" in spec:
        assert len(res["groups"]) == 2 and res["comparisons"]
    if spec.get("breakdown"):
        assert len(res["groups"]) >= 2


# ------------------------------------------------------------------------ streams ----

def test_events_stream_first_page_is_the_events_page(server, loaded, rpc):
    for q in ({"limit": 9}, {"limit": 10000}, {"limit": 5, "order": "DESCENDING", "event": "$pageview"}):
        q = dict(q, **{"from": FROM, "to": TO})
        pages = rpc.server_stream("Query/EventsStream", q)
        assert pages and pages[0] == rpc.unary("Query/Events", q)
        assert all(len(p["rows"]) <= q["limit"] for p in pages)


def test_events_stream_streams_every_page(server, loaded, rpc):
    pages = rpc.server_stream("Query/EventsStream", {"from": FROM, "to": TO, "limit": 9})
    full = rpc.unary("Query/Events", {"from": FROM, "to": TO, "limit": 10000})["rows"]
    assert [row for p in pages for row in p["rows"]] == full
    assert pages[-1]["next_cursor"] is None


def test_track_stream_acks_each_batch_in_order(server):
    batches = [{"batch_id": 100 + b, "events": [{"event": "streamed", "anonymous_id": f"ts-{b}", "event_id": f"ts-{b}-{i}",
                                                 "timestamp": T0 + 3 * 24 * H + b * 1000 + i} for i in range(b + 1)]}
               for b in range(6)]
    with Channel.to(server, key=server.keys["sk"]) as ch:
        call = ch.open("Ingest/TrackStream")
        call.send(batches[0])
        first = call.recv()          # one ack per batch, before the stream ends
        assert first == {"batch_id": 100, "accepted": 1, "duplicates": 0, "event_ids": ["ts-0-0"]}
        for b in batches[1:]:        # pipelined: all sent before any further ack is read
            call.send(b)
        acks = [call.recv() for _ in batches[1:]]
        call.send(batches[2])        # a retry on the same stream
        retry = call.recv()
        call.close_send()
        assert call.recv() is None
        call.check()
    assert [a["batch_id"] for a in acks] == [101, 102, 103, 104, 105]
    assert [a["accepted"] for a in acks] == [2, 3, 4, 5, 6]
    assert [a["event_ids"] for a in acks] == [[e["event_id"] for e in b["events"]] for b in batches[1:]]
    assert retry == {"batch_id": 102, "accepted": 0, "duplicates": 3, "event_ids": ["ts-2-0", "ts-2-1", "ts-2-2"]}


def test_retries_are_acknowledged_as_duplicates(server):
    batch = {"events": [{"event": "retry", "anonymous_id": "r", "event_id": f"retry-{i}", "timestamp": T0 + i}
                        for i in range(20)]}
    with Channel.to(server, key=server.keys["sk"]) as ch:
        first = ch.unary("Ingest/Track", batch)
        second = ch.unary("Ingest/Track", batch)
        half = ch.unary("Ingest/Track", {"events": batch["events"][10:] + [
            {"event": "retry", "anonymous_id": "r", "event_id": "retry-new", "timestamp": T0}]})
    assert (first["accepted"], first["duplicates"]) == (20, 0)
    assert (second["accepted"], second["duplicates"]) == (0, 20)
    assert second["event_ids"] == first["event_ids"] == [f"retry-{i}" for i in range(20)]
    assert (half["accepted"], half["duplicates"]) == (1, 10)
    r = request(server, "GET", "/v1/query", key=server.keys["rk"], params={"from": T0, "to": T0 + H, "event": "retry"})
    assert len(r.json()["events"]) == 21


# ------------------------------------------------------------------------- errors ----

GOOD = {"events": [{"event": "err", "anonymous_id": "e"}]}


def expect_status(call, code, *fragments):
    assert call.http_status == 200, call.headers
    assert call.code == code, (call.code, call.message)
    for f in fragments:
        assert f in call.message, (f, call.message)


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


# ----------------------------------------------------------- kill -9 mid TrackStream ----

BATCH = 50


def test_kill9_during_track_streams_loses_nothing_acknowledged():
    server = Server(plaintext=True)
    server.start()
    try:
        key = server.create_key("secret")
        _kill9_scenario(server, key, random.Random())
    finally:
        server.cleanup()


def _kill9_scenario(server, key, rng):
    acked, sent, errors, sent_batches = set(), set(), [], []
    lock = threading.Lock()
    stop = threading.Event()

    def batch(w, n):
        return {"batch_id": n, "events": [{"event": "durable", "anonymous_id": f"w{w}_{i % 5}",
                                           "event_id": f"w{w}b{n}-{i}", "timestamp": T0 + (n * BATCH + i) * US}
                                          for i in range(BATCH)]}

    def writer(w):
        n = 0
        try:
            while not stop.is_set():
                with Channel.to(server, key=key, timeout=10) as ch:
                    call = ch.open("Ingest/TrackStream")
                    inflight = []
                    for _ in range(rng.randrange(5, 30)):       # several streams per writer
                        b = batch(w, n)
                        n += 1
                        with lock:
                            sent.update(e["event_id"] for e in b["events"])
                            sent_batches.append(b)
                        call.send(b)
                        inflight.append(b)
                        if len(inflight) >= 3:                 # up to 3 batches in flight
                            ack = call.recv()
                            if ack is None:
                                return
                            b0 = inflight.pop(0)
                            assert ack["batch_id"] == b0["batch_id"], "acks out of order"
                            assert ack["accepted"] + ack["duplicates"] == BATCH
                            with lock:
                                acked.update(e["event_id"] for e in b0["events"])
                    call.close_send()
                    while inflight and (ack := call.recv()) is not None:
                        b0 = inflight.pop(0)
                        assert ack["batch_id"] == b0["batch_id"]
                        with lock:
                            acked.update(e["event_id"] for e in b0["events"])
                    call.check()
        except (ConnectionError, TimeoutError, OSError, RpcError, h2.exceptions.ProtocolError):
            pass  # the server died: batches without an ack were never acknowledged
        except AssertionError as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while len(acked) < 20 * BATCH and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(rng.random() * 0.5)
    server.kill9()
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert acked, "no batch was acknowledged before the kill"
    server.start()
    with Channel.to(server, key=key) as ch:
        pages = ch.server_stream("Query/EventsStream", {"from": 0, "to": 1 << 62, "limit": 10000})
        stored = [r["event"]["event_id"] for p in pages for r in p["rows"]]
        while pages[-1]["next_cursor"]:
            pages = [ch.unary("Query/Events", {"from": 0, "to": 1 << 62, "limit": 10000,
                                               "cursor": pages[-1]["next_cursor"]})]
            stored += [r["event"]["event_id"] for r in pages[0]["rows"]]
    print(f"kill9: sent {len(sent)} acked {len(acked)} stored {len(stored)}")
    assert len(stored) == len(set(stored)), "an event is stored twice"
    assert acked <= set(stored), f"{len(acked - set(stored))} acknowledged events were lost"
    assert set(stored) <= sent
    by_batch = {}
    for eid in stored:
        by_batch[eid.rsplit("-", 1)[0]] = by_batch.get(eid.rsplit("-", 1)[0], 0) + 1
    assert set(by_batch.values()) == {BATCH}, "a batch is half-present"
    # Retrying every batch after the restart: stored batches are acknowledged as duplicates,
    # the others are stored now; afterwards every sent event is present exactly once.
    stored = set(stored)
    with Channel.to(server, key=key) as ch:
        call = ch.open("Ingest/TrackStream")
        for b in sent_batches:
            call.send(b)
        acks = [call.recv() for _ in sent_batches]
        call.close_send()
        assert call.recv() is None
        call.check()
        for b, ack in zip(sent_batches, acks):
            was_stored = b["events"][0]["event_id"] in stored
            assert ack["batch_id"] == b["batch_id"]
            assert (ack["accepted"], ack["duplicates"]) == ((0, BATCH) if was_stored else (BATCH, 0))
        count = ch.unary("Query/Stats", {"metric": "COUNT"})["rows"][0]["value"]
    assert count == len(sent)


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
