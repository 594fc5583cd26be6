"""The client against an in-process fake gateway: batching, queue overflow, retries
and their backoff, refusals, bad-event splitting, flush and shutdown, concurrency."""
import socket
import threading
import time

import pytest

from fake_gateway import FakeGateway, Reply, ack, error
from trailmark import Client, DeliveryFailure, RetryPolicy


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


def test_shutdown_timeout_abandons_a_dead_server():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Client(f"http://127.0.0.1:{port}", "sk_x", shutdown_at_exit=False, retry_base=5, retry_cap=5,
               max_retries=None)
    c.track("e")
    assert c.shutdown(timeout=0.5) is False
    c._worker.join(5)
    assert not c._worker.is_alive()
