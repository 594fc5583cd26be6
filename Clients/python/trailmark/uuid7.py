"""Time-ordered UUIDs (RFC 9562 § 5.7) for event ids.

An id is 48 bits of Unix milliseconds, the version nibble 7, 12 + 62 bits of
"random" tail and the RFC 4122 variant bits. Ids are made at ``track`` time, so a
retried batch carries the same ids and the server stores each event once
(SEMANTICS §1, idempotency by ``event_id``).

Within one process the generator is monotonic (RFC 9562 § 6.2, method 2): an id made
in the same millisecond as the previous one (or after the clock stepped back) reuses
the previous timestamp and adds a random increment to the previous tail, so ids sort
in the order they were made.
"""
import secrets
import threading
import time

__all__ = ["UUIDv7Generator", "uuid7", "uuid4", "uuid7_millis"]

_TAIL_BITS = 74  # 12 bits rand_a + 62 bits rand_b
_TAIL_MAX = (1 << _TAIL_BITS) - 1
_MILLIS_MAX = (1 << 48) - 1


def _format(value):
    """128-bit integer -> lower-case 8-4-4-4-12 text."""
    h = f"{value:032x}"
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _assemble(millis, tail):
    """Lays out 48-bit millis, version 7, rand_a (12 bits), variant 0b10, rand_b (62 bits)."""
    rand_a = tail >> 62
    rand_b = tail & ((1 << 62) - 1)
    return (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


class UUIDv7Generator:
    """A thread-safe, monotonic UUIDv7 source. ``clock`` returns Unix milliseconds."""

    def __init__(self, clock=None):
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self._last_millis = -1
        self._last_tail = 0

    def __call__(self):
        now = max(0, min(int(self._clock()), _MILLIS_MAX))
        with self._lock:
            if now > self._last_millis:
                millis, tail = now, secrets.randbits(_TAIL_BITS - 1)  # top bit clear: room to count up
            else:
                millis = self._last_millis
                tail = self._last_tail + 1 + secrets.randbits(32)
                if tail > _TAIL_MAX:  # tail space used up in this millisecond: borrow the next one
                    millis, tail = min(millis + 1, _MILLIS_MAX), secrets.randbits(_TAIL_BITS - 1)
            self._last_millis, self._last_tail = millis, tail
        return _format(_assemble(millis, tail))


uuid7 = UUIDv7Generator()
"""The process-wide generator: ``uuid7()`` returns a new id as text."""


def uuid4():
    """A random (version 4) UUID as text; used for anonymous ids."""
    value = secrets.randbits(128)
    value = (value & ~(0xF << 76)) | (0x4 << 76)
    value = (value & ~(0b11 << 62)) | (0b10 << 62)
    return _format(value)


def uuid7_millis(text):
    """The Unix milliseconds encoded in a UUIDv7 (raises ValueError for anything else)."""
    digits = text.replace("-", "")
    if len(text) != 36 or len(digits) != 32 or digits[12] != "7" or digits[16] not in "89ab":
        raise ValueError(f"not a UUIDv7: {text!r}")
    return int(digits[:12], 16)
