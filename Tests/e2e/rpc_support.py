"""The data set and helpers shared by the binary RPC end-to-end tests (`test_rpc_*.py`): times in
µs, ~150 events of 30 visitors with identifies, raw calls and the status checks."""
import random

from tmhttp import request
from trailmark_rpc import Channel

US = 1_000_000
H = 3600 * US
T0 = 1785542400 * US                      # 2026-08-01T00:00:00Z
FROM, TO = T0, T0 + 5 * 24 * H

URLS = [
    ("https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring", None),
    ("https://shop.example/?fbclid=abc", "https://l.facebook.com/"),
    ("https://shop.example/", "https://www.google.com/"),
    ("https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=aug", None),
    (None, None),
]


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


def raw_call(server, method, data, key="sk", **kw):
    """Sends raw bytes on one call and waits for its end."""
    with Channel.to(server, key=server.keys.get(key, key)) as ch:
        call = ch.open(method, **kw)
        call.send_raw(data, end=True)
        return call.wait()


def count_all(server):
    return request(server, "GET", "/v1/stats", key=server.keys["sk"], params={"metric": "count"}).json()["rows"][0]["value"]


GOOD = {"events": [{"event": "err", "anonymous_id": "e"}]}


def expect_status(call, code, *fragments):
    assert call.http_status == 200, call.headers
    assert call.code == code, (call.code, call.message)
    for f in fragments:
        assert f in call.message, (f, call.message)
