"""The seed recipes, end to end against the real binary, over HTTP/1.1 and HTTP/2."""
import subprocess

import pytest

from tmhttp import request

FROM, TO = "2026-05-01T00:00:00Z", "2026-05-17T00:00:00Z"
FB_URL = "https://acme.io/?fbclid=abc123"
FB_REF = "https://l.facebook.com/"


def timeline(anon, user, day0=5):
    """The anonymous-to-known recipe's timeline, for one anonymous id and user."""
    def t(day, hm):
        return f"2026-05-{day0 + day - 1:02d}T{hm}:00Z"
    return [
        ("track", {"event": "$pageview", "anonymous_id": anon, "timestamp": t(1, "14:00"), "url": FB_URL, "referrer": FB_REF}),
        ("track", {"event": "clicked_pricing", "anonymous_id": anon, "timestamp": t(1, "14:02"), "url": FB_URL, "referrer": FB_REF}),
        ("track", {"event": "$pageview", "anonymous_id": anon, "timestamp": t(5, "09:30"), "url": "https://acme.io/"}),
        ("identify", {"anonymous_id": anon, "user_id": user, "timestamp": t(7, "11:14")}),
        ("track", {"event": "signup", "anonymous_id": anon, "user_id": user, "timestamp": t(7, "11:14")}),
        ("track", {"event": "feature_used", "anonymous_id": anon, "user_id": user, "timestamp": t(9, "16:22")}),
    ]


@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "h2"])
def test_anonymous_to_known(server, http2):
    anon, user = f"u_abc_{int(http2)}", f"user_42_{int(http2)}"
    for kind, body in timeline(anon, user):
        r = request(server, "POST", f"/v1/{kind}", body, key=server.keys["sk"], http2=http2)
        assert r.status == (202 if kind == "track" else 200), r
        assert r.json()["ok"] is True

    r = request(server, "GET", f"/v1/users/{user}", key=server.keys["rk"], params={"conversion_event": "signup"}, http2=http2)
    assert r.status == 200, r
    u = r.json()
    assert u["anonymous_ids"] == [anon]
    assert u["first_touch"]["event"] == "$pageview"
    assert (u["first_touch"]["source"], u["first_touch"]["medium"]) == ("facebook", "paid")
    assert [e["event"] for e in u["prelogin"]] == ["$pageview", "clicked_pricing", "$pageview"]
    assert all(e["user_id"] is None and e["user"] == user for e in u["prelogin"])
    # Day 7 11:14 minus Day 1 14:00 = 5 days 21 h 14 min.
    assert u["time_to_conversion"]["us"] == ((5 * 24 + 21) * 60 + 14) * 60 * 1_000_000

    r = request(server, "GET", "/v1/query", key=server.keys["rk"], http2=http2,
                params={"from": FROM, "to": TO, "user_id": user, "limit": 100})
    rows = r.json()["events"]
    assert [e["event"] for e in rows] == ["$pageview", "clicked_pricing", "$pageview", "$identify", "signup", "feature_used"]
    assert [e["user_id"] for e in rows[:3]] == [None, None, None]   # history is never rewritten
    assert {e["user"] for e in rows} == {user}
    assert rows[2]["source"] == "direct" and rows[3]["source"] == "direct"
    assert all(isinstance(e["timestamp_us"], int) and e["timestamp"].endswith("Z") for e in rows)


def test_signup_funnel_recipe(server):
    """Five steps, ordering s_n >= s_{n-1}; the stats loop of the recipe with jq."""
    steps = ["$pageview", "clicked_cta", "viewed_signup_form", "signup", "activated"]
    # visitor i does the first (5 - i % 5) steps, an hour apart; one does them out of order.
    events = []
    for i in range(20):
        n = 5 - i % 5
        for k in range(n):
            events.append({"event": steps[k], "anonymous_id": f"funnel_{i}",
                           "timestamp": f"2026-05-10T{k + 1:02d}:00:00Z",
                           "properties": {"location": "hero"} if k == 1 else {}})
    events.append({"event": "signup", "anonymous_id": "deeplink", "timestamp": "2026-05-10T01:00:00Z"})
    events.append({"event": "viewed_signup_form", "anonymous_id": "deeplink", "timestamp": "2026-05-10T02:00:00Z"})
    events.append({"event": "$pageview", "anonymous_id": "deeplink", "timestamp": "2026-05-10T00:30:00Z"})
    events.append({"event": "clicked_cta", "anonymous_id": "deeplink", "timestamp": "2026-05-10T00:45:00Z"})
    r = request(server, "POST", "/v1/batch", {"events": events}, key=server.keys["sk"])
    assert r.status == 202 and r.json()["accepted"] == len(events), r

    base = f"{server.base}/v1/stats"
    uniques = []
    for ev in steps:
        out = subprocess.run(
            ["curl", "-sG", base, "-H", f"Authorization: Bearer {server.keys['rk']}",
             "--data-urlencode", "metric=uniques", "--data-urlencode", "from=2026-05-10T00:00:00Z",
             "--data-urlencode", "to=2026-05-11T00:00:00Z", "--data-urlencode", f"event={ev}"],
            check=True, capture_output=True)
        lines = subprocess.run(["jq", "-r", ".metric, .rows[0].value"], input=out.stdout.decode(),
                               check=True, capture_output=True, text=True).stdout.split()
        assert lines[0] == "uniques"
        uniques.append(int(lines[1]))
    assert uniques == [21, 17, 13, 9, 4]

    r = request(server, "POST", "/v1/funnel", key=server.keys["rk"], body={
        "from": "2026-05-10T00:00:00Z", "to": "2026-05-11T00:00:00Z",
        "steps": [{"event": s} for s in steps]})
    assert r.status == 200, r
    group = r.json()["groups"][0]
    assert group["key"] is None
    # "deeplink" signed up before it viewed the form (it came back through a deep link):
    # it reaches the form step and stops there.
    assert [s["reached"] for s in group["steps"]] == [21, 17, 13, 8, 4]
    assert group["steps"][0]["conversion"] == 1.0
    assert abs(group["steps"][4]["overall"] - 4 / 21) < 1e-12
    assert group["time_to_complete"]["n"] == 4
    assert group["time_to_complete"]["median_us"] == 4 * 3600 * 1_000_000

    r = request(server, "GET", "/v1/query", key=server.keys["rk"],
                params={"from": FROM, "to": TO, "event": "clicked_cta", "limit": 10})
    rows = r.json()["events"]
    assert len(rows) == 10 and all(e["properties"] == {"location": "hero"} for e in rows[:10] if e["anonymous_id"] != "deeplink")
    assert r.json()["next_cursor"] is not None


def test_facebook_paid_and_social_are_different_rows(server):
    events = [
        {"event": "$pageview", "anonymous_id": "fbp", "timestamp": "2026-05-12T00:00:00Z", "url": FB_URL, "referrer": FB_REF},
        {"event": "$pageview", "anonymous_id": "fbs", "timestamp": "2026-05-12T00:00:00Z", "url": "https://acme.io/", "referrer": "https://www.facebook.com/"},
    ]
    assert request(server, "POST", "/v1/batch", {"events": events}, key=server.keys["sk"]).status == 202
    r = request(server, "GET", "/v1/sources", key=server.keys["rk"],
                params={"from": "2026-05-12T00:00:00Z", "to": "2026-05-13T00:00:00Z"})
    rows = {(s["source"], s["medium"]): s for s in r.json()["sources"]}
    assert rows[("facebook", "paid")]["events"] == 1
    assert rows[("facebook", "social")]["events"] == 1
