#!/usr/bin/env python3
"""An independent Trailmark codec written from Proto/ alone (trailmark.tmidl, WIRE.md and
vectors/README.md), standard library only. For every golden vector it decodes the .bin,
checks the value against the .json, re-encodes it canonically and checks the bytes.
Exit status 0 when every vector conforms. Run by `make test` (target test-codec)."""
import json, os, re, struct, sys

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Proto")
SCALARS = {"uint64", "uint32", "sint64", "bool", "double", "string", "bytes"}


# ------------------------------------------------------------------ schema ----

def parse_schema(text):
    text = re.sub(r"//[^\n]*", "", text)
    enums = {}
    for name, body in re.findall(r"enum\s+(\w+)\s*\{([^}]*)\}", text):
        enums[name] = {int(n): v for v, n in re.findall(r"(\w+)\s*=\s*(\d+)", body)}
    messages = {}
    for m in re.finditer(r"message\s+(\w+)\s*\{", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i - 1]
        fields = []
        def add(stmt, oneof):
            f = re.match(r"\s*(optional\s+|repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+)\s*(?:\[default\s*=\s*([^\]]+)\])?", stmt)
            if f:
                label, type_, fname, num, default = f.groups()
                fields.append(dict(label=(label or "").strip(), type=type_, name=fname, num=int(num),
                                   default=json.loads(default) if default else None, oneof=oneof))
        for oname, obody in re.findall(r"oneof\s+(\w+)\s*\{([^}]*)\}", body):
            for stmt in obody.split(";"):
                add(stmt, oname)
        for stmt in re.sub(r"oneof\s+\w+\s*\{[^}]*\}", "", body).split(";"):
            add(stmt, None)
        messages[m.group(1)] = sorted(fields, key=lambda f: f["num"])
    return enums, messages


# ------------------------------------------------------------------ reader ----

class Reader:
    def __init__(self, data, start=0, end=None):
        self.data, self.pos, self.end = data, start, len(data) if end is None else end

    def at_end(self):
        return self.pos >= self.end

    def byte(self):
        if self.pos >= self.end: raise ValueError("truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self):
        result = shift = 0
        for n in range(1, 11):
            b = self.byte()
            if n == 10 and b > 1: raise ValueError("varint overflow")
            result |= (b & 0x7F) << shift
            if b < 0x80:
                if b == 0 and n > 1: raise ValueError("non-minimal varint")
                return result
            shift += 7
        raise ValueError("varint too long")

    def take(self, n):
        if n > self.end - self.pos: raise ValueError("truncated")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def field(self):
        tag = self.varint()
        num, wt = tag >> 3, tag & 7
        if num == 0 or wt not in (0, 1, 2, 5): raise ValueError("bad tag")
        return num, wt

    def skip(self, wt):
        if wt == 0: self.varint()
        elif wt == 1: self.take(8)
        elif wt == 5: self.take(4)
        else: self.take(self.varint())


def unzigzag(u): return (u >> 1) ^ -(u & 1)
def zigzag(n): return ((n << 1) ^ (n >> 63)) & (2**64 - 1)
def to_int64(u): return u - 2**64 if u >= 2**63 else u


class Codec:
    def __init__(self, enums, messages):
        self.enums, self.messages = enums, messages

    # -------------------------------------------------------------- decode ----
    def decode(self, type_, data, start=0, end=None):
        r = Reader(data, start, end)
        if type_ == "EventColumns": return self.decode_columns(r)
        fields = {f["num"]: f for f in self.messages[type_]}
        out = {}
        for f in self.messages[type_]:
            out[f["oneof"] or f["name"]] = [] if f["label"] == "repeated" else None
        while not r.at_end():
            num, wt = r.field()
            f = fields.get(num)
            if f is None:
                r.skip(wt); continue
            value = self.decode_value(f["type"], wt, r)
            if f["label"] == "repeated": out[f["name"]].append(value)
            elif f["oneof"]: out[f["oneof"]] = (f["name"], value)
            else: out[f["name"]] = value
        for f in self.messages[type_]:   # defaults of absent non-optional fields
            if f["label"] == "" and not f["oneof"] and out[f["name"]] is None:
                out[f["name"]] = self.default(f)
        return out

    def default(self, f):
        if f["default"] is not None: return f["default"]
        t = f["type"]
        if t in ("uint64", "uint32", "sint64"): return 0
        if t == "bool": return False
        if t == "double": return 0.0
        if t == "string": return ""
        if t in self.enums: return self.enums[t][0]
        return self.decode(t, b"")

    def decode_value(self, t, wt, r):
        expected = 1 if t == "double" else 0 if t in ("uint64", "uint32", "sint64", "bool") or t in self.enums else 2
        if wt != expected: raise ValueError("wrong wire type")
        if t == "double": return struct.unpack("<d", r.take(8))[0]
        if t in ("uint64", "uint32"): return r.varint()
        if t == "sint64": return unzigzag(r.varint())
        if t == "bool": return bool(r.varint())
        if t in self.enums: return self.enums[t][r.varint()]
        n = r.varint()
        if t == "string": return r.take(n).decode("utf-8")
        if t == "bytes": return r.take(n)
        start = r.pos
        r.take(n)
        return self.decode(t, r.data, start, start + n)

    def decode_columns(self, r):
        cols, count = {}, 0
        nums = {f["num"]: f["name"] for f in self.messages["EventColumns"]}
        while not r.at_end():
            num, wt = r.field()
            if num == 2: count = r.varint()
            elif num in nums: cols[nums[num]] = r.take(r.varint())
            else: r.skip(wt)
        d = Reader(cols.get("dictionary", b""))
        dictionary = []
        while not d.at_end(): dictionary.append(d.take(d.varint()).decode("utf-8"))
        readers = {k: Reader(v) for k, v in cols.items() if k != "dictionary" and not k.endswith("_present")}
        def ref(c): return dictionary[readers[c].varint()]
        def nref(c):
            if c not in readers: return None
            k = readers[c].varint()
            return None if k == 0 else dictionary[k - 1]
        prev = {}
        def delta(c, i, unsigned=False):
            bitmap = cols.get(c + "_present")
            if bitmap is not None:
                if not bitmap[i >> 3] >> (i & 7) & 1: return None
            elif c not in readers: return None
            prev[c] = to_int64((prev.get(c, 0) + unzigzag(readers[c].varint())) % 2**64)
            return prev[c] % 2**64 if unsigned else prev[c]
        rows = []
        for i in range(count):
            e = {"event": ref("name"), "anonymous_id": ref("anonymous_id"), "user_id": nref("user_id"),
                 "timestamp": delta("timestamp", i), "session_id": nref("session_id"), "event_id": nref("event_id"),
                 "url": nref("url"), "path": nref("path"), "referrer": nref("referrer"), "properties": []}
            k = readers["property_count"].varint() if "property_count" in readers else 0
            for _ in range(k):
                key, v = ref("property_key"), readers["property_value"]
                kind = v.byte()
                value = [("null", None), ("bool", False), ("bool", True)][kind] if kind < 3 else \
                    ("int", unzigzag(v.varint())) if kind == 3 else \
                    ("double", struct.unpack("<d", v.take(8))[0]) if kind == 4 else ("string", dictionary[v.varint()])
                e["properties"].append((key, value))
            e["received_at"] = delta("received_at", i)
            source = nref("source")
            e["attribution"] = None if source is None else {
                "source": source, "medium": ref("medium"), "campaign": nref("campaign"), "rule": ref("source_rule"),
                "confidence": self.enums["Confidence"][readers["source_confidence"].varint()]}
            e["seq"] = delta("seq", i, unsigned=True)
            e["user"] = nref("user")
            rows.append(e)
        for name, rd in readers.items():
            if not rd.at_end(): raise ValueError(f"column {name} has extra entries")
        return rows

    # -------------------------------------------------------------- encode ----
    @staticmethod
    def varint(n):
        out = bytearray()
        while n >= 0x80:
            out.append(n & 0x7F | 0x80); n >>= 7
        out.append(n)
        return bytes(out)

    def tag(self, num, wt): return self.varint(num << 3 | wt)

    def encode(self, type_, value):
        if type_ == "EventColumns": return self.encode_columns(value)
        out = b""
        for f in self.messages[type_]:
            if f["oneof"]:
                case = value[f["oneof"]]
                if case is not None and case[0] == f["name"]: out += self.encode_field(f, case[1])
            elif f["label"] == "repeated":
                for x in value[f["name"]]: out += self.encode_field(f, x)
            elif f["label"] == "optional":
                if value[f["name"]] is not None: out += self.encode_field(f, value[f["name"]])
            elif f["type"] in self.messages:
                body = self.encode(f["type"], value[f["name"]])
                if body: out += self.tag(f["num"], 2) + self.varint(len(body)) + body
            elif value[f["name"]] != self.default(f):
                out += self.encode_field(f, value[f["name"]])
        return out

    def encode_field(self, f, v):
        t, num = f["type"], f["num"]
        if t == "double": return self.tag(num, 1) + struct.pack("<d", v)
        if t in ("uint64", "uint32"): return self.tag(num, 0) + self.varint(v)
        if t == "sint64": return self.tag(num, 0) + self.varint(zigzag(v))
        if t == "bool": return self.tag(num, 0) + self.varint(int(v))
        if t in self.enums: return self.tag(num, 0) + self.varint({n: k for k, n in self.enums[t].items()}[v])
        body = v.encode("utf-8") if t == "string" else v if t == "bytes" else self.encode(t, v)
        return self.tag(num, 2) + self.varint(len(body)) + body

    def encode_columns(self, rows):
        if not rows: return b""
        index, dictionary = {}, bytearray()
        def intern(s):
            if s not in index:
                index[s] = len(index)
                raw = s.encode("utf-8")
                dictionary.extend(self.varint(len(raw)) + raw)
            return index[s]
        cols = {n: bytearray() for n in ("name", "anonymous_id", "user_id", "session_id", "event_id", "url", "path",
                                         "referrer", "property_count", "property_key", "property_value", "source",
                                         "medium", "campaign", "source_rule", "source_confidence", "user")}
        used = set()
        def nref(c, s):
            if s is not None: used.add(c)
            cols[c].extend(self.varint(0 if s is None else intern(s) + 1))
        deltas = {c: (bytearray(), bytearray((len(rows) + 7) // 8), [0, 0]) for c in ("timestamp", "received_at", "seq")}
        def delta(c, i, v):
            values, bitmap, state = deltas[c]
            if v is None: return
            values.extend(self.varint(zigzag(to_int64((v - state[0]) % 2**64))))
            state[0], state[1] = v, state[1] + 1
            bitmap[i >> 3] |= 1 << (i & 7)
        conf = {n: k for k, n in self.enums["Confidence"].items()}
        for i, e in enumerate(rows):
            cols["name"].extend(self.varint(intern(e["event"])))
            cols["anonymous_id"].extend(self.varint(intern(e["anonymous_id"])))
            nref("user_id", e["user_id"])
            delta("timestamp", i, e["timestamp"])
            for c in ("session_id", "event_id", "url", "path", "referrer"): nref(c, e[c])
            cols["property_count"].extend(self.varint(len(e["properties"])))
            for key, (kind, v) in e["properties"]:
                cols["property_key"].extend(self.varint(intern(key)))
                pv = cols["property_value"]
                if kind == "null": pv.append(0)
                elif kind == "bool": pv.append(2 if v else 1)
                elif kind == "int": pv.extend(b"\x03" + self.varint(zigzag(v)))
                elif kind == "double": pv.extend(b"\x04" + struct.pack("<d", v))
                else: pv.extend(b"\x05" + self.varint(intern(v)))
            delta("received_at", i, e["received_at"])
            a = e["attribution"]
            if a is None: cols["source"].append(0)
            else:
                used.add("source")
                cols["source"].extend(self.varint(intern(a["source"]) + 1))
                cols["medium"].extend(self.varint(intern(a["medium"])))
                nref("campaign", a["campaign"])
                cols["source_rule"].extend(self.varint(intern(a["rule"])))
                cols["source_confidence"].extend(self.varint(conf[a["confidence"]]))
            delta("seq", i, e["seq"])
            nref("user", e.get("user"))
        nums = {f["name"]: f["num"] for f in self.messages["EventColumns"]}
        def lp(name, body): return self.tag(nums[name], 2) + self.varint(len(body)) + bytes(body)
        fields = {"dictionary": lp("dictionary", dictionary), "count": self.tag(2, 0) + self.varint(len(rows)),
                  "name": lp("name", cols["name"]), "anonymous_id": lp("anonymous_id", cols["anonymous_id"])}
        for c in ("user_id", "session_id", "event_id", "url", "path", "referrer", "campaign", "user"):
            if c in used: fields[c] = lp(c, cols[c])
        if any(e["properties"] for e in rows):
            for c in ("property_count", "property_key", "property_value"): fields[c] = lp(c, cols[c])
        if "source" in used:
            for c in ("source", "medium", "source_rule", "source_confidence"): fields[c] = lp(c, cols[c])
        for c, (values, bitmap, (_, present)) in deltas.items():
            if present: fields[c] = lp(c, values)
            if 0 < present < len(rows): fields[c + "_present"] = lp(c + "_present", bitmap)
        return b"".join(fields[k] for k in sorted(fields, key=lambda k: nums[k]))

    # -------------------------------------------------------------- render ----
    def render(self, type_, value, field=None):
        """The vectors/README.md JSON form of a decoded value."""
        if type_ == "EventColumns":
            events = [self.render_event(e) for e in value]
            if field in ("rows", "prelogin"):
                return [{"event": ev, "user": e["user"]} for ev, e in zip(events, value)]
            return events
        if type_ in ("NullableInt64", "NullableString"): return value["value"]
        if type_ == "PropertyValue": return self.render_value(value["value"])
        if type_ == "GroupKey":
            if value["key"] is None: return "ALL"
            case, v = value["key"]
            return {case: self.render(self.field(type_, case)["type"], v, case)}
        out = {}
        for f in self.messages[type_]:
            if f["oneof"]:
                if f["oneof"] in out: continue
                case = value[f["oneof"]]
                if type_ == "FunnelQuery":
                    out["breakdown"] = None if case is None else "FIRST_TOUCH" if case[0] == "breakdown_first_touch" \
                        else {"property": case[1]}
                else:
                    out[f["oneof"]] = None if case is None else {case[0]: self.render(f["type"], case[1], case[0])}
                continue
            v = value[f["name"]]
            if f["type"] == "Property":
                out[f["name"]] = {p["key"]: self.render_value(p["value"]) for p in v}
            elif f["label"] == "repeated":
                out[f["name"]] = [self.render(f["type"], x, f["name"]) if f["type"] in self.messages else x for x in v]
            elif v is None:
                out[f["name"]] = None
            else:
                out[f["name"]] = self.render(f["type"], v, f["name"]) if f["type"] in self.messages else v
        return out

    def field(self, type_, name):
        return next(f for f in self.messages[type_] if f["name"] == name)

    @staticmethod
    def render_value(case):
        name, v = case
        return {"string_value": {"string": v}, "int_value": {"int": v}, "double_value": {"double": v},
                "bool_value": {"bool": v}, "null_value": {"null": None}}[name] if isinstance(name, str) and name.endswith("_value") \
            else {name: v}

    def render_event(self, e):
        ev = {k: e[k] for k in ("event", "anonymous_id", "user_id", "timestamp", "session_id", "event_id", "url", "path", "referrer")}
        ev["properties"] = {k: {kind: v} for k, (kind, v) in e["properties"]}
        ev.update(received_at=e["received_at"], attribution=e["attribution"], seq=e["seq"])
        return ev


def main():
    enums, messages = parse_schema(open(os.path.join(PROTO, "trailmark.tmidl")).read())
    codec = Codec(enums, messages)
    vectors = os.path.join(PROTO, "vectors")
    failures, checked = [], 0
    for name in sorted(os.listdir(vectors)):
        if not name.endswith(".bin"): continue
        stem = name[:-4]
        data = open(os.path.join(vectors, name), "rb").read()
        expected = json.load(open(os.path.join(vectors, stem + ".json")))
        try:
            value = codec.decode(expected["type"], data)
            rendered = codec.render(expected["type"], value)
            if rendered != expected["value"]:
                failures.append(f"{stem}: decoded value differs from {stem}.json:\n  got      {rendered}\n  expected {expected['value']}")
            elif codec.encode(expected["type"], value) != data:
                failures.append(f"{stem}: canonical re-encoding differs from {stem}.bin:\n  got      {codec.encode(expected['type'], value).hex()}\n  expected {data.hex()}")
        except (ValueError, KeyError, IndexError, UnicodeDecodeError) as e:
            failures.append(f"{stem}: {type(e).__name__}: {e}")
        checked += 1
    for f in failures: print("FAIL", f)
    print(f"Proto conformance (independent Python codec): {checked - len(failures)}/{checked} vectors conform")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
