"""The Trailmark client: ``track`` and ``identify`` queue in memory and return at once;
one background thread sends batches to the JSON gateway (``POST /v1/batch``,
``POST /v1/identify``) when ``flush_at`` items are queued, every ``flush_interval``
seconds, on ``flush()`` and on ``shutdown()``.
"""
import atexit
import json
import logging
import threading
import time
from dataclasses import dataclass

from .anonymous_id import MemoryAnonymousIdStore
from .event_queue import EventQueue, Item
from .sender import SenderMixin
from .transport import Connection, Endpoint, RetryPolicy
from .uuid7 import uuid4, uuid7
from .validation import LIMITS, check_properties, check_text, now_micros, to_micros

__all__ = ["Client", "Stats"]

log = logging.getLogger("trailmark")

BATCH_EVENTS_MAX = 1000  # API.md: /v1/batch takes 1..1000 events
BATCH_BYTES_MAX = 5 * 1024 * 1024  # API.md: /v1/batch bodies up to 5 MiB


@dataclass(frozen=True)
class Stats:
    """A snapshot of a client's counters (events unless said otherwise)."""

    queued: int  # waiting, including a batch in flight
    sent: int  # acknowledged by the server (stored, or recognised as already stored)
    duplicates: int  # acknowledged as duplicates (a retry of something already stored)
    batches: int  # requests acknowledged (batches and identifies)
    dropped: int  # dropped because the queue was full (oldest first)
    rejected: int  # discarded because the server refused them for good
    retries: int  # requests retried after a transient failure
    identifies: int  # identify calls acknowledged


class Client(SenderMixin):
    """A thread-safe, batching Trailmark client for a server at ``host``
    (``https://host:port``, or ``http://host:port`` for a ``--plaintext`` server)
    writing with ``key`` (a secret ``sk_…`` key).

    Every method may be called from any thread; ``track`` and ``identify`` never block
    on the network and never wait for the worker (the queue drops its oldest item when
    full). See README.md for every option.
    """

    def __init__(self, host, key, *, flush_at=100, flush_interval=5.0, max_queue_size=10_000,
                 max_batch_events=BATCH_EVENTS_MAX, max_batch_bytes=4 * 1024 * 1024,
                 max_retries=8, retry_base=0.1, retry_cap=10.0, timeout=15.0, ca_file=None,
                 ssl_context=None, on_error=None, anonymous_id_store=None, shutdown_at_exit=True):
        if not isinstance(key, str) or not key:
            raise ValueError("key must be a non-empty API key (sk_live_…)")
        if flush_at < 1:
            raise ValueError("flush_at must be at least 1")
        if not 1 <= max_batch_events <= BATCH_EVENTS_MAX:
            raise ValueError(f"max_batch_events must be 1..{BATCH_EVENTS_MAX} (API.md batch limit)")
        if not 1024 <= max_batch_bytes <= BATCH_BYTES_MAX - 1024:
            raise ValueError(f"max_batch_bytes must be 1024..{BATCH_BYTES_MAX - 1024}")
        if flush_interval <= 0 or timeout <= 0:
            raise ValueError("flush_interval and timeout must be positive")
        self.endpoint = Endpoint(host)
        self.flush_at = flush_at
        self.flush_interval = float(flush_interval)
        self.max_batch_events = max_batch_events
        self.max_batch_bytes = max_batch_bytes
        self.retry = RetryPolicy(base=retry_base, cap=retry_cap, max_retries=max_retries)
        self.on_error = on_error
        self._connection = Connection(self.endpoint, key, timeout=timeout, ca_file=ca_file, ssl_context=ssl_context)
        self._store = anonymous_id_store or MemoryAnonymousIdStore()
        saved = self._store.load()
        if saved is None:
            saved = uuid4()
            self._store.save(saved)
        self._anonymous_id = saved
        self._user_id = None

        self._cond = threading.Condition()
        self._queue = EventQueue(max_queue_size)
        self._next_seq = 1
        self._inflight_first = None  # seq of the oldest item of the request in flight
        self._flush_target = 0  # send every item with seq <= this, ignoring flush_at
        self._interval_due = None  # monotonic time the interval flush is due (None: queue empty)
        self._paused_until = 0.0  # after retries ran out: wait before trying again on our own
        self._failed_rounds = 0  # rounds that ran out of retries (flush() returns False)
        self._closed = False
        self._abort = threading.Event()  # hard stop: abandon backoff and exit
        self._sleep = self._abort.wait  # returns True when aborted (tests replace it)
        self._counts = dict(sent=0, duplicates=0, batches=0, rejected=0, retries=0, identifies=0)

        self._worker = threading.Thread(target=self._run, name="trailmark-worker", daemon=True)
        self._worker.start()
        self._atexit = shutdown_at_exit
        if shutdown_at_exit:
            atexit.register(self.shutdown, timeout=max(self.flush_interval, timeout))

    # --- identity ---

    @property
    def anonymous_id(self):
        """This device's anonymous id (made once, kept by ``anonymous_id_store``)."""
        with self._cond:
            return self._anonymous_id

    @property
    def user_id(self):
        """The user id of the last ``identify`` of this device's anonymous id, if any."""
        with self._cond:
            return self._user_id

    def reset(self):
        """Log-out: forgets the user and starts a new anonymous id (saved in the store)."""
        fresh = uuid4()
        self._store.save(fresh)
        with self._cond:
            self._anonymous_id, self._user_id = fresh, None

    # --- writes ---

    def track(self, event, properties=None, *, user_id=None, anonymous_id=None, timestamp=None,
              session_id=None, url=None, path=None, referrer=None, event_id=None):
        """Queues one event and returns its ``event_id``: the one given, or a new UUIDv7.

        Without ``anonymous_id`` the event carries this device's anonymous id and, unless
        ``user_id`` is given, the user of the last ``identify``. ``timestamp`` is an aware
        ``datetime``, int microseconds since the epoch or an RFC 3339 string (default: now).
        Raises ``ValueError``/``TypeError`` naming the field for input the server would
        refuse (SEMANTICS §1). After ``shutdown`` the event is ignored and None returned.
        """
        check_text("event", event, required=True)
        properties = check_properties("properties", properties)
        for name, value in (("user_id", user_id), ("anonymous_id", anonymous_id), ("session_id", session_id),
                            ("url", url), ("path", path), ("referrer", referrer), ("event_id", event_id)):
            check_text(name, value)
        micros = to_micros("timestamp", timestamp)
        event_id = event_id or uuid7()
        if micros is None:
            micros = now_micros()
        with self._cond:
            if anonymous_id is None:
                anonymous_id = self._anonymous_id
                user_id = user_id if user_id is not None else self._user_id
        if not anonymous_id and not user_id:
            raise ValueError("anonymous_id or user_id must be non-empty")
        payload = {"event": event, "anonymous_id": anonymous_id, "event_id": event_id, "timestamp": micros}
        for name, value in (("user_id", user_id), ("session_id", session_id), ("url", url), ("path", path),
                            ("referrer", referrer), ("properties", properties)):
            if value is not None:
                payload[name] = value
        if not self._enqueue("event", payload, event_id):
            return None
        return event_id

    def identify(self, user_id, traits=None, *, anonymous_id=None, timestamp=None):
        """Queues an identify linking ``anonymous_id`` (default: this device's) to
        ``user_id`` (SEMANTICS §1, §3). Identifying the device's own anonymous id also
        makes ``user_id`` the default of later ``track`` calls. Raises ``ValueError``
        naming the field for an empty or oversized id or bad traits."""
        check_text("user_id", user_id, required=True)
        check_text("anonymous_id", anonymous_id, (1, LIMITS["anonymous_id"][1]))
        traits = check_properties("traits", traits)
        micros = to_micros("timestamp", timestamp)
        if micros is None:
            micros = now_micros()
        with self._cond:
            if anonymous_id is None:
                anonymous_id = self._anonymous_id
                if not self._closed:
                    self._user_id = user_id
        payload = {"anonymous_id": anonymous_id, "user_id": user_id, "timestamp": micros}
        if traits:
            payload["traits"] = traits
        self._enqueue("identify", payload, None)

    def _enqueue(self, kind, payload, event_id):
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        with self._cond:
            if self._closed:
                log.warning("trailmark: %s after shutdown ignored", kind)
                return False
            self._queue.append(Item(kind, self._next_seq, body, event_id))
            self._next_seq += 1
            if self._interval_due is None:
                self._interval_due = time.monotonic() + self.flush_interval
                self._cond.notify_all()
            elif len(self._queue) >= self.flush_at:
                self._cond.notify_all()
        return True

    # --- flush and shutdown ---

    def flush(self, timeout=None):
        """Sends everything queued before this call and waits until each item was
        acknowledged or discarded (refused for good, reported to ``on_error``, or
        dropped by queue overflow). Returns True then; False when ``timeout`` seconds
        passed or retries ran out on a transient failure (those items stay queued for
        the next attempt). Called from ``on_error`` (the worker thread) it returns False
        at once instead of waiting for itself."""
        if threading.current_thread() is self._worker:
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._next_seq - 1
            failures = self._failed_rounds
            self._flush_target = max(self._flush_target, target)
            self._paused_until = 0.0
            self._cond.notify_all()
            while not self._settled_locked(target):
                if self._failed_rounds != failures or not self._worker.is_alive():
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def shutdown(self, timeout=None):
        """Stops accepting events, flushes what is queued (with retries; at most
        ``timeout`` seconds), stops the worker and closes the connection. Returns what
        ``flush`` returned. Safe to call more than once; registered with ``atexit``
        unless ``shutdown_at_exit=False``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            already = self._closed
            self._closed = True
        if already:
            self._worker.join(timeout)
            with self._cond:
                return self._settled_locked(self._next_seq - 1)
        if self._atexit:
            atexit.unregister(self.shutdown)
        delivered = self.flush(timeout)
        with self._cond:
            self._abort.set()
            self._cond.notify_all()
        self._worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()) + 1.0)
        self._connection.close()
        return delivered

    def _settled_locked(self, target):
        """True when no item with ``seq <= target`` is queued or in flight."""
        if self._inflight_first is not None and self._inflight_first <= target:
            return False
        first = self._queue.first_seq()
        return first is None or first > target

    # --- counters ---

    @property
    def dropped(self):
        """Events and identifies dropped because the queue was full (oldest first)."""
        with self._cond:
            return self._queue.dropped

    @property
    def stats(self):
        """A ``Stats`` snapshot of the counters."""
        with self._cond:
            queued = len(self._queue) + (0 if self._inflight_first is None else self._inflight_count)
            return Stats(queued=queued, dropped=self._queue.dropped, **self._counts)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
