"""UUIDv7 layout (RFC 9562 § 5.7) and the generator's ordering."""
import re
import time
import uuid

from trailmark.uuid7 import UUIDv7Generator, uuid4, uuid7, uuid7_millis

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_format_version_variant_and_timestamp():
    before = time.time_ns() // 1_000_000
    ids = [uuid7() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    for text in ids:
        assert UUID7.match(text), text
        parsed = uuid.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert before <= uuid7_millis(text) <= after + 1  # +1: a tail overflow may borrow a millisecond


def test_ids_sort_in_the_order_they_were_made_even_within_one_millisecond():
    frozen = UUIDv7Generator(clock=lambda: 1_700_000_000_000)
    ids = [frozen() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(UUID7.match(i) for i in ids)
    assert uuid7_millis(ids[0]) == 1_700_000_000_000


def test_clock_stepping_back_keeps_the_order():
    times = iter([5_000, 5_000, 4_000, 3_000, 6_000, 6_000])
    gen = UUIDv7Generator(clock=lambda: next(times))
    ids = [gen() for _ in range(6)]
    assert ids == sorted(ids)
    assert [uuid7_millis(i) for i in ids] == [5_000, 5_000, 5_000, 5_000, 6_000, 6_000]


def test_tail_overflow_borrows_the_next_millisecond():
    gen = UUIDv7Generator(clock=lambda: 42)
    gen()
    gen._last_tail = (1 << 74) - 2  # next increment overflows the 74-bit tail
    nxt = gen()
    assert uuid7_millis(nxt) == 43 and UUID7.match(nxt)


def test_uuid4_for_anonymous_ids():
    ids = {uuid4() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
