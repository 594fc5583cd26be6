"""The bad-input matrix: every case gets its documented status, error code and field,
and the stored data is unchanged afterwards (all-or-nothing)."""
import json

import pytest

from tmhttp import request

OK_EVENT = {"event": "good", "anonymous_id": "bad_input_anon"}
LONG = lambda n: "x" * n  # noqa: E731


def ev(**fields):
    e = dict(OK_EVENT)
    e.update(fields)
    return {k: v for k, v in e.items() if v is not ...}


def batch(*events):
    return {"events": list(events)}


RANGE = {"from": "2026-05-01T00:00:00Z", "to": "2026-05-17T00:00:00Z"}
FUNNEL = {"from": "2026-05-01T00:00:00Z", "to": "2026-05-17T00:00:00Z", "steps": [{"event": "a"}, {"event": "b"}]}


def funnel(**over):
    f = json.loads(json.dumps(FUNNEL))
    for k, v in over.items():
        if v is ...:
            f.pop(k, None)
        else:
            f[k] = v
    return f


# (id, method, path, body, params, content_type, status, code, field)
T, B, I, Q, S, F = "/v1/track", "/v1/batch", "/v1/identify", "/v1/query", "/v1/stats", "/v1/funnel"
J = "application/json"
CASES = [
    # --- /v1/track: syntax ---
    ("track_not_json", "POST", T, b"not json", None, J, 400, "invalid_json", None),
    ("track_empty_body", "POST", T, b"", None, J, 400, "invalid_json", None),
    ("track_trailing_garbage", "POST", T, b'{"event":"a","anonymous_id":"x"} x', None, J, 400, "invalid_json", None),
    ("track_invalid_utf8", "POST", T, b'{"event":"\xc3\x28","anonymous_id":"x"}', None, J, 400, "invalid_json", None),
    ("track_deep_nesting", "POST", T, b'{"event":' + b"[" * 64 + b"]" * 64 + b"}", None, J, 400, "invalid_json", None),
    ("track_lone_surrogate", "POST", T, b'{"event":"\\ud800","anonymous_id":"x"}', None, J, 400, "invalid_json", None),
    ("track_nan", "POST", T, b'{"event":"a","anonymous_id":"x","properties":{"n":NaN}}', None, J, 400, "invalid_json", None),
    ("track_array_body", "POST", T, [], None, J, 400, "invalid_event", None),
    ("track_string_body", "POST", T, b'"hello"', None, J, 400, "invalid_event", None),
    # --- /v1/track: fields ---
    ("track_no_event", "POST", T, ev(event=...), None, J, 400, "invalid_event", "event"),
    ("track_event_null", "POST", T, ev(event=None), None, J, 400, "invalid_event", "event"),
    ("track_event_number", "POST", T, ev(event=1), None, J, 400, "invalid_event", "event"),
    ("track_event_empty", "POST", T, ev(event=""), None, J, 400, "invalid_event", "event"),
    ("track_event_201", "POST", T, ev(event=LONG(201)), None, J, 400, "invalid_event", "event"),
    ("track_event_multibyte_201", "POST", T, ev(event="é" * 101), None, J, 400, "invalid_event", "event"),
    ("track_no_ids", "POST", T, ev(anonymous_id=...), None, J, 400, "invalid_event", "anonymous_id"),
    ("track_empty_ids", "POST", T, ev(anonymous_id=""), None, J, 400, "invalid_event", "anonymous_id"),
    ("track_anon_201", "POST", T, ev(anonymous_id=LONG(201)), None, J, 400, "invalid_event", "anonymous_id"),
    ("track_anon_number", "POST", T, ev(anonymous_id=7), None, J, 400, "invalid_event", "anonymous_id"),
    ("track_user_empty", "POST", T, ev(user_id=""), None, J, 400, "invalid_event", "user_id"),
    ("track_user_257", "POST", T, ev(user_id=LONG(257)), None, J, 400, "invalid_event", "user_id"),
    ("track_user_number", "POST", T, ev(user_id=42), None, J, 400, "invalid_event", "user_id"),
    ("track_user_object", "POST", T, ev(user_id={"id": 1}), None, J, 400, "invalid_event", "user_id"),
    ("track_session_129", "POST", T, ev(session_id=LONG(129)), None, J, 400, "invalid_event", "session_id"),
    ("track_session_bool", "POST", T, ev(session_id=True), None, J, 400, "invalid_event", "session_id"),
    ("track_event_id_129", "POST", T, ev(event_id=LONG(129)), None, J, 400, "invalid_event", "event_id"),
    ("track_event_id_number", "POST", T, ev(event_id=5), None, J, 400, "invalid_event", "event_id"),
    ("track_url_2049", "POST", T, ev(url=LONG(2049)), None, J, 400, "invalid_event", "url"),
    ("track_url_number", "POST", T, ev(url=1), None, J, 400, "invalid_event", "url"),
    ("track_path_2049", "POST", T, ev(path=LONG(2049)), None, J, 400, "invalid_event", "path"),
    ("track_referrer_2049", "POST", T, ev(referrer=LONG(2049)), None, J, 400, "invalid_event", "referrer"),
    ("track_referrer_array", "POST", T, ev(referrer=["a"]), None, J, 400, "invalid_event", "referrer"),
    ("track_ts_word", "POST", T, ev(timestamp="yesterday"), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_month_13", "POST", T, ev(timestamp="2026-13-01T00:00:00Z"), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_feb_30", "POST", T, ev(timestamp="2026-02-30T00:00:00Z"), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_no_zone", "POST", T, ev(timestamp="2026-05-01T00:00:00"), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_date_only", "POST", T, ev(timestamp="2026-05-01"), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_negative", "POST", T, ev(timestamp=-5), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_float", "POST", T, ev(timestamp=1.5), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_bool", "POST", T, ev(timestamp=True), None, J, 400, "invalid_event", "timestamp"),
    ("track_ts_year_10000", "POST", T, ev(timestamp=253402300800000000), None, J, 400, "invalid_event", "timestamp"),
    ("track_props_array", "POST", T, ev(properties=[1]), None, J, 400, "invalid_event", "properties"),
    ("track_props_string", "POST", T, ev(properties="x"), None, J, 400, "invalid_event", "properties"),
    ("track_props_nested_object", "POST", T, ev(properties={"a": {"b": 1}}), None, J, 400, "invalid_event", "properties.a"),
    ("track_props_nested_array", "POST", T, ev(properties={"a": [1]}), None, J, 400, "invalid_event", "properties.a"),
    ("track_props_key_257", "POST", T, ev(properties={LONG(257): 1}), None, J, 400, "invalid_event", "properties." + LONG(64)),
    ("track_props_70k", "POST", T, ev(properties={"big": LONG(70_000)}), None, J, 400, "invalid_event", "properties"),
    ("track_props_duplicate_key", "POST", T, b'{"event":"a","anonymous_id":"x","properties":{"k":1,"k":2}}', None, J, 400, "invalid_event", "properties.k"),
    ("track_sent_at_word", "POST", T, ev(sent_at="later"), None, J, 400, "invalid_event", "sent_at"),
    ("track_sent_at_object", "POST", T, ev(sent_at={}), None, J, 400, "invalid_event", "sent_at"),
    ("track_too_large", "POST", T, ev(properties={"a": LONG(1_100_000)}), None, J, 413, "payload_too_large", None),
    ("track_form_content_type", "POST", T, ev(), None, "application/x-www-form-urlencoded", 415, "unsupported_media_type", None),
    ("track_xml_content_type", "POST", T, b"<event/>", None, "application/xml", 415, "unsupported_media_type", None),
    ("track_latin1_charset", "POST", T, ev(), None, "application/json; charset=latin1", 415, "unsupported_media_type", None),
    # --- /v1/batch ---
    ("batch_not_json", "POST", B, b"{", None, J, 400, "invalid_json", None),
    ("batch_no_events", "POST", B, {}, None, J, 400, "invalid_event", "events"),
    ("batch_events_null", "POST", B, {"events": None}, None, J, 400, "invalid_event", "events"),
    ("batch_events_empty", "POST", B, batch(), None, J, 400, "invalid_event", "events"),
    ("batch_events_string", "POST", B, {"events": "x"}, None, J, 400, "invalid_event", "events"),
    ("batch_events_object", "POST", B, {"events": {}}, None, J, 400, "invalid_event", "events"),
    ("batch_1001_events", "POST", B, batch(*[ev()] * 1001), None, J, 400, "invalid_event", "events"),
    ("batch_item_not_object", "POST", B, batch(ev(), ev(), 5), None, J, 400, "invalid_event", "events[2]"),
    ("batch_item_no_event", "POST", B, batch(ev(), ev(event=...)), None, J, 400, "invalid_event", "events[1].event"),
    ("batch_item_bad_ts", "POST", B, batch(ev(timestamp="x"), ev()), None, J, 400, "invalid_event", "events[0].timestamp"),
    ("batch_item_long_url", "POST", B, batch(ev(), ev(), ev(), ev(url=LONG(3000))), None, J, 400, "invalid_event", "events[3].url"),
    ("batch_item_empty_user", "POST", B, batch(ev(user_id="")), None, J, 400, "invalid_event", "events[0].user_id"),
    ("batch_item_nested_prop", "POST", B, batch(ev(), ev(properties={"x": {}})), None, J, 400, "invalid_event", "events[1].properties.x"),
    ("batch_last_item_bad", "POST", B, batch(*([ev()] * 999 + [ev(event="")])), None, J, 400, "invalid_event", "events[999].event"),
    ("batch_sent_at_bad", "POST", B, {"events": [ev()], "sent_at": "x"}, None, J, 400, "invalid_event", "sent_at"),
    ("batch_too_large", "POST", B, batch(*[ev(properties={"p": LONG(60_000)})] * 90), None, J, 413, "payload_too_large", None),
    ("batch_text_html", "POST", B, batch(ev()), None, "text/html", 415, "unsupported_media_type", None),
    # --- /v1/identify ---
    ("identify_not_json", "POST", I, b"nope", None, J, 400, "invalid_json", None),
    ("identify_empty_object", "POST", I, {}, None, J, 400, "invalid_identify", "anonymous_id"),
    ("identify_no_user", "POST", I, {"anonymous_id": "a"}, None, J, 400, "invalid_identify", "user_id"),
    ("identify_empty_user", "POST", I, {"anonymous_id": "a", "user_id": ""}, None, J, 400, "invalid_identify", "user_id"),
    ("identify_null_user", "POST", I, {"anonymous_id": "a", "user_id": None}, None, J, 400, "invalid_identify", "user_id"),
    ("identify_empty_anon", "POST", I, {"anonymous_id": "", "user_id": "u"}, None, J, 400, "invalid_identify", "anonymous_id"),
    ("identify_user_number", "POST", I, {"anonymous_id": "a", "user_id": 5}, None, J, 400, "invalid_identify", "user_id"),
    ("identify_user_257", "POST", I, {"anonymous_id": "a", "user_id": LONG(257)}, None, J, 400, "invalid_identify", "user_id"),
    ("identify_anon_201", "POST", I, {"anonymous_id": LONG(201), "user_id": "u"}, None, J, 400, "invalid_identify", "anonymous_id"),
    ("identify_traits_nested", "POST", I, {"anonymous_id": "a", "user_id": "u", "traits": {"x": [1]}}, None, J, 400, "invalid_identify", "traits.x"),
    ("identify_traits_array", "POST", I, {"anonymous_id": "a", "user_id": "u", "traits": []}, None, J, 400, "invalid_identify", "traits"),
    ("identify_bad_ts", "POST", I, {"anonymous_id": "a", "user_id": "u", "timestamp": "x"}, None, J, 400, "invalid_identify", "timestamp"),
    ("identify_too_large", "POST", I, {"anonymous_id": "a", "user_id": "u", "traits": {"t": LONG(1_100_000)}}, None, J, 413, "payload_too_large", None),
    # --- GET /v1/query ---
    ("query_no_from", "GET", Q, None, {"to": RANGE["to"]}, None, 400, "invalid_query", "from"),
    ("query_no_to", "GET", Q, None, {"from": RANGE["from"]}, None, 400, "invalid_query", "to"),
    ("query_bad_from", "GET", Q, None, dict(RANGE, **{"from": "May 1st"}), None, 400, "invalid_query", "from"),
    ("query_empty_range", "GET", Q, None, {"from": RANGE["to"], "to": RANGE["from"]}, None, 400, "invalid_query", "to"),
    ("query_limit_0", "GET", Q, None, dict(RANGE, limit=0), None, 400, "invalid_query", "limit"),
    ("query_limit_10001", "GET", Q, None, dict(RANGE, limit=10001), None, 400, "invalid_query", "limit"),
    ("query_limit_word", "GET", Q, None, dict(RANGE, limit="lots"), None, 400, "invalid_query", "limit"),
    ("query_limit_negative", "GET", Q, None, dict(RANGE, limit=-1), None, 400, "invalid_query", "limit"),
    ("query_order_sideways", "GET", Q, None, dict(RANGE, order="sideways"), None, 400, "invalid_query", "order"),
    ("query_bad_cursor", "GET", Q, None, dict(RANGE, cursor="%%%garbage"), None, 400, "invalid_query", "cursor"),
    # --- GET /v1/stats and /v1/sources ---
    ("stats_no_metric", "GET", S, None, {}, None, 400, "invalid_query", "metric"),
    ("stats_bad_metric", "GET", S, None, {"metric": "avg"}, None, 400, "invalid_query", "metric"),
    ("stats_bad_group", "GET", S, None, {"metric": "count", "group_by": "country"}, None, 400, "invalid_query", "group_by"),
    ("stats_double_group", "GET", S, None, {"metric": "count", "group_by": "event,event"}, None, 400, "invalid_query", "group_by"),
    ("stats_bad_interval", "GET", S, None, {"metric": "count", "interval": "month"}, None, 400, "invalid_query", "interval"),
    ("stats_bad_unit", "GET", S, None, {"metric": "uniques", "unit": "team"}, None, 400, "invalid_query", "unit"),
    ("stats_bad_from", "GET", S, None, {"metric": "count", "from": "x"}, None, 400, "invalid_query", "from"),
    ("stats_empty_range", "GET", S, None, {"metric": "count", "from": 10, "to": 10}, None, 400, "invalid_query", "to"),
    ("sources_bad_to", "GET", "/v1/sources", None, {"to": "tomorrow"}, None, 400, "invalid_query", "to"),
    ("sources_empty_range", "GET", "/v1/sources", None, {"from": 5, "to": 1}, None, 400, "invalid_query", "to"),
    ("user_id_257", "GET", "/v1/users/" + LONG(257), None, None, None, 400, "invalid_query", "user_id"),
    # --- POST /v1/funnel ---
    ("funnel_not_json", "POST", F, b"[", None, J, 400, "invalid_json", None),
    ("funnel_no_from", "POST", F, funnel(**{"from": ...}), None, J, 400, "invalid_query", "from"),
    ("funnel_no_steps", "POST", F, funnel(steps=...), None, J, 400, "invalid_query", "steps"),
    ("funnel_one_step", "POST", F, funnel(steps=[{"event": "a"}]), None, J, 400, "invalid_query", "steps"),
    ("funnel_21_steps", "POST", F, funnel(steps=[{"event": "a"}] * 21), None, J, 400, "invalid_query", "steps"),
    ("funnel_step_number", "POST", F, funnel(steps=[5, {"event": "b"}]), None, J, 400, "invalid_query", "steps[0]"),
    ("funnel_step_no_event", "POST", F, funnel(steps=[{"event": "a"}, {"where": {}}]), None, J, 400, "invalid_query", "steps[1].event"),
    ("funnel_step_empty_event", "POST", F, funnel(steps=[{"event": ""}, {"event": "b"}]), None, J, 400, "invalid_query", "steps[0].event"),
    ("funnel_where_nested", "POST", F, funnel(steps=[{"event": "a", "where": {"x": {}}}, {"event": "b"}]), None, J, 400, "invalid_query", "steps[0].where.x"),
    ("funnel_windows_length", "POST", F, funnel(windows=[None]), None, J, 400, "invalid_query", "windows"),
    ("funnel_windows_first", "POST", F, funnel(windows=["1h", "1h"]), None, J, 400, "invalid_query", "windows[0]"),
    ("funnel_windows_bad", "POST", F, funnel(windows=[None, "soon"]), None, J, 400, "invalid_query", "windows[1]"),
    ("funnel_window_negative", "POST", F, funnel(window=-5), None, J, 400, "invalid_query", "window"),
    ("funnel_allowance_word", "POST", F, funnel(allowance="x"), None, J, 400, "invalid_query", "allowance"),
    ("funnel_strict_string", "POST", F, funnel(strict="yes"), None, J, 400, "invalid_query", "strict"),
    ("funnel_bad_count", "POST", F, funnel(count="visits"), None, J, 400, "invalid_query", "count"),
    ("funnel_bad_unit", "POST", F, funnel(unit="team"), None, J, 400, "invalid_query", "unit"),
    ("funnel_bad_breakdown", "POST", F, funnel(breakdown="source"), None, J, 400, "invalid_query", "breakdown"),
    ("funnel_experiment_no_name", "POST", F, funnel(experiment={}), None, J, 400, "invalid_query", "experiment.name"),
    ("funnel_exposure_sessions", "POST", F, funnel(count="sessions", experiment={"name": "x", "exposure_as_first_step": True}), None, J, 400, "invalid_query", "experiment.exposure_as_first_step"),
    ("funnel_empty_range", "POST", F, funnel(to="2026-05-01T00:00:00Z"), None, J, 400, "invalid_query", "to"),
    ("funnel_get_no_steps", "GET", F, None, RANGE, None, 400, "invalid_query", "steps"),
    ("funnel_get_bad_window", "GET", F, None, dict(RANGE, steps="a,b", windows=",soon"), None, 400, "invalid_query", "windows[1]"),
    # --- routing ---
    ("unknown_route", "GET", "/v1/nope", None, None, None, 404, "not_found", None),
    ("track_with_get", "GET", T, None, None, None, 404, "not_found", None),
]


def count_all(server):
    r = request(server, "GET", "/v1/stats", key=server.keys["sk"], params={"metric": "count"})
    assert r.status == 200, r
    return r.json()["rows"][0]["value"]


def test_matrix_has_at_least_100_cases():
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(server, case):
    name, method, path, body, params, ctype, status, code, field = case
    headers = {"Content-Type": ctype} if ctype else {}
    before = count_all(server)
    r = request(server, method, path, body, key=server.keys["sk"], headers=headers, params=params)
    assert r.status == status, r
    payload = r.json()
    assert payload["error"] == code, payload
    assert isinstance(payload["message"], str) and payload["message"]
    if field is not None:
        assert payload["details"]["field"] == field, payload
    assert count_all(server) == before, "a rejected request changed the stored data"


def test_unknown_fields_are_ignored(server):
    r = request(server, "POST", T, ev(future_field={"x": 1}, source="spoofed", seq=5), key=server.keys["sk"])
    assert r.status == 202, r
    assert r.json()["duplicate"] is False
