"""A pure-Python Trailmark wire codec, written from `Proto/WIRE.md`, `Proto/trailmark.tmidl`
and `Proto/vectors/` only (no look at the Swift codec).

Values use the shape of the golden vectors' `.json` (`Proto/vectors/README.md`): a message is
a dict of its fields in schema order (absent `optional` = None, non-optional = its default),
enums are names, property maps are dicts of `{"string"|"int"|"double"|"bool"|"null": v}`,
event blocks are lists of row-form events (query rows: `{"event": <event>, "user": ...}`).
`encode(type, value)` writes the canonical bytes (WIRE.md § 4); `decode(type, data)` accepts
any valid encoding and raises `WireError(code, field)` otherwise (WIRE.md § 8).

Modules by role: `wire` (varints, tags, the field reader, `WireError`), `schema` (the message
table and defaults), `columns` (the event block, § 6), `encoder` and `decoder`.
"""
from .columns import EVENT_FIELDS, decode_columns, encode_columns
from .decoder import decode
from .encoder import encode
from .schema import ENUMS, MAX_DEPTH, SCHEMA, F
from .wire import U64, Reader, WireError, to_i64, unzigzag, varint, zigzag

__all__ = ["ENUMS", "EVENT_FIELDS", "F", "MAX_DEPTH", "Reader", "SCHEMA", "U64", "WireError", "decode",
           "decode_columns", "encode", "encode_columns", "to_i64", "unzigzag", "varint", "zigzag"]
