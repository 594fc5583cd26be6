"""Early input checks (SEMANTICS §1 limits) and time conversion.

Every check raises ``ValueError`` (or ``TypeError`` for a value of the wrong type)
whose message starts with the field's name, at the call site, so bad input never
reaches the background worker or the server.
"""
import datetime as _dt
import json
import math
import time

__all__ = ["to_micros", "check_text", "check_properties", "now_micros", "LIMITS"]

# SEMANTICS §1 byte limits (UTF-8).
LIMITS = {
    "event": (1, 200),
    "anonymous_id": (0, 200),
    "user_id": (1, 256),
    "session_id": (0, 128),
    "event_id": (0, 128),
    "url": (0, 2048),
    "path": (0, 2048),
    "referrer": (0, 2048),
}
PROPERTIES_MAX_BYTES = 64 * 1024  # compact JSON encoding of the whole map
PROPERTY_KEY_MAX_BYTES = 256
# Times must lie in years 1970..9999 (README "Input rules").
_MICROS_MAX = 253402300800 * 1_000_000 - 1
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def now_micros():
    """Now, in integer microseconds since the Unix epoch."""
    return time.time_ns() // 1000


def _utf8_len(name, value):
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid UTF-8 text (lone surrogate)") from None


def check_text(name, value, limits=None, *, required=False):
    """Checks a text field against its byte limits; returns it. None stays None unless
    ``required``."""
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    low, high = limits or LIMITS[name]
    n = _utf8_len(name, value)
    if n < low:
        raise ValueError(f"{name} must not be empty")
    if n > high:
        raise ValueError(f"{name} is {n} bytes; at most {high} are allowed")
    return value


def check_properties(name, properties):
    """Checks a flat map of str keys to str | int | float | bool | None, at most 64 KiB
    of compact JSON; returns a shallow copy (later changes by the caller don't leak in)."""
    if properties is None:
        return None
    if not isinstance(properties, dict):
        raise TypeError(f"{name} must be a dict, got {type(properties).__name__}")
    copy = {}
    for key, value in properties.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be str, got {type(key).__name__}")
        if _utf8_len(f"{name}.{key}", key) > PROPERTY_KEY_MAX_BYTES:
            raise ValueError(f"{name}.{key[:32]}…: keys are at most {PROPERTY_KEY_MAX_BYTES} bytes")
        if isinstance(value, str):
            _utf8_len(f"{name}.{key}", value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name}.{key} must be a finite number, got {value}")
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise TypeError(f"{name}.{key} must be a string, number, boolean or None "
                            f"({name} are flat), got {type(value).__name__}")
        copy[key] = value
    size = len(json.dumps(copy, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > PROPERTIES_MAX_BYTES:
        raise ValueError(f"{name} encode to {size} bytes of JSON; at most {PROPERTIES_MAX_BYTES} are allowed")
    return copy


def to_micros(name, value):
    """A time as integer microseconds since the epoch: an aware ``datetime`` (a naive one
    is taken as UTC), an ``int`` of microseconds, or an RFC 3339 string. None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a datetime, int microseconds or RFC 3339 str, got bool")
    if isinstance(value, int):
        micros = value
    elif isinstance(value, _dt.datetime):
        micros = _datetime_micros(value)
    elif isinstance(value, str):
        try:
            parsed = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name} is not an RFC 3339 time: {value!r}") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{name} needs a UTC offset or Z: {value!r}")
        micros = _datetime_micros(parsed)
    else:
        raise TypeError(f"{name} must be a datetime, int microseconds or RFC 3339 str, "
                        f"got {type(value).__name__}")
    if not 0 <= micros <= _MICROS_MAX:
        raise ValueError(f"{name} must lie in years 1970..9999, got {value!r}")
    return micros


def _datetime_micros(value):
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def time_param(name, value):
    """A time for a read endpoint's query string or body: RFC 3339 text or int µs."""
    if value is None or isinstance(value, str):
        return value
    return to_micros(name, value)
