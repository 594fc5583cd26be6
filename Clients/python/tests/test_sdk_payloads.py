"""What the client sends: payload shape, identify and user defaults, input checks at the
call site, options, and the anonymous id store."""
import datetime as dt
import math

import pytest

import trailmark
from trailmark import Client, FileAnonymousIdStore, MemoryAnonymousIdStore


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
