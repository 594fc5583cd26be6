"""A pure-Python Trailmark wire codec, written from `Proto/WIRE.md`, `Proto/trailmark.tmidl`
and `Proto/vectors/` only (no look at the Swift codec).

Values use the shape of the golden vectors' `.json` (`Proto/vectors/README.md`): a message is
a dict of its fields in schema order (absent `optional` = None, non-optional = its default),
enums are names, property maps are dicts of `{"string"|"int"|"double"|"bool"|"null": v}`,
event blocks are lists of row-form events (query rows: `{"event": <event>, "user": ...}`).
`encode(type, value)` writes the canonical bytes (WIRE.md § 4); `decode(type, data)` accepts
any valid encoding and raises `WireError(code, field)` otherwise (WIRE.md § 8).
"""
import struct

U64 = (1 << 64) - 1


class WireError(Exception):
    """A decoding failure: a WIRE.md § 8 code and a field path."""

    def __init__(self, code, field=""):
        super().__init__(f"{code} at {field or '<message>'}")
        self.code = code
        self.field = field


def _join(path, name):
    if not path:
        return name
    return path + name if name.startswith("[") else path + "." + name


# ------------------------------------------------------------------ varints (§ 3.1) ----

def varint(n):
    if n < 0 or n > U64:
        raise ValueError(f"varint out of range: {n}")
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n):
    n &= U64  # two's complement bit pattern of an int64
    signed = n - (1 << 64) if n >> 63 else n
    return ((signed << 1) ^ (signed >> 63)) & U64


def unzigzag(u):
    return (u >> 1) ^ -(u & 1)


def to_i64(n):
    n &= U64
    return n - (1 << 64) if n >> 63 else n


class Reader:
    """A cursor over one message (or column) body; `path` names it in errors."""

    def __init__(self, data, path=""):
        self.data = data
        self.pos = 0
        self.end = len(data)
        self.path = path

    def left(self):
        return self.end - self.pos

    def varint(self, path=None):
        path = self.path if path is None else path
        result = shift = 0
        for i in range(10):
            if self.pos >= self.end:
                raise WireError("truncated", path)
            b = self.data[self.pos]
            self.pos += 1
            if i == 9 and b > 1:
                raise WireError("malformedVarint", path)
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if i > 0 and b == 0:
                    raise WireError("malformedVarint", path)
                return result
        raise WireError("malformedVarint", path)

    def take(self, n, path=None):
        if n > self.left():
            raise WireError("truncated", self.path if path is None else path)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def _utf8(raw, path):
    try:
        return bytes(raw).decode("utf-8")  # strict: rejects overlongs, surrogates, > U+10FFFF
    except UnicodeDecodeError:
        raise WireError("invalidUTF8", path) from None


# --------------------------------------------------------------------------- schema ----

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


def _wire_type(typ):
    if typ in _WT:
        return _WT[typ]
    return 0 if typ.startswith("enum:") else 2


def _default(typ, kind, default):
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
        return decode(typ[4:], b"")
    if typ in ("events", "rows"):
        return []
    if typ == "groupkey":
        return "ALL"
    if typ == "breakdown":
        return None
    raise AssertionError(typ)


# --------------------------------------------------------------------------- encoder ----

def _tag(num, wt):
    return varint(num << 3 | wt)


def _ld(num, payload):
    return _tag(num, 2) + varint(len(payload)) + payload


def _scalar(typ, v):
    """The value bytes (without tag) of a scalar of type `typ`."""
    if typ in ("u64", "u32"):
        return varint(v)
    if typ == "s64":
        return varint(zigzag(v))
    if typ == "bool":
        return varint(1 if v else 0)
    if typ == "dbl":
        return struct.pack("<d", v)
    if typ == "str":
        b = v.encode("utf-8")
        return varint(len(b)) + b
    if typ == "bytes":
        return varint(len(v)) + bytes(v)
    if typ.startswith("enum:"):
        return varint(ENUMS[typ[5:]].index(v))
    raise AssertionError(typ)


_PV_FIELD = {"string": 2, "int": 3, "double": 4, "bool": 5, "null": 6}


def _pvalue(pv):
    """Fields 2-6 of a PropertyValue / Property (§ 5) from `{"<kind>": value}`."""
    (kind, v), = pv.items()
    num = _PV_FIELD[kind]
    if kind == "string":
        return _tag(num, 2) + _scalar("str", v)
    if kind == "int":
        return _tag(num, 0) + _scalar("s64", v)
    if kind == "double":
        return _tag(num, 1) + _scalar("dbl", v)
    return _tag(num, 0) + varint(1 if kind == "null" or v else 0)


def encode(mtype, value):
    """The canonical encoding (WIRE.md § 4) of a message given as a dict."""
    out = bytearray()
    for num, name, typ, kind, default in SCHEMA[mtype]:
        v = value.get(name, _default(typ, kind, default))
        out += _encode_field(num, typ, kind, default, v)
    return bytes(out)


def _encode_field(num, typ, kind, default, v):
    if typ == "breakdown":
        if v is None:
            return b""
        if v == "FIRST_TOUCH":
            return _tag(11, 0) + b"\x01"
        return _tag(10, 2) + _scalar("str", v["property"])
    if typ == "groupkey":
        if v is None or v == "ALL":
            return b""
        (case, inner), = v.items()
        if case == "property":
            body = _ld(1, _pvalue(inner))
        elif case == "first_touch":
            body = _ld(2, encode("FirstTouchKey", inner))
        else:
            body = _ld(3, b"" if inner is None else _tag(1, 2) + _scalar("str", inner))
        return _ld(num[0], body)
    if typ == "props":
        return b"".join(_ld(num, _tag(1, 2) + _scalar("str", k) + _pvalue(pv)) for k, pv in (v or {}).items())
    if typ == "nint":
        return b"".join(_ld(num, b"" if x is None else _tag(1, 0) + _scalar("s64", x)) for x in v or [])
    if typ == "nstr":
        return b"".join(_ld(num, b"" if x is None else _tag(1, 2) + _scalar("str", x)) for x in v or [])
    if typ in ("events", "rows"):
        body = encode_columns(v or [], with_user=typ == "rows")
        return _ld(num, body) if body else b""
    if typ.startswith("msg:"):
        if kind == "rep":
            return b"".join(_ld(num, encode(typ[4:], x)) for x in v or [])
        if v is None:
            return b""
        body = encode(typ[4:], v)
        if kind == "req" and not body:
            return b""
        return _ld(num, body)
    wt = _wire_type(typ)
    if kind == "rep":
        return b"".join(_tag(num, wt) + _scalar(typ, x) for x in v or [])
    if kind == "opt":
        return b"" if v is None else _tag(num, wt) + _scalar(typ, v)
    dflt = _default(typ, kind, default)
    if v is None or (v == dflt and type(v) is type(dflt)):
        return b""
    return _tag(num, wt) + _scalar(typ, v)


# ------------------------------------------------------------------ event block (§ 6) ----

EVENT_FIELDS = ["event", "anonymous_id", "user_id", "timestamp", "session_id", "event_id", "url", "path",
                "referrer", "properties", "received_at", "attribution", "seq"]
_NULLABLE_REF_COLS = [(5, "user_id"), (8, "session_id"), (9, "event_id"), (10, "url"), (11, "path"),
                      (12, "referrer")]
_DELTA_COLS = [(6, 7, "timestamp"), (16, 17, "received_at"), (23, 24, "seq")]
_KIND = {"null": 0, "bool": 1, "int": 3, "double": 4, "string": 5}


def _bitmap(flags):
    out = bytearray((len(flags) + 7) // 8)
    for i, f in enumerate(flags):
        if f:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def encode_columns(rows, with_user=False):
    """The canonical EventColumns body (§ 6) of row-form events; b"" for no events."""
    if not rows:
        return b""
    events = [r["event"] for r in rows] if with_user else rows
    users = [r.get("user") for r in rows] if with_user else [None] * len(rows)
    index, entries = {}, []

    def ref(s):
        if s not in index:
            index[s] = len(entries)
            entries.append(s)
        return index[s]

    refs = []  # per event, refs in § 6.2 order
    for e, user in zip(events, users):
        r = {"event": ref(e["event"]), "anonymous_id": ref(e.get("anonymous_id") or "")}
        for _, name in _NULLABLE_REF_COLS:
            r[name] = None if e.get(name) is None else ref(e[name])
        props = []
        for k, pv in (e.get("properties") or {}).items():
            kref = ref(k)
            (kind, v), = pv.items()
            props.append((kref, kind, ref(v) if kind == "string" else v))
        r["properties"] = props
        a = e.get("attribution")
        if a is not None:
            r["attribution"] = (ref(a["source"]), ref(a["medium"]),
                                None if a.get("campaign") is None else ref(a["campaign"]),
                                ref(a["rule"]), ENUMS["Confidence"].index(a["confidence"]))
        else:
            r["attribution"] = None
        r["user"] = None if user is None else ref(user)
        refs.append(r)

    cols = {}
    cols[1] = b"".join(varint(len(b)) + b for b in (s.encode("utf-8") for s in entries))
    n = len(events)
    cols[3] = b"".join(varint(r["event"]) for r in refs)
    cols[4] = b"".join(varint(r["anonymous_id"]) for r in refs)
    nullable = _NULLABLE_REF_COLS + [(25, "user")]
    for num, name in nullable:
        if any(r[name] is not None for r in refs):
            cols[num] = b"".join(varint(0 if r[name] is None else r[name] + 1) for r in refs)
    for vnum, bnum, name in _DELTA_COLS:
        vals = [e.get(name) for e in events]
        present = [x is not None for x in vals]
        if any(present):
            prev, out = 0, bytearray()
            for x in vals:
                if x is not None:
                    out += varint(zigzag(x - prev))
                    prev = x
            cols[vnum] = bytes(out)
            if not all(present):
                cols[bnum] = _bitmap(present)
    if any(r["properties"] for r in refs):
        cols[13] = b"".join(varint(len(r["properties"])) for r in refs)
        cols[14] = b"".join(varint(k) for r in refs for k, _, _ in r["properties"])
        vals = bytearray()
        for r in refs:
            for _, kind, v in r["properties"]:
                if kind == "bool":
                    vals.append(2 if v else 1)
                    continue
                vals.append(_KIND[kind])
                if kind == "int":
                    vals += varint(zigzag(v))
                elif kind == "double":
                    vals += struct.pack("<d", v)
                elif kind == "string":
                    vals += varint(v)
        cols[15] = bytes(vals)
    attributed = [r["attribution"] for r in refs if r["attribution"] is not None]
    if attributed:
        cols[18] = b"".join(varint(0 if r["attribution"] is None else r["attribution"][0] + 1) for r in refs)
        cols[19] = b"".join(varint(a[1]) for a in attributed)
        if any(a[2] is not None for a in attributed):
            cols[20] = b"".join(varint(0 if a[2] is None else a[2] + 1) for a in attributed)
        cols[21] = b"".join(varint(a[3]) for a in attributed)
        cols[22] = b"".join(varint(a[4]) for a in attributed)
    out = bytearray()
    for num in range(1, 26):
        if num == 2:
            out += _tag(2, 0) + varint(n)
        elif num in cols:
            out += _ld(num, cols[num])
    return bytes(out)


class _Col(Reader):
    """One column of an event block; errors name the event (`events[i].<field>`)."""

    def __init__(self, data, block, column, field=None):
        super().__init__(data or b"", _join(block, column))
        self.block = block
        self.column = column
        self.field = field or column

    def ev(self, i, field=None):
        return f"{self.block}[{i}].{field or self.field}"

    def done(self):
        if self.left():
            raise WireError("invalidValue", f"{self.block}.{self.column}")


def decode_columns(data, path="events", with_user=False, max_events=10000):
    """Row-form events of one EventColumns body (§ 6)."""
    raw = _fields(data, path)
    cols = {}
    for num, wt, val in raw:
        if num > 25:
            continue
        want = 0 if num == 2 else 2
        if wt != want:
            raise WireError("wrongWireType", _join(path, _COLUMN_NAMES[num]))
        cols[num] = val
    n = cols.get(2, 0)
    if n == 0:
        return []
    if n > max_events:
        raise WireError("limitExceeded", _join(path, "count"))
    if 3 not in cols or 4 not in cols:
        raise WireError("missingField", _join(path, "name" if 3 not in cols else "anonymous_id"))
    if n > len(cols[3]):
        raise WireError("truncated", _join(path, "count"))
    d = Reader(cols.get(1, b""), _join(path, "dictionary"))
    entries = []
    while d.left():
        i = len(entries)
        ln = d.varint(f"{path}.dictionary[{i}]")
        entries.append(_utf8(d.take(ln, f"{path}.dictionary[{i}]"), f"{path}.dictionary[{i}]"))

    def lookup(col, i, k, nullable):
        if nullable:
            if k == 0:
                return None
            k -= 1
        if k >= len(entries):
            raise WireError("invalidValue", col.ev(i))
        return entries[k]

    def ref_column(num, name, count, nullable, field=None):
        col = _Col(cols.get(num), path, name, field)
        if num not in cols:
            return [None] * count
        out = [lookup(col, i, col.varint(col.ev(i)), nullable) for i in range(count)]
        col.done()
        return out

    events = [{k: None for k in EVENT_FIELDS} for _ in range(n)]
    for e, v in zip(events, ref_column(3, "name", n, False, "event")):
        e["event"] = v
    for e, v in zip(events, ref_column(4, "anonymous_id", n, False)):
        e["anonymous_id"] = v
    for num, name in _NULLABLE_REF_COLS:
        for e, v in zip(events, ref_column(num, name, n, True)):
            e[name] = v
    for vnum, bnum, name in _DELTA_COLS:
        vcol = _Col(cols.get(vnum), path, name)
        if bnum in cols:
            bm = cols[bnum]
            if len(bm) != (n + 7) // 8 or (n % 8 and bm[-1] >> (n % 8)):
                raise WireError("invalidValue", f"{path}.{_COLUMN_NAMES[bnum]}")
            present = [bool(bm[i // 8] >> (i % 8) & 1) for i in range(n)]
        else:
            present = [vnum in cols] * n
        acc = 0
        for i, e in enumerate(events):
            if present[i]:
                acc = to_i64(acc + unzigzag(vcol.varint(vcol.ev(i))))
                e[name] = acc & U64 if name == "seq" else acc
        vcol.done()
    counts = [0] * n
    if 13 in cols:
        ccol = _Col(cols[13], path, "property_count", "properties")
        kcol = _Col(cols.get(14), path, "property_key", "properties")
        vcol = _Col(cols.get(15), path, "property_value", "properties")
        for i in range(n):
            counts[i] = ccol.varint(ccol.ev(i))
            if counts[i] > 4096:
                raise WireError("limitExceeded", ccol.ev(i))
            if counts[i] > kcol.left():
                raise WireError("truncated", ccol.ev(i))
        ccol.done()
        for i, e in enumerate(events):
            props = {}
            for _ in range(counts[i]):
                key = lookup(kcol, i, kcol.varint(kcol.ev(i)), False)
                if key in props:
                    raise WireError("invalidValue", f"{path}[{i}].properties.{key}")
                kind = vcol.take(1, vcol.ev(i, "properties." + key))[0]
                if kind == 0:
                    pv = {"null": None}
                elif kind in (1, 2):
                    pv = {"bool": kind == 2}
                elif kind == 3:
                    pv = {"int": unzigzag(vcol.varint(vcol.ev(i, "properties." + key)))}
                elif kind == 4:
                    pv = {"double": struct.unpack("<d", vcol.take(8, vcol.ev(i, "properties." + key)))[0]}
                elif kind == 5:
                    pv = {"string": lookup(vcol, i, vcol.varint(vcol.ev(i, "properties." + key)), False)}
                else:
                    raise WireError("invalidValue", f"{path}[{i}].properties.{key}")
                props[key] = pv
            e["properties"] = props
        kcol.done()
        vcol.done()
    else:
        for e in events:
            e["properties"] = {}
    if 18 in cols:
        sources = ref_column(18, "source", n, True, "attribution.source")
        a_count = sum(s is not None for s in sources)
        mediums = ref_column(19, "medium", a_count, False, "attribution.medium")
        campaigns = ref_column(20, "campaign", a_count, True, "attribution.campaign")
        rules = ref_column(21, "source_rule", a_count, False, "attribution.rule")
        ccol = _Col(cols.get(22), path, "source_confidence", "attribution.confidence")
        j = 0
        for i, e in enumerate(events):
            if sources[i] is None:
                continue
            if mediums[j] is None or rules[j] is None:
                raise WireError("missingField", f"{path}[{i}].attribution")
            conf = ccol.varint(ccol.ev(i))
            if conf >= len(ENUMS["Confidence"]):
                raise WireError("invalidValue", ccol.ev(i))
            e["attribution"] = {"source": sources[i], "medium": mediums[j], "campaign": campaigns[j],
                                "rule": rules[j], "confidence": ENUMS["Confidence"][conf]}
            j += 1
        ccol.done()
    users = ref_column(25, "user", n, True)
    if with_user:
        return [{"event": e, "user": u} for e, u in zip(events, users)]
    return events


_COLUMN_NAMES = {1: "dictionary", 2: "count", 3: "name", 4: "anonymous_id", 5: "user_id", 6: "timestamp",
                 7: "timestamp_present", 8: "session_id", 9: "event_id", 10: "url", 11: "path", 12: "referrer",
                 13: "property_count", 14: "property_key", 15: "property_value", 16: "received_at",
                 17: "received_at_present", 18: "source", 19: "medium", 20: "campaign", 21: "source_rule",
                 22: "source_confidence", 23: "seq", 24: "seq_present", 25: "user"}


# --------------------------------------------------------------------------- decoder ----

def _fields(data, path):
    """The (number, wire type, value) of every field of a message body, in order."""
    r = Reader(data, path)
    out = []
    while r.left():
        tag = r.varint()
        num, wt = tag >> 3, tag & 7
        if num == 0 or num >= 1 << 29:
            raise WireError("invalidValue", path)
        if wt == 0:
            val = r.varint()
        elif wt == 1:
            val = r.take(8)
        elif wt == 2:
            ln = r.varint()
            val = r.take(ln)
        elif wt == 5:
            val = r.take(4)
        else:
            raise WireError("wrongWireType", path)
        out.append((num, wt, val))
    return out


def _decode_scalar(typ, val, path):
    if typ == "u64":
        return val
    if typ == "u32":
        if val >= 1 << 32:
            raise WireError("invalidValue", path)
        return val
    if typ == "s64":
        return unzigzag(val)
    if typ == "bool":
        if val > 1:
            raise WireError("invalidValue", path)
        return val == 1
    if typ == "dbl":
        return struct.unpack("<d", val)[0]
    if typ == "str":
        return _utf8(val, path)
    if typ == "bytes":
        return bytes(val)
    if typ.startswith("enum:"):
        names = ENUMS[typ[5:]]
        if val >= len(names):
            raise WireError("invalidValue", path)
        return names[val]
    raise AssertionError(typ)


def _decode_pvalue(fields, path, with_key):
    """A PropertyValue's `{"<kind>": v}` from the fields of a Property / PropertyValue (§ 5)."""
    key, pv = None, None
    for num, wt, val in fields:
        if with_key and num == 1:
            if wt != 2:
                raise WireError("wrongWireType", _join(path, "key"))
            key = _decode_scalar("str", val, _join(path, "key"))
            continue
        kinds = {2: ("string", "str", 2), 3: ("int", "s64", 0), 4: ("double", "dbl", 1),
                 5: ("bool", "bool", 0), 6: ("null", "bool", 0)}
        if num not in kinds:
            continue
        kind, typ, want = kinds[num]
        name = ["string_value", "int_value", "double_value", "bool_value", "null_value"][num - 2]
        if wt != want:
            raise WireError("wrongWireType", _join(path, name))
        v = _decode_scalar(typ, val, _join(path, name))
        if kind == "null":
            if v is not True:
                raise WireError("invalidValue", _join(path, name))
            v = None
        pv = {kind: v}
    if pv is None:
        raise WireError("missingField", path)
    return (key if key is not None else ""), pv


def decode(mtype, data, path="", depth=0):
    """The dict of a message body; raises WireError (§ 8) on malformed input."""
    if depth > MAX_DEPTH:
        raise WireError("limitExceeded", path)
    fields = _fields(data, path)
    schema = SCHEMA[mtype]
    by_num = {}
    for f in schema:
        for n in (f[0] if isinstance(f[0], tuple) else (f[0],)):
            by_num[n] = f
    out = {f[1]: _default(f[2], f[3], f[4]) if not f[2].startswith("msg:") or f[3] != "req" else None
           for f in schema}
    for num, wt, val in fields:
        f = by_num.get(num)
        if f is None:
            continue  # unknown field: skipped by its wire type (§ 2)
        _, name, typ, kind, default = f
        fpath = _join(path, name)
        if typ == "breakdown":
            fname = "breakdown_property" if num == 10 else "breakdown_first_touch"
            if wt != (2 if num == 10 else 0):
                raise WireError("wrongWireType", _join(path, fname))
            if num == 10:
                out[name] = {"property": _decode_scalar("str", val, _join(path, fname))}
            else:
                if _decode_scalar("bool", val, _join(path, fname)) is not True:
                    raise WireError("invalidValue", _join(path, fname))
                out[name] = "FIRST_TOUCH"
            continue
        if wt != _wire_type(typ):
            raise WireError("wrongWireType", fpath)
        if kind == "rep":
            ipath = f"{fpath}[{len(out[name])}]"
            if typ == "props":
                key, pv = _decode_pvalue(_fields(val, ipath), ipath, True)
                if key in out[name]:
                    raise WireError("invalidValue", ipath + ".key")
                out[name][key] = pv
            elif typ in ("nint", "nstr"):
                out[name].append(_decode_nullable(typ, val, ipath))
            elif typ.startswith("msg:"):
                out[name].append(decode(typ[4:], val, ipath, depth + 1))
            else:
                out[name].append(_decode_scalar(typ, val, ipath))
            continue
        if typ == "groupkey":
            out[name] = _decode_groupkey(val, fpath, depth + 1)
        elif typ in ("events", "rows"):
            out[name] = decode_columns(val, fpath, with_user=typ == "rows")
        elif typ.startswith("msg:"):
            out[name] = decode(typ[4:], val, fpath, depth + 1)
        else:
            out[name] = _decode_scalar(typ, val, fpath)
    for f in schema:
        if f[2].startswith("msg:") and f[3] == "req" and out[f[1]] is None:
            out[f[1]] = decode(f[2][4:], b"", _join(path, f[1]), depth + 1)
    return out


def _decode_nullable(typ, data, path):
    v = None
    for num, wt, val in _fields(data, path):
        if num != 1:
            continue
        want = 0 if typ == "nint" else 2
        if wt != want:
            raise WireError("wrongWireType", _join(path, "value"))
        v = unzigzag(val) if typ == "nint" else _decode_scalar("str", val, _join(path, "value"))
    return v


def _decode_groupkey(data, path, depth):
    key = "ALL"
    for num, wt, val in _fields(data, path):
        if num not in (1, 2, 3):
            continue
        name = ["property", "first_touch", "experiment_group"][num - 1]
        if wt != 2:
            raise WireError("wrongWireType", _join(path, name))
        if num == 1:
            key = {"property": _decode_pvalue(_fields(val, _join(path, name)), _join(path, name), False)[1]}
        elif num == 2:
            key = {"first_touch": decode("FirstTouchKey", val, _join(path, name), depth + 1)}
        else:
            key = {"experiment_group": _decode_nullable("nstr", val, _join(path, name))}
    return key
