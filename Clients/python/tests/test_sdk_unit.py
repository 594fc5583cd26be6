"""The client against an in-process fake gateway: batching, queue overflow, retries
and their backoff, refusals, flush/shutdown, payload shape, input validation."""
import datetime as dt
import math
import threading
import time

import pytest

import trailmark
from fake_gateway import FakeGateway, Reply, error
from trailmark import Client, DeliveryFailure, FileAnonymousIdStore, MemoryAnonymousIdStore, RetryPolicy


@pytest.fixture()
def gateway():
    g = FakeGateway()
    yield g
    g.close()


@pytest.fixture()
def clients():
    made = []

    def make(gateway, **options):
        options.setdefault("shutdown_at_exit", False)
        options.setdefault("flush_interval", 60)
        c = Client(gateway.url, "sk_live_test_secret", **options)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown(timeout=5)


def no_sleep(client):
    """Makes backoff instant and records the delays the client chose."""
    delays = []

    def sleep(seconds):
        delays.append(seconds)
        return False

    client._sleep = sleep
    return delays


def wait_until(predicate, timeout=10):
    """Polls ``predicate`` (state another thread changes) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


# --- batching ---

def test_batches_by_count_leave_the_rest_queued(gateway, clients):
    c = clients(gateway, flush_at=10)
    ids = [c.track("view", {"i": i}) for i in range(9)]
    assert c.stats.queued == 9 and gateway.requests == []  # below flush_at, interval 60 s away
    ids.append(c.track("view", {"i": 9}))
    first = gateway.wait_requests(1)[0]
    assert [e["event_id"] for e in first.json["events"]] == ids
    wait_until(lambda: c.stats.sent == 10)
    more = [c.track("view", {"i": i}) for i in range(5)]
    assert c.stats.queued == 5 and len(gateway.requests) == 1
    assert c.flush() is True
    assert [e["event_id"] for e in gateway.requests[1].json["events"]] == more
    assert c.stats.sent == 15 and c.stats.batches == 2 and c.stats.queued == 0


def test_batches_by_interval_without_flush(gateway, clients):
    c = clients(gateway, flush_at=1000, flush_interval=0.2)
    ids = [c.track("tick") for _ in range(3)]
    requests = gateway.wait_requests(1)
    assert [e["event_id"] for e in requests[0].json["events"]] == ids


def test_batch_size_is_capped_by_max_batch_events_and_bytes(gateway, clients):
    c = clients(gateway, flush_at=10_000, max_batch_events=7, max_batch_bytes=4096)
    for i in range(20):
        c.track("small", {"i": i})
    for i in range(3):
        c.track("big", {"blob": "x" * 1500})
    assert c.flush()
    sizes = [len(r.json["events"]) for r in gateway.requests]
    assert sizes == [7, 7, 7, 2]  # the count cap, then 3 x 1.5 KB do not fit in 4 KiB
    assert [e["event"] for e in gateway.events()] == ["small"] * 20 + ["big"] * 3


def test_one_keep_alive_connection_for_many_batches(gateway, clients):
    c = clients(gateway, flush_at=5)
    for i in range(10):
        for j in range(5):
            c.track("e")
        gateway.wait_requests(i + 1)
    assert c.flush()
    assert len(gateway.requests) == 10 and {r.connection for r in gateway.requests} == {1}


def test_queue_overflow_drops_the_oldest_and_counts(gateway, clients):
    gate = threading.Event()
    gateway.script = [Reply(202, {"ok": True, "accepted": 1, "duplicates": 0}, gate=gate)]
    c = clients(gateway, flush_at=1, max_queue_size=5)
    first = c.track("e0")
    gateway.wait_requests(1)  # e0 is in flight, held by the gate
    names = [f"e{i}" for i in range(1, 9)]
    for name in names:
        c.track(name)  # never blocks, although nothing can be sent
    assert c.dropped == 3 and c.stats.queued == 6  # 5 queued + 1 in flight
    gate.set()
    assert c.flush()
    assert [e["event"] for e in gateway.events()] == ["e0", "e4", "e5", "e6", "e7", "e8"]
    assert gateway.events()[0]["event_id"] == first


# --- retries ---

def test_transient_failures_are_retried_with_the_same_event_ids(gateway, clients):
    gateway.script = [error(503, "unavailable"), Reply(drop=True), Reply(delay=1.5), error(500, "internal")]
    c = clients(gateway, flush_at=1000, timeout=0.5)
    delays = no_sleep(c)
    ids = [c.track("e", {"i": i}) for i in range(4)]
    assert c.flush(timeout=30)
    batches = [r for r in gateway.requests if r.path == "/v1/batch"]
    assert len(batches) == 5
    for r in batches:
        assert [e["event_id"] for e in r.json["events"]] == ids
    # The drop hit a connection that had served a request: like a stale keep-alive socket
    # it is retried at once on a fresh connection, without a backoff or a retry count.
    assert len(delays) == 3 and c.stats.retries == 3 and c.stats.sent == 4
    assert len({r.connection for r in batches}) >= 3  # the drop and the timeout reopened it


def test_a_keep_alive_connection_closed_by_the_server_is_reopened_without_backoff(gateway, clients):
    gateway.script = [Reply(202, {"ok": True, "accepted": 1, "duplicates": 0}, close_after=True)]
    c = clients(gateway)
    delays = no_sleep(c)
    c.track("one")
    assert c.flush()
    two = c.track("two")
    assert c.flush()
    assert gateway.events()[-1]["event_id"] == two and c.stats.sent == 2
    assert delays == [] and c.stats.retries == 0
    assert [r.connection for r in gateway.requests] == [1, 2]


def test_retry_after_is_honoured_exactly(gateway, clients):
    gateway.script = [error(429, "rate_limited", retry_after=3), error(503, "unavailable", retry_after=1)]
    c = clients(gateway, retry_base=0.05, retry_cap=0.2)
    delays = no_sleep(c)
    c.track("e")
    assert c.flush()
    assert delays == [3.0, 1.0]  # not the jittered 0..0.2 s backoff
    assert len(gateway.requests) == 3


def test_retry_after_really_waits(gateway, clients):
    gateway.script = [error(429, "rate_limited", retry_after=1)]
    c = clients(gateway, retry_base=0.0, retry_cap=0.0)
    c.track("e")
    assert c.flush()
    first, second = gateway.requests[0], gateway.requests[1]
    assert second.json["sent_at"] - first.json["sent_at"] >= 1_000_000  # µs; sent_at renewed per attempt


def test_backoff_is_full_jitter_within_the_capped_ceiling(gateway, clients):
    policy = RetryPolicy(base=0.1, cap=1.0, max_retries=None)
    assert [policy.ceiling(n) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    samples = [policy.delay(3) for _ in range(2000)]
    assert all(0 <= s <= 0.8 for s in samples)
    assert min(samples) < 0.1 and max(samples) > 0.7  # spread over the whole range, not fixed
    gateway.script = [error(503, "unavailable") for _ in range(6)]
    c = clients(gateway, retry_base=0.1, retry_cap=1.0)
    delays = no_sleep(c)
    c.track("e")
    assert c.flush()
    assert len(delays) == 6
    assert all(0 <= d <= c.retry.ceiling(n) for n, d in enumerate(delays))


@pytest.mark.parametrize("status,code", [(400, "invalid_event"), (401, "unauthorized"), (403, "forbidden"),
                                         (413, "payload_too_large")])
def test_final_refusals_are_not_retried_and_are_reported(gateway, clients, status, code):
    gateway.script = [error(status, code)]
    failures = []
    c = clients(gateway, on_error=failures.append)
    delays = no_sleep(c)
    ids = [c.track("e") for _ in range(3)]
    assert c.flush()  # settled: refused for good
    assert len(gateway.requests) == 1 and delays == []
    assert len(failures) == 1
    f = failures[0]
    assert isinstance(f, DeliveryFailure) and f.discarded and f.event_ids == ids
    assert f.error.code == code and f.error.status == status and not f.error.retryable
    assert c.stats.rejected == 3 and c.stats.sent == 0 and c.stats.retries == 0


def test_a_bad_event_named_by_the_server_is_split_out_and_the_rest_resent(clients):
    def validating(request):
        for i, event in enumerate(request.json["events"]):
            if event.get("properties", {}).get("bad"):
                return error(400, "invalid_event", f"events[{i}].properties.bad is bad",
                             field=f"events[{i}].properties.bad")
        return Reply(202, {"ok": True, "accepted": len(request.json["events"]), "duplicates": 0})

    gateway = FakeGateway(default=validating)
    try:
        failures = []
        c = clients(gateway, on_error=failures.append)
        ids = [c.track("e", {"bad": i in (1, 3)}) for i in range(5)]
        assert c.flush()
        assert [len(r.json["events"]) for r in gateway.requests] == [5, 4, 3]
        assert [e["event_id"] for e in gateway.requests[-1].json["events"]] == [ids[0], ids[2], ids[4]]
        assert [f.event_ids for f in failures] == [[ids[1]], [ids[3]]]
        assert all(f.error.field.startswith("events[") for f in failures)
        assert c.stats.sent == 3 and c.stats.rejected == 2
    finally:
        gateway.close()


def test_retries_exhausted_keep_the_events_for_a_later_flush(gateway, clients):
    gateway.default = lambda r: error(503, "unavailable")
    failures = []
    c = clients(gateway, max_retries=2, on_error=failures.append)
    no_sleep(c)
    ids = [c.track("e") for _ in range(4)]
    assert c.flush() is False
    assert len(gateway.requests) == 3  # first attempt + 2 retries
    assert len(failures) == 1 and not failures[0].discarded and failures[0].event_ids == ids
    assert c.stats.queued == 4 and c.stats.rejected == 0
    from fake_gateway import ack
    gateway.default = ack
    assert c.flush() is True
    assert [e["event_id"] for e in gateway.requests[-1].json["events"]] == ids
    assert c.stats.sent == 4 and c.stats.queued == 0


def test_worker_survives_an_on_error_that_raises(gateway, clients):
    gateway.script = [error(400, "invalid_event")]

    def explode(failure):
        raise RuntimeError("callback bug")

    c = clients(gateway, on_error=explode)
    c.track("lost")
    assert c.flush()
    kept = c.track("kept")
    assert c.flush()
    assert gateway.events()[-1]["event_id"] == kept and c._worker.is_alive()


def test_many_threads_track_at_once_without_losing_or_blocking(gateway, clients):
    c = clients(gateway, flush_at=50, max_batch_events=100)
    made = [[] for _ in range(8)]

    def worker(n):
        for i in range(500):
            made[n].append(c.track("t", {"thread": n, "i": i}))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.flush() is True
    sent = [e["event_id"] for e in gateway.events()]
    assert sorted(sent) == sorted(i for ids in made for i in ids) and len(set(sent)) == 4000
    for n in range(8):  # each thread's events keep their order
        assert [e["properties"]["i"] for e in gateway.events() if e["properties"]["thread"] == n] == list(range(500))
    assert c.stats.sent == 4000 and c.dropped == 0


def test_overflow_under_concurrency_counts_every_event(gateway, clients):
    gate = threading.Event()
    gateway.script = [Reply(gate=gate)]
    c = clients(gateway, flush_at=1, max_queue_size=100)
    c.track("first")
    gateway.wait_requests(1)
    threads = [threading.Thread(target=lambda: [c.track("t") for _ in range(1000)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.dropped == 4000 - 100 and c.stats.queued == 101
    gate.set()
    assert c.flush() is True
    assert c.stats.sent == 101 and len(gateway.events()) == 101


# --- flush and shutdown ---

def test_flush_waits_for_the_acknowledgement(gateway, clients):
    gateway.script = [Reply(delay=0.5)]
    c = clients(gateway)
    assert c.flush() is True  # nothing queued
    eid = c.track("e")
    assert c.flush() is True
    assert c.stats.sent == 1 and gateway.events()[0]["event_id"] == eid


def test_flush_timeout_returns_false_while_the_request_is_pending(gateway, clients):
    gate = threading.Event()
    gateway.script = [Reply(gate=gate)]
    c = clients(gateway)
    c.track("e")
    assert c.flush(timeout=0.2) is False
    gate.set()
    assert c.flush() is True


def test_shutdown_flushes_stops_the_worker_and_ignores_later_events(gateway, clients):
    c = clients(gateway, flush_at=1000)
    ids = [c.track("e") for _ in range(7)]
    c.identify("u1")
    assert c.shutdown() is True
    assert not c._worker.is_alive()
    assert [e["event_id"] for e in gateway.events()] == ids
    assert [r.path for r in gateway.requests] == ["/v1/batch", "/v1/identify"]
    assert c.track("late") is None
    assert c.shutdown() is True  # idempotent
    assert len(gateway.requests) == 2


def test_shutdown_timeout_abandons_a_dead_server(clients):
    c = Client("http://127.0.0.1:9", "sk_x", shutdown_at_exit=False, retry_base=5, retry_cap=5, max_retries=None)
    c.track("e")
    assert c.shutdown(timeout=0.5) is False
    c._worker.join(5)
    assert not c._worker.is_alive()


# --- payloads ---

def test_payload_shape_identify_and_user_defaults(gateway, clients):
    c = clients(gateway)
    before = trailmark.validation.now_micros()
    a = c.track("page", {"plan": "pro", "n": 1.5, "ok": True, "none": None}, url="https://x.io/?utm_source=a",
                referrer="https://google.com", session_id="s1", path="/p")
    c.identify("user-1", {"email": "a@b.c"})
    b = c.track("after", timestamp=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    other = c.track("other device", anonymous_id="dev-2")
    mine = c.track("explicit", event_id="my-id", user_id="someone", timestamp="2026-06-01T00:00:00.5+02:00")
    assert c.flush()
    events = gateway.events()
    batches = [r for r in gateway.requests if r.path == "/v1/batch"]
    assert all(isinstance(r.json["sent_at"], int) and r.json["sent_at"] >= before for r in batches)
    assert all(r.headers["Authorization"] == "Bearer sk_live_test_secret" for r in gateway.requests)
    e = events[0]
    assert e == {"event": "page", "anonymous_id": c.anonymous_id, "event_id": a, "timestamp": e["timestamp"],
                 "session_id": "s1", "url": "https://x.io/?utm_source=a", "path": "/p",
                 "referrer": "https://google.com", "properties": {"plan": "pro", "n": 1.5, "ok": True, "none": None}}
    assert e["timestamp"] >= before
    identify = next(r.json for r in gateway.requests if r.path == "/v1/identify")
    assert identify["anonymous_id"] == c.anonymous_id and identify["user_id"] == "user-1"
    assert identify["traits"] == {"email": "a@b.c"}
    by_id = {e["event_id"]: e for e in events}
    assert by_id[b]["user_id"] == "user-1" and by_id[b]["timestamp"] == 1_780_272_000_000_000
    assert by_id[other]["anonymous_id"] == "dev-2" and "user_id" not in by_id[other]
    assert mine == "my-id" and by_id[mine]["user_id"] == "someone"
    assert by_id[mine]["timestamp"] == 1_780_272_000_000_000 - 2 * 3600 * 1_000_000 + 500_000


def test_properties_are_copied_at_track_time(gateway, clients):
    c = clients(gateway)
    props = {"a": 1}
    c.track("e", props)
    props["a"] = 2
    assert c.flush()
    assert gateway.events()[0]["properties"] == {"a": 1}


@pytest.mark.parametrize("call,field", [
    (lambda c: c.track(""), "event"),
    (lambda c: c.track(None), "event"),
    (lambda c: c.track(7), "event"),
    (lambda c: c.track("x" * 201), "event"),
    (lambda c: c.track("é" * 101), "event"),  # 202 bytes
    (lambda c: c.track("e", {"nested": {"a": 1}}), "properties.nested"),
    (lambda c: c.track("e", {"list": [1]}), "properties.list"),
    (lambda c: c.track("e", {"nan": math.nan}), "properties.nan"),
    (lambda c: c.track("e", {"k" * 257: 1}), "properties"),
    (lambda c: c.track("e", {"big": "x" * 70_000}), "properties"),
    (lambda c: c.track("e", ["not", "a", "map"]), "properties"),
    (lambda c: c.track("e", user_id=""), "user_id"),
    (lambda c: c.track("e", session_id="s" * 129), "session_id"),
    (lambda c: c.track("e", url="u" * 2049), "url"),
    (lambda c: c.track("e", event_id="i" * 129), "event_id"),
    (lambda c: c.track("e", anonymous_id=""), "anonymous_id or user_id"),
    (lambda c: c.track("e", timestamp="yesterday"), "timestamp"),
    (lambda c: c.track("e", timestamp="2026-06-01T00:00:00"), "timestamp"),
    (lambda c: c.track("e", timestamp=-1), "timestamp"),
    (lambda c: c.track("e", timestamp=1.5), "timestamp"),
    (lambda c: c.track("e\ud800"), "event"),
    (lambda c: c.identify(""), "user_id"),
    (lambda c: c.identify(None), "user_id"),
    (lambda c: c.identify("u", anonymous_id=""), "anonymous_id"),
    (lambda c: c.identify("u", {"t": object()}), "traits.t"),
])
def test_bad_input_raises_naming_the_field_and_queues_nothing(gateway, clients, call, field):
    c = clients(gateway)
    with pytest.raises((ValueError, TypeError)) as info:
        call(c)
    assert str(info.value).startswith(field), str(info.value)
    assert c.stats.queued == 0


def test_bad_options_are_refused():
    for options in ({"max_batch_events": 1001}, {"flush_at": 0}, {"max_queue_size": 0}, {"flush_interval": 0}):
        with pytest.raises(ValueError):
            Client("http://127.0.0.1:9", "sk_x", shutdown_at_exit=False, **options)
    for host in ("ftp://x", "", "https://x:notaport", "https://x/path"):
        with pytest.raises(ValueError, match="host"):
            Client(host, "sk_x", shutdown_at_exit=False)


# --- anonymous id ---

def test_anonymous_id_is_made_once_and_kept_by_the_store(tmp_path, gateway, clients):
    path = tmp_path / "state" / "anonymous_id"
    first = clients(gateway, anonymous_id_store=FileAnonymousIdStore(path))
    again = clients(gateway, anonymous_id_store=FileAnonymousIdStore(path))
    assert first.anonymous_id == again.anonymous_id == path.read_text().strip()
    memory = MemoryAnonymousIdStore("fixed-anon")
    assert clients(gateway, anonymous_id_store=memory).anonymous_id == "fixed-anon"
    first.identify("u")
    first.reset()
    assert first.user_id is None and first.anonymous_id != again.anonymous_id
    assert FileAnonymousIdStore(path).load() == first.anonymous_id
