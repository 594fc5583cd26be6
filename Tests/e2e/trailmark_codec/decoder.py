"""The message decoder (WIRE.md § 2, § 5, § 8): accepts any valid encoding (fields in any order,
unknown fields skipped, repeated scalars last-wins) and raises `WireError(code, field)` otherwise."""
import struct

from .columns import decode_columns
from .schema import ENUMS, MAX_DEPTH, SCHEMA, default_value, wire_type
from .wire import WireError, join_path, read_fields, unzigzag, utf8

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
        return utf8(val, path)
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
                raise WireError("wrongWireType", join_path(path, "key"))
            key = _decode_scalar("str", val, join_path(path, "key"))
            continue
        kinds = {2: ("string", "str", 2), 3: ("int", "s64", 0), 4: ("double", "dbl", 1),
                 5: ("bool", "bool", 0), 6: ("null", "bool", 0)}
        if num not in kinds:
            continue
        kind, typ, want = kinds[num]
        name = ["string_value", "int_value", "double_value", "bool_value", "null_value"][num - 2]
        if wt != want:
            raise WireError("wrongWireType", join_path(path, name))
        v = _decode_scalar(typ, val, join_path(path, name))
        if kind == "null":
            if v is not True:
                raise WireError("invalidValue", join_path(path, name))
            v = None
        pv = {kind: v}
    if pv is None:
        raise WireError("missingField", path)
    return (key if key is not None else ""), pv


def decode(mtype, data, path="", depth=0):
    """The dict of a message body; raises WireError (§ 8) on malformed input."""
    if depth > MAX_DEPTH:
        raise WireError("limitExceeded", path)
    fields = read_fields(data, path)
    schema = SCHEMA[mtype]
    by_num = {}
    for f in schema:
        for n in (f[0] if isinstance(f[0], tuple) else (f[0],)):
            by_num[n] = f
    out = {f[1]: default_value(f[2], f[3], f[4]) if not f[2].startswith("msg:") or f[3] != "req" else None
           for f in schema}
    for num, wt, val in fields:
        f = by_num.get(num)
        if f is None:
            continue  # unknown field: skipped by its wire type (§ 2)
        _, name, typ, kind, default = f
        fpath = join_path(path, name)
        if typ == "breakdown":
            fname = "breakdown_property" if num == 10 else "breakdown_first_touch"
            if wt != (2 if num == 10 else 0):
                raise WireError("wrongWireType", join_path(path, fname))
            if num == 10:
                out[name] = {"property": _decode_scalar("str", val, join_path(path, fname))}
            else:
                if _decode_scalar("bool", val, join_path(path, fname)) is not True:
                    raise WireError("invalidValue", join_path(path, fname))
                out[name] = "FIRST_TOUCH"
            continue
        if wt != wire_type(typ):
            raise WireError("wrongWireType", fpath)
        if kind == "rep":
            ipath = f"{fpath}[{len(out[name])}]"
            if typ == "props":
                key, pv = _decode_pvalue(read_fields(val, ipath), ipath, True)
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
            out[f[1]] = decode(f[2][4:], b"", join_path(path, f[1]), depth + 1)
    return out


def _decode_nullable(typ, data, path):
    v = None
    for num, wt, val in read_fields(data, path):
        if num != 1:
            continue
        want = 0 if typ == "nint" else 2
        if wt != want:
            raise WireError("wrongWireType", join_path(path, "value"))
        v = unzigzag(val) if typ == "nint" else _decode_scalar("str", val, join_path(path, "value"))
    return v


def _decode_groupkey(data, path, depth):
    key = "ALL"
    for num, wt, val in read_fields(data, path):
        if num not in (1, 2, 3):
            continue
        name = ["property", "first_touch", "experiment_group"][num - 1]
        if wt != 2:
            raise WireError("wrongWireType", join_path(path, name))
        if num == 1:
            key = {"property": _decode_pvalue(read_fields(val, join_path(path, name)), join_path(path, name), False)[1]}
        elif num == 2:
            key = {"first_touch": decode("FirstTouchKey", val, join_path(path, name), depth + 1)}
        else:
            key = {"experiment_group": _decode_nullable("nstr", val, join_path(path, name))}
    return key
