"""Forget (API.md `DELETE /v1/users/{user_id}`) end to end: hidden at once, then erased
from disk by compaction — not one byte of the user's ids or properties is left in the data
directory — while every other event stays, across restarts, and retries stay duplicates."""
import os
import re
import time

import pytest

from server import Server
from tmhttp import request

FROM, TO = "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"
USER = "erase-me-7731@example.com"
ANON = "anon-erase-7731"
SECRET = "secret-prop-7731"
KEEP_USER, KEEP_ANON = "keep-user-4410", "keep-anon-4410"
BATCHES = 36


def everything_in(data_dir):
    """Every byte of every file the server wrote, except the test harness's own stdout log."""
    blobs = {}
    for dirpath, _, files in os.walk(data_dir):
        for f in files:
            path = os.path.join(dirpath, f)
            if f == "server.log":
                continue
            with open(path, "rb") as fh:
                blobs[os.path.relpath(path, data_dir)] = fh.read()
    return blobs


def files_containing(data_dir, needle):
    return sorted(name for name, blob in everything_in(data_dir).items() if needle.encode() in blob)


def metric(server, name):
    text = request(server, "GET", "/metrics").body.decode()
    m = re.search(rf"^{re.escape(name)}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


def events(server, key, **params):
    rows, cursor = [], None
    while True:
        q = {"from": FROM, "to": TO, "limit": 10000, **params}
        if cursor:
            q["cursor"] = cursor
        page = request(server, "GET", "/v1/query", key=key, params=q).json()
        rows += page["events"]
        cursor = page["next_cursor"]
        if not cursor:
            return rows


def batch(i, n=1000):
    """Mixed batches: the forgotten user's events sit between other users' events."""
    out = []
    for j in range(n):
        k = i * n + j
        ts = f"2026-07-01T{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:{k % 60:02d}Z"
        if j % 5 == 0:
            out.append({"event": "$pageview", "anonymous_id": ANON, "event_id": f"erase-{k}", "timestamp": ts,
                        "url": f"https://shop.example/?email={USER}&utm_source=news",
                        "properties": {"email": USER, "note": SECRET}})
        elif j % 5 == 1:
            out.append({"event": "purchase", "anonymous_id": "dev-x", "user_id": USER, "event_id": f"erase-{k}",
                        "timestamp": ts, "properties": {"note": SECRET}})
        else:
            out.append({"event": "$pageview", "anonymous_id": f"{KEEP_ANON}-{j % 7}", "user_id": KEEP_USER if j % 2 else None,
                        "event_id": f"keep-{k}", "timestamp": ts, "properties": {"plan": "pro"}})
    return {"events": out}


@pytest.fixture()
def srv():
    s = Server(plaintext=True, extra_args=["--segment-mb", "1", "--forget-erase-delay-s", "0.2"])
    s.start()
    s.keys = {"sk": s.create_key("secret"), "rk": s.create_key("read")}
    yield s
    s.cleanup()


def answers(server):
    rk = server.keys["rk"]
    return [
        events(server, rk),
        request(server, "GET", "/v1/stats", key=rk, params={"metric": "uniques", "from": FROM, "to": TO, "group_by": "event"}).json(),
        request(server, "GET", "/v1/sources", key=rk, params={"from": FROM, "to": TO}).json(),
        request(server, "GET", f"/v1/users/{KEEP_USER}", key=rk).json(),
    ]


def wait_erased(server, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if metric(server, "trailmark_forgets_pending_erasure") == 0 and (metric(server, "trailmark_forget_slots_erased_total") or 0) > 0:
            return
        time.sleep(0.1)
    raise AssertionError("forget not erased in time: " + server.log_tail())


def test_forget_hides_then_erases_every_byte_and_keeps_everything_else(srv):
    sk, rk = srv.keys["sk"], srv.keys["rk"]
    for i in range(BATCHES):  # events with properties over several 1 MiB segments
        r = request(srv, "POST", "/v1/batch", batch(i), key=sk)
        assert r.status == 202 and r.json()["accepted"] == 1000, r
    r = request(srv, "POST", "/v1/identify", {"anonymous_id": ANON, "user_id": USER, "traits": {"email": USER}, "timestamp": "2026-07-01T23:00:00Z"}, key=sk)
    assert r.status == 200, r
    assert len([n for n in os.listdir(os.path.join(srv.data_dir, "log")) if n.endswith(".seg")]) >= 2
    assert files_containing(srv.data_dir, USER) and files_containing(srv.data_dir, ANON)

    mine = [e for e in events(srv, rk) if e["user"] == USER]
    assert len(mine) == BATCHES * 400 + 1  # two in five events of each batch, and the $identify
    kept = [e for e in events(srv, rk) if e["user"] != USER]

    r = request(srv, "DELETE", f"/v1/users/{USER}", key=sk)
    assert r.status == 200 and r.json() == {"ok": True, "events_hidden": len(mine)}, r
    # Hidden from the acknowledgement on.
    assert [e for e in events(srv, rk) if USER in (e["user"], e["user_id"]) or e["anonymous_id"] == ANON] == []
    assert request(srv, "GET", f"/v1/users/{USER}", key=rk).json()["anonymous_ids"] == []
    before = answers(srv)
    assert before[0] == kept

    wait_erased(srv)
    for needle in (USER, ANON, SECRET):
        assert files_containing(srv.data_dir, needle) == [], needle
    assert answers(srv) == before

    srv.restart()
    assert answers(srv) == before
    for needle in (USER, ANON, SECRET):
        assert files_containing(srv.data_dir, needle) == [], needle
        assert needle not in srv.log_tail(1 << 30), "the server's own log must not keep it either"
    # An SDK retrying an erased event after the restart is told it is a duplicate: nothing comes back.
    retry = request(srv, "POST", "/v1/batch", batch(0), key=sk)
    assert retry.status == 202 and retry.json()["accepted"] == 0 and retry.json()["duplicates"] == 1000, retry
    assert answers(srv) == before


def test_events_after_a_forget_are_a_new_history(srv):
    sk, rk = srv.keys["sk"], srv.keys["rk"]
    old = {"event": "old", "anonymous_id": ANON, "user_id": USER, "timestamp": "2026-07-01T01:00:00Z"}
    assert request(srv, "POST", "/v1/track", old, key=sk).status == 202
    assert request(srv, "DELETE", f"/v1/users/{USER}", key=sk).json() == {"ok": True, "events_hidden": 1}
    new = {"event": "new", "anonymous_id": ANON, "user_id": USER, "timestamp": "2026-07-01T02:00:00Z"}
    assert request(srv, "POST", "/v1/track", new, key=sk).status == 202
    assert [e["event"] for e in events(srv, rk)] == ["new"]
    wait_erased(srv)
    srv.restart()
    assert [e["event"] for e in events(srv, rk)] == ["new"]
    # A second forget erases the new history too.
    assert request(srv, "DELETE", f"/v1/users/{USER}", key=sk).json() == {"ok": True, "events_hidden": 1}
    assert events(srv, rk) == []


def test_a_crash_before_erasure_replays_the_forget_and_erases_after_restart():
    s = Server(plaintext=True, extra_args=["--segment-mb", "1", "--forget-erase-delay-s", "3600"])
    try:
        s.start()
        s.keys = {"sk": s.create_key("secret"), "rk": s.create_key("read")}
        for i in range(3):
            assert request(s, "POST", "/v1/batch", batch(i), key=s.keys["sk"]).status == 202
        assert request(s, "POST", "/v1/identify", {"anonymous_id": ANON, "user_id": USER,
                                                   "timestamp": "2026-07-01T23:00:00Z"}, key=s.keys["sk"]).status == 200
        kept = [e for e in events(s, s.keys["rk"]) if e["user"] != USER]
        r = request(s, "DELETE", f"/v1/users/{USER}", key=s.keys["sk"])
        assert r.status == 200 and r.json()["events_hidden"] == 3 * 400 + 1
        assert metric(s, "trailmark_forgets_pending_erasure") == 1
        s.kill9()  # the tombstone is durable; the erasure never ran
        assert files_containing(s.data_dir, USER)
        s.extra_args = ["--segment-mb", "1", "--forget-erase-delay-s", "0.2"]
        s.start()
        assert events(s, s.keys["rk"]) == kept  # replay re-applied the forget
        wait_erased(s)
        for needle in (USER, ANON, SECRET):
            assert files_containing(s.data_dir, needle) == [], needle
        assert events(s, s.keys["rk"]) == kept
    finally:
        s.cleanup()
