"""The canonical encoder (WIRE.md § 4, § 5): a message given as a dict to its bytes."""
import struct

from .columns import encode_columns
from .schema import ENUMS, SCHEMA, default_value, wire_type
from .wire import ld, tag, varint, zigzag

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
        return tag(num, 2) + _scalar("str", v)
    if kind == "int":
        return tag(num, 0) + _scalar("s64", v)
    if kind == "double":
        return tag(num, 1) + _scalar("dbl", v)
    return tag(num, 0) + varint(1 if kind == "null" or v else 0)


def encode(mtype, value):
    """The canonical encoding (WIRE.md § 4) of a message given as a dict."""
    out = bytearray()
    for num, name, typ, kind, default in SCHEMA[mtype]:
        v = value.get(name, default_value(typ, kind, default))
        out += _encode_field(num, typ, kind, default, v)
    return bytes(out)


def _encode_field(num, typ, kind, default, v):
    if typ == "breakdown":
        if v is None:
            return b""
        if v == "FIRST_TOUCH":
            return tag(11, 0) + b"\x01"
        return tag(10, 2) + _scalar("str", v["property"])
    if typ == "groupkey":
        if v is None or v == "ALL":
            return b""
        (case, inner), = v.items()
        if case == "property":
            body = ld(1, _pvalue(inner))
        elif case == "first_touch":
            body = ld(2, encode("FirstTouchKey", inner))
        else:
            body = ld(3, b"" if inner is None else tag(1, 2) + _scalar("str", inner))
        return ld(num[0], body)
    if typ == "props":
        return b"".join(ld(num, tag(1, 2) + _scalar("str", k) + _pvalue(pv)) for k, pv in (v or {}).items())
    if typ == "nint":
        return b"".join(ld(num, b"" if x is None else tag(1, 0) + _scalar("s64", x)) for x in v or [])
    if typ == "nstr":
        return b"".join(ld(num, b"" if x is None else tag(1, 2) + _scalar("str", x)) for x in v or [])
    if typ in ("events", "rows"):
        body = encode_columns(v or [], with_user=typ == "rows")
        return ld(num, body) if body else b""
    if typ.startswith("msg:"):
        if kind == "rep":
            return b"".join(ld(num, encode(typ[4:], x)) for x in v or [])
        if v is None:
            return b""
        body = encode(typ[4:], v)
        if kind == "req" and not body:
            return b""
        return ld(num, body)
    wt = wire_type(typ)
    if kind == "rep":
        return b"".join(tag(num, wt) + _scalar(typ, x) for x in v or [])
    if kind == "opt":
        return b"" if v is None else tag(num, wt) + _scalar(typ, v)
    dflt = default_value(typ, kind, default)
    if v is None or (v == dflt and type(v) is type(dflt)):
        return b""
    return tag(num, wt) + _scalar(typ, v)
