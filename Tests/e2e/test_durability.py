"""Acknowledged means durable: restart keeps answers; kill -9 mid-stream loses nothing
acknowledged and stores nothing twice; retries are acknowledged as duplicates."""
import random
import threading
import time

import pytest

from server import Server
from tmhttp import request

FROM, TO = "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"


def all_event_ids(server, key):
    ids, cursor = [], None
    while True:
        params = {"from": FROM, "to": TO, "limit": 10000}
        if cursor:
            params["cursor"] = cursor
        r = request(server, "GET", "/v1/query", key=key, params=params)
        assert r.status == 200, r
        page = r.json()
        ids += [e["event_id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


@pytest.fixture()
def fresh():
    s = Server(plaintext=True)
    s.start()
    s.keys = {"sk": s.create_key("secret")}
    yield s
    s.cleanup()


def make_batch(prefix, n, start_minute=0):
    return {"events": [{"event": "durable", "anonymous_id": f"{prefix}_{i % 7}", "event_id": f"{prefix}-{i}",
                        "timestamp": f"2026-06-01T{(start_minute + i // 60) % 24:02d}:{i % 60:02d}:00Z"}
                       for i in range(n)]}


def test_retry_is_acknowledged_as_duplicate_across_restart(fresh):
    body = make_batch("retry", 50)
    r = request(fresh, "POST", "/v1/batch", body, key=fresh.keys["sk"])
    assert r.status == 202 and r.json()["accepted"] == 50 and r.json()["duplicates"] == 0, r
    r = request(fresh, "POST", "/v1/batch", body, key=fresh.keys["sk"])
    assert r.json()["accepted"] == 0 and r.json()["duplicates"] == 50, r
    fresh.restart()
    r = request(fresh, "POST", "/v1/batch", body, key=fresh.keys["sk"])
    assert r.json()["accepted"] == 0 and r.json()["duplicates"] == 50, r
    single = request(fresh, "POST", "/v1/track", body["events"][0], key=fresh.keys["sk"])
    assert single.status == 202 and single.json()["duplicate"] is True
    assert sorted(all_event_ids(fresh, fresh.keys["sk"])) == sorted(e["event_id"] for e in body["events"])


def test_restart_gives_the_same_answers(fresh):
    request(fresh, "POST", "/v1/batch", make_batch("same", 300), key=fresh.keys["sk"])
    queries = [
        ("GET", "/v1/stats", None, {"metric": "uniques", "from": FROM, "to": TO, "interval": "hour"}),
        ("GET", "/v1/sources", None, {"from": FROM, "to": TO}),
        ("GET", "/v1/query", None, {"from": FROM, "to": TO, "limit": 1000}),
        ("POST", "/v1/funnel", {"from": FROM, "to": TO, "steps": [{"event": "durable"}, {"event": "durable"}]}, None),
    ]
    before = [request(fresh, m, p, b, key=fresh.keys["sk"], params=q).json() for m, p, b, q in queries]
    fresh.restart()
    after = [request(fresh, m, p, b, key=fresh.keys["sk"], params=q).json() for m, p, b, q in queries]
    assert before == after


def test_kill9_during_batch_stream_loses_nothing_acknowledged(fresh):
    rng = random.Random(7)
    acked, sent = set(), set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        n = 0
        while not stop.is_set():
            body = make_batch(f"w{w}b{n}", 100)
            ids = {e["event_id"] for e in body["events"]}
            with lock:
                sent.update(ids)
            try:
                r = request(fresh, "POST", "/v1/batch", body, key=fresh.keys["sk"])
                if r.status == 202:
                    with lock:
                        acked.update(ids)
            except Exception:
                pass  # the server died mid-request: this batch was never acknowledged
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5 + rng.random())
    fresh.kill9()
    stop.set()
    for t in threads:
        t.join()
    assert acked, "no batch was acknowledged before the kill"
    fresh.port = fresh.port  # same data directory, new process
    fresh.start()
    stored = all_event_ids(fresh, fresh.keys["sk"])
    assert len(stored) == len(set(stored)), "an event is stored twice"
    assert acked <= set(stored), f"{len(acked - set(stored))} acknowledged events were lost"
    assert set(stored) <= sent
    # Whole batches: a batch is all-or-nothing even across a crash.
    by_batch = {}
    for eid in stored:
        by_batch.setdefault(eid.rsplit("-", 1)[0], 0)
        by_batch[eid.rsplit("-", 1)[0]] += 1
    assert set(by_batch.values()) == {100}


def test_a_retried_identify_is_stored_once_also_after_restart(fresh):
    body = {"anonymous_id": "idem-anon", "user_id": "idem-user", "timestamp": "2026-06-01T10:00:00Z"}
    for _ in range(3):
        assert request(fresh, "POST", "/v1/identify", body, key=fresh.keys["sk"]).status == 200

    def identify_rows():
        r = request(fresh, "GET", "/v1/query", key=fresh.keys["sk"], params={"from": FROM, "to": TO, "event": "$identify"})
        return [(e["anonymous_id"], e["user_id"]) for e in r.json()["events"]]

    assert identify_rows() == [("idem-anon", "idem-user")]
    fresh.restart()
    assert identify_rows() == [("idem-anon", "idem-user")]
    later = dict(body, timestamp="2026-06-01T11:00:00Z")  # a new identify of the same pair is stored
    assert request(fresh, "POST", "/v1/identify", later, key=fresh.keys["sk"]).status == 200
    assert identify_rows() == [("idem-anon", "idem-user")] * 2
