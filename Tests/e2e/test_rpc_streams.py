"""Binary RPC streams end to end: EventsStream pages, TrackStream acks (one per batch, in order,
retries as duplicates), and kill -9 during concurrent TrackStreams loses nothing acknowledged."""
import random
import threading
import time

import h2.exceptions

from rpc_support import FROM, H, T0, TO, US
from server import Server
from tmhttp import request
from trailmark_rpc import Channel, RpcError


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
