"""The columnar event block, EventColumns (WIRE.md § 6): its canonical encoder and a decoder that
accepts any valid encoding and names the event and field of every error."""
import struct

from .schema import ENUMS
from .wire import (U64, Reader, WireError, join_path, ld, read_fields, tag, to_i64, unzigzag, utf8, varint,
                   zigzag)

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
            out += tag(2, 0) + varint(n)
        elif num in cols:
            out += ld(num, cols[num])
    return bytes(out)


class _Col(Reader):
    """One column of an event block; errors name the event (`events[i].<field>`)."""

    def __init__(self, data, block, column, field=None):
        super().__init__(data or b"", join_path(block, column))
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
    raw = read_fields(data, path)
    cols = {}
    for num, wt, val in raw:
        if num > 25:
            continue
        want = 0 if num == 2 else 2
        if wt != want:
            raise WireError("wrongWireType", join_path(path, _COLUMN_NAMES[num]))
        cols[num] = val
    n = cols.get(2, 0)
    if n == 0:
        return []
    if n > max_events:
        raise WireError("limitExceeded", join_path(path, "count"))
    if 3 not in cols or 4 not in cols:
        raise WireError("missingField", join_path(path, "name" if 3 not in cols else "anonymous_id"))
    if n > len(cols[3]):
        raise WireError("truncated", join_path(path, "count"))
    d = Reader(cols.get(1, b""), join_path(path, "dictionary"))
    entries = []
    while d.left():
        i = len(entries)
        ln = d.varint(f"{path}.dictionary[{i}]")
        entries.append(utf8(d.take(ln, f"{path}.dictionary[{i}]"), f"{path}.dictionary[{i}]"))

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
