"""The bounded FIFO between the callers of ``track``/``identify`` and the worker.

It holds at most ``capacity`` items and drops the **oldest** on overflow (counted in
``dropped``), so a long outage costs the oldest data and bounded memory, never a
blocked caller. Not thread-safe: the client guards it with its lock.
"""
from collections import deque
from dataclasses import dataclass

__all__ = ["Item", "EventQueue"]


@dataclass
class Item:
    """One queued request part: an event (``kind == "event"``) or an identify.

    ``seq`` increases by one per item made (``flush`` waits on it); ``body`` is the
    item's compact JSON, encoded once at call time.
    """

    kind: str
    seq: int
    body: bytes
    event_id: str = None


class EventQueue:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("max_queue_size must be at least 1")
        self.capacity = capacity
        self._items = deque()
        self.dropped = 0

    def __len__(self):
        return len(self._items)

    def first_seq(self):
        """The ``seq`` of the oldest item, or None when empty."""
        return self._items[0].seq if self._items else None

    def append(self, item):
        """Adds ``item`` at the back, dropping the oldest item first if full."""
        if len(self._items) >= self.capacity:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)

    def put_back(self, items):
        """Returns unsent ``items`` (oldest first) to the front. If the queue filled up
        meanwhile, the oldest of them are dropped (and counted) to keep the capacity."""
        for i in range(len(items) - 1, -1, -1):
            if len(self._items) >= self.capacity:
                self.dropped += i + 1  # items[0..i], the oldest, do not fit
                return
            self._items.appendleft(items[i])

    def take(self, max_events, max_bytes):
        """Removes and returns the next request's items: one identify, or the longest run
        of events at the front with at most ``max_events`` items and ``max_bytes`` of
        JSON (always at least one event)."""
        if not self._items:
            return []
        if self._items[0].kind != "event":
            return [self._items.popleft()]
        batch, size = [], 0
        while self._items and len(batch) < max_events:
            item = self._items[0]
            if item.kind != "event" or (batch and size + len(item.body) + 1 > max_bytes):
                break
            size += len(item.body) + 1
            batch.append(self._items.popleft())
        return batch
