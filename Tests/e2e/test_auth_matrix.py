"""Every endpoint x {no key, wrong key, each key kind, pk with allowed/other/missing Origin}."""
import pytest

from conftest import ORIGIN
from tmhttp import request

RANGE = {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"}
EVENT = {"event": "auth_probe", "anonymous_id": "auth"}

# (name, method, path, body, params, action)
ENDPOINTS = [
    ("track", "POST", "/v1/track", EVENT, None, "write"),
    ("batch", "POST", "/v1/batch", {"events": [EVENT]}, None, "write"),
    ("identify", "POST", "/v1/identify", {"anonymous_id": "auth", "user_id": "auth_user"}, None, "write"),
    ("query", "GET", "/v1/query", None, RANGE, "read"),
    ("stats", "GET", "/v1/stats", None, {"metric": "count"}, "read"),
    ("sources", "GET", "/v1/sources", None, None, "read"),
    ("user", "GET", "/v1/users/auth_user", None, None, "read"),
    ("funnel_get", "GET", "/v1/funnel", None, dict(RANGE, steps="a,b"), "read"),
    ("funnel_post", "POST", "/v1/funnel", dict(RANGE, steps=[{"event": "a"}, {"event": "b"}]), None, "read"),
    ("forget", "DELETE", "/v1/users/nobody_here", None, None, "forget"),
]

# (caller, key name or literal, origin) -> which actions succeed
CALLERS = [
    ("no_key", None, None),
    ("wrong_key", "sk_live_AAAAAAAA_notarealsecret", None),
    ("malformed_key", "Basic abc", None),
    ("sk", "sk", None),
    ("rk", "rk", None),
    ("pk_allowed_origin", "pk", ORIGIN),
    ("pk_other_origin", "pk", "https://evil.example"),
    ("pk_missing_origin", "pk", None),
]


def expected(caller, action):
    if caller in ("no_key", "wrong_key", "malformed_key"):
        return 401, "unauthorized"
    if caller == "sk":
        return "ok", None
    if caller == "rk":
        return ("ok", None) if action == "read" else (403, "forbidden")
    # public keys
    if action != "write":
        return 403, "forbidden"
    if caller == "pk_allowed_origin":
        return "ok", None
    return 403, "origin_not_allowed"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("caller", CALLERS, ids=[c[0] for c in CALLERS])
def test_auth(server, endpoint, caller):
    name, method, path, body, params, action = endpoint
    who, key, origin = caller
    headers = {"Origin": origin} if origin else {}
    if key in server.keys:
        key = server.keys[key]
    if key and key.startswith("Basic"):
        headers["Authorization"] = key
        key = None
    r = request(server, method, path, body, key=key, headers=headers, params=params)
    status, code = expected(who, action)
    if status == "ok":
        assert 200 <= r.status < 300, r
        if who == "pk_allowed_origin":
            assert r.headers.get("access-control-allow-origin") == ORIGIN
    else:
        assert r.status == status, r
        assert r.json()["error"] == code, r


def test_health_and_metrics_need_no_key(server):
    r = request(server, "GET", "/v1/health")
    assert r.status == 200 and r.json()["status"] == "ok"
    r = request(server, "GET", "/metrics")
    assert r.status == 200 and b"# TYPE" in r.body


def test_cors_preflight(server):
    r = request(server, "OPTIONS", "/v1/track", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status == 204, r
    assert r.headers.get("access-control-allow-origin") == ORIGIN
    assert "POST" in r.headers.get("access-control-allow-methods", "")
    assert "authorization" in r.headers.get("access-control-allow-headers", "").lower()
    r = request(server, "OPTIONS", "/v1/track", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert r.status == 403 and r.json()["error"] == "origin_not_allowed"
