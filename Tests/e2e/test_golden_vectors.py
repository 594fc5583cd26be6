"""The pure-Python codec (written from Proto/ alone) against every golden vector:
decode each `.bin` to exactly its `.json` value, re-encode it byte for byte (WIRE.md § 9)."""
import glob
import json
import os
import struct

import pytest

from trailmark_codec import SCHEMA, WireError, decode, encode, encode_columns, varint, zigzag

VECTORS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "Proto", "vectors")
NAMES = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(VECTORS, "*.bin")))


def load(name):
    with open(os.path.join(VECTORS, name + ".bin"), "rb") as f:
        data = f.read()
    with open(os.path.join(VECTORS, name + ".json"), encoding="utf-8") as f:
        desc = json.load(f)
    return data, desc


def typed(x):
    """Structure with key order and int/float/bool kept distinct, for exact comparison."""
    if isinstance(x, dict):
        return ("dict", [(k, typed(v)) for k, v in x.items()])
    if isinstance(x, list):
        return ("list", [typed(v) for v in x])
    if isinstance(x, float):
        return ("float", struct.pack("<d", x))
    return (type(x).__name__, x)


def test_every_message_type_has_a_vector():
    assert len(NAMES) >= 25
    covered = {load(n)[1]["type"] for n in NAMES}
    wire_types = set(SCHEMA) - {"Identify", "StatsRow", "SourcesRow", "FirstTouch", "FunnelStep", "Experiment",
                                "FunnelStepResult", "TimeToComplete", "FirstTouchKey", "FunnelGroup",
                                "Comparison", "StepComparison", "GroupComparison"}
    assert wire_types <= covered, wire_types - covered


@pytest.mark.parametrize("name", NAMES)
def test_decode_matches_json(name):
    data, desc = load(name)
    value = decode(desc["type"], data)
    assert typed(value) == typed(desc["value"]), json.dumps(value, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("name", NAMES)
def test_encode_is_byte_identical(name):
    data, desc = load(name)
    assert encode(desc["type"], desc["value"]).hex(" ") == data.hex(" ")


def test_worked_example_columns():
    """WIRE.md § 6.7 spelled out, column by column."""
    data, desc = load("EventBatch-small")
    block = encode_columns(desc["value"]["events"])
    assert data[:2] == bytes([0x0A, len(block)]) and data[2:2 + len(block)] == block
    assert bytes.fromhex("32 03 80 89 7A 3A 01 01") in block


def test_varints_and_zigzag_of_wire_md():
    assert [varint(n).hex() for n in (0, 1, 127, 128, 300)] == ["00", "01", "7f", "8001", "ac02"]
    assert varint(2 ** 64 - 1).hex() == "ffffffffffffffffff01"
    assert [zigzag(n) for n in (0, -1, 1, -2, 2)] == [0, 1, 2, 3, 4]
    assert zigzag(-2 ** 63) == 2 ** 64 - 1


@pytest.mark.parametrize("body,code", [
    (b"\x10\x80\x00", "malformedVarint"),                 # non-minimal varint
    (b"\x10" + b"\xff" * 9 + b"\x02", "malformedVarint"),  # above 2^64 - 1
    (b"\x10\x80", "truncated"),                           # varint cut off
    (b"\x22\x05ab", "truncated"),                         # length beyond the message
    (b"\x22\x03\xed\xa0\x80", "invalidUTF8"),             # surrogate
    (b"\x22\x02\xc0\x80", "invalidUTF8"),                 # overlong
    (b"\x12\x00", "wrongWireType"),                       # accepted (varint) sent as bytes
    (b"\x13", None),                                      # wire type 3 (code unspecified, § 2)
    (b"\x00\x01", None),                                  # field number 0 (code unspecified, § 2)
    (b"\x10\x80\x80\x80\x80\x10", "invalidValue"),       # uint32 >= 2^32
])
def test_malformed_bodies_are_rejected(body, code):
    with pytest.raises(WireError) as e:
        decode("BatchAck", body)
    if code is not None:
        assert e.value.code == code


def test_unknown_fields_are_skipped_and_last_value_wins():
    body = b"\x10\x01" + b"\xf8\x01\x05" + b"\x81\x02" + bytes(8) + b"\x8a\x02\x02zz" + b"\x8d\x02" + bytes(4) + b"\x10\x02"
    assert decode("BatchAck", body)["accepted"] == 2
