"""The binary RPC end to end, through the pure-Python client of `trailmark_rpc` (written from
Proto/ alone): what is ingested reads back intact, and every query agrees with the JSON gateway
field by field (events, stats, sources, user, funnel)."""
import datetime
import time

import pytest

from rpc_support import FROM, H, T0, TO, US
from tmhttp import request
from trailmark_rpc import Channel

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


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
