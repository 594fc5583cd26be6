"""The message table of `Proto/trailmark.tmidl` (field numbers, names, types, kinds, defaults),
its enums, and the default value of each field (WIRE.md § 4)."""

ENUMS = {
    "UnitKind": ["USER", "ANONYMOUS"],
    "SortOrder": ["ASCENDING", "DESCENDING"],
    "Metric": ["COUNT", "UNIQUES"],
    "GroupField": ["EVENT", "SOURCE", "MEDIUM", "CAMPAIGN"],
    "Interval": ["HOUR", "DAY", "WEEK"],
    "CountMode": ["UNITS", "SESSIONS"],
    "Confidence": ["LOW", "MEDIUM", "HIGH"],
    "HealthStatus": ["OK", "REPLAYING", "SHUTTING_DOWN"],
}

# Field kinds: "req" (non-optional), "opt" (optional), "rep" (repeated).
# Scalar types: u64 u32 s64 bool dbl str bytes; "enum:<E>"; "msg:<M>"; and the special shapes
# "events" / "rows" (EventColumns without / with the stitched user), "props" (repeated
# Property as a map), "nint" / "nstr" (repeated NullableInt64 / NullableString as a list),
# "groupkey" (GroupKey oneof, its PropertyValue case as `{"<kind>": v}`) and "breakdown"
# (FunnelQuery oneof).


def F(num, name, typ, kind="req", default=None):
    return (num, name, typ, kind, default)


SCHEMA = {
    "EventBatch": [F(1, "events", "events"), F(2, "sent_at", "s64", "opt"), F(3, "batch_id", "u64", "opt")],
    "BatchAck": [F(1, "batch_id", "u64", "opt"), F(2, "accepted", "u32"), F(3, "duplicates", "u32"),
                 F(4, "event_ids", "str", "rep")],
    "Identify": [F(1, "anonymous_id", "str"), F(2, "user_id", "str"), F(3, "traits", "props", "rep"),
                 F(4, "timestamp", "s64", "opt"), F(5, "seq", "u64", "opt"), F(6, "received_at", "s64", "opt")],
    "IdentifyBatch": [F(1, "identifies", "msg:Identify", "rep"), F(2, "sent_at", "s64", "opt")],
    "IdentifyAck": [F(1, "accepted", "u32")],
    "ForgetRequest": [F(1, "user_id", "str")],
    "ForgetResponse": [F(1, "events_hidden", "u64")],
    "EventsQuery": [F(1, "from", "s64"), F(2, "to", "s64"), F(3, "event", "str", "opt"),
                    F(4, "source", "str", "opt"), F(5, "medium", "str", "opt"), F(6, "user_id", "str", "opt"),
                    F(7, "anonymous_id", "str", "opt"), F(8, "limit", "u32", "req", 100),
                    F(9, "order", "enum:SortOrder"), F(10, "cursor", "str", "opt")],
    "EventsPage": [F(1, "rows", "rows"), F(2, "next_cursor", "str", "opt")],
    "StatsQuery": [F(1, "metric", "enum:Metric"), F(2, "from", "s64", "opt"), F(3, "to", "s64", "opt"),
                   F(4, "events", "str", "rep"), F(5, "group_by", "enum:GroupField", "rep"),
                   F(6, "interval", "enum:Interval", "opt"), F(7, "unit", "enum:UnitKind")],
    "StatsRow": [F(1, "value", "u64"), F(2, "groups", "nstr", "rep"), F(3, "bucket", "s64", "opt")],
    "StatsResult": [F(1, "metric", "enum:Metric"), F(2, "group_by", "enum:GroupField", "rep"),
                    F(3, "rows", "msg:StatsRow", "rep")],
    "SourcesQuery": [F(1, "from", "s64", "opt"), F(2, "to", "s64", "opt"), F(3, "unit", "enum:UnitKind")],
    "SourcesRow": [F(1, "source", "str"), F(2, "medium", "str"), F(3, "campaign", "str", "opt"),
                   F(4, "events", "u64"), F(5, "uniques", "u64")],
    "SourcesResult": [F(1, "rows", "msg:SourcesRow", "rep")],
    "UserQuery": [F(1, "user_id", "str"), F(2, "conversion_event", "str", "opt"),
                  F(3, "prelogin_limit", "u32", "req", 1000)],
    "FirstTouch": [F(1, "event", "str"), F(2, "timestamp", "s64"), F(3, "source", "str"), F(4, "medium", "str"),
                   F(5, "campaign", "str", "opt")],
    "UserResult": [F(1, "user_id", "str"), F(2, "anonymous_ids", "str", "rep"),
                   F(3, "first_touch", "msg:FirstTouch", "opt"), F(4, "prelogin", "rows"),
                   F(5, "conversion_event", "str", "opt"), F(6, "time_to_conversion", "s64", "opt")],
    "FunnelStep": [F(1, "event", "str"), F(2, "filters", "props", "rep")],
    "Experiment": [F(1, "name", "str"), F(2, "control", "str", "req", "control"),
                   F(3, "exposure_as_first_step", "bool")],
    "FunnelQuery": [F(1, "from", "s64"), F(2, "to", "s64"), F(3, "steps", "msg:FunnelStep", "rep"),
                    F(4, "windows", "nint", "rep"), F(5, "window", "s64", "opt"), F(6, "strict", "bool"),
                    F(7, "allowance", "s64"), F(8, "count", "enum:CountMode"), F(9, "unit", "enum:UnitKind"),
                    F((10, 11), "breakdown", "breakdown"), F(12, "experiment", "msg:Experiment", "opt")],
    "FunnelStepResult": [F(1, "event", "str"), F(2, "reached", "u64"), F(3, "conversion", "dbl", "opt"),
                         F(4, "overall", "dbl", "opt")],
    "TimeToComplete": [F(1, "n", "u64"), F(2, "mean", "dbl", "opt"), F(3, "median", "dbl", "opt"),
                       F(4, "p90", "dbl", "opt")],
    "FirstTouchKey": [F(1, "source", "str"), F(2, "medium", "str")],
    "FunnelGroup": [F((1,), "key", "groupkey"), F(2, "exposed", "u64", "opt"),
                    F(3, "steps", "msg:FunnelStepResult", "rep"), F(4, "time_to_complete", "msg:TimeToComplete")],
    "Comparison": [F(i + 1, n, "dbl", "opt") for i, n in
                   enumerate(["diff", "ci_low", "ci_high", "p_value", "lift", "lift_variance"])],
    "StepComparison": [F(1, "stepwise", "msg:Comparison"), F(2, "overall", "msg:Comparison")],
    "GroupComparison": [F(1, "group", "str", "opt"), F(2, "steps", "msg:StepComparison", "rep")],
    "FunnelResult": [F(1, "groups", "msg:FunnelGroup", "rep"), F(2, "comparisons", "msg:GroupComparison", "rep")],
    "HealthRequest": [],
    "HealthResponse": [F(1, "status", "enum:HealthStatus"), F(2, "events", "u64")],
    "StoredEventBatch": [F(1, "project", "str"), F(2, "events", "events")],
    "StoredIdentifyBatch": [F(1, "project", "str"), F(2, "identifies", "msg:Identify", "rep")],
    "StoredForget": [F(1, "project", "str"), F(2, "user_id", "str"), F(3, "requested_at", "s64")],
}

# Wire type per scalar type (§ 2).
_WT = {"u64": 0, "u32": 0, "s64": 0, "bool": 0, "dbl": 1, "str": 2, "bytes": 2}

MAX_DEPTH = 16


def wire_type(typ):
    if typ in _WT:
        return _WT[typ]
    return 0 if typ.startswith("enum:") else 2


def default_value(typ, kind, default):
    """The value of a field absent from the wire (§ 4): None when optional, empty when repeated,
    else its declared default or its type's zero (a non-optional message: all its defaults)."""
    if kind == "rep":
        return {} if typ == "props" else []
    if kind == "opt":
        return None
    if default is not None:
        return default
    if typ in ("u64", "u32", "s64"):
        return 0
    if typ == "dbl":
        return 0.0
    if typ == "bool":
        return False
    if typ == "str":
        return ""
    if typ == "bytes":
        return b""
    if typ.startswith("enum:"):
        return ENUMS[typ[5:]][0]
    if typ.startswith("msg:"):
        return default_message(typ[4:])
    if typ in ("events", "rows"):
        return []
    if typ == "groupkey":
        return "ALL"
    if typ == "breakdown":
        return None
    raise AssertionError(typ)


def default_message(mtype):
    """The dict of a message none of whose fields is on the wire (the decoding of b"")."""
    return {name: default_value(typ, kind, default) for _, name, typ, kind, default in SCHEMA[mtype]}
