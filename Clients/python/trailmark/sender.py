"""The worker thread of ``Client``: picks requests off the queue and delivers them
with retries. Only the worker runs this code (one request in flight at a time, in
queue order)."""
import logging
import re
import time

from .errors import DeliveryFailure, TrailmarkError
from .transport import error_from_response
from .validation import now_micros

__all__ = ["SenderMixin"]

log = logging.getLogger("trailmark")

_EVENT_FIELD = re.compile(r"^events\[(\d+)\]")


class SenderMixin:
    """Delivery half of ``Client`` (kept apart to keep each file small)."""

    _inflight_count = 0

    def _run(self):
        """Worker loop: wait until a request is due, take it, deliver it; exits on abort,
        or when closed with nothing left to send. Never raises."""
        while True:
            with self._cond:
                while not self._due_locked():
                    if self._abort.is_set():
                        return
                    self._cond.wait(self._wait_locked())
                if self._abort.is_set():
                    return
                items = self._queue.take(self.max_batch_events, self.max_batch_bytes)
                self._inflight_first, self._inflight_count = items[0].seq, len(items)
                if not len(self._queue):
                    self._interval_due = None
                elif self._interval_due is None:
                    self._interval_due = time.monotonic() + self.flush_interval
            try:
                self._deliver(items)
            except Exception:  # a bug or an on_error that raised: log it, keep the worker alive
                log.exception("trailmark: unexpected error while sending; items dropped")
            finally:
                with self._cond:
                    self._inflight_first, self._inflight_count = None, 0
                    self._cond.notify_all()

    def _due_locked(self):
        """True when the front of the queue should be sent now."""
        first = self._queue.first_seq()
        if first is None:
            return False
        if self._flush_target >= first:
            return True
        now = time.monotonic()
        if now < self._paused_until:
            return False
        if len(self._queue) >= self.flush_at:
            return True
        if self._interval_due is not None and now >= self._interval_due:
            self._flush_target = self._next_seq - 1  # the interval sends everything queued
            self._interval_due = now + self.flush_interval
            return True
        return False

    def _wait_locked(self):
        """Seconds until the worker must look again (None: until notified)."""
        if not len(self._queue):
            return None
        due = max(self._interval_due or 0.0, self._paused_until)
        return max(0.001, due - time.monotonic()) if due else None

    def _deliver(self, items):
        """Sends ``items`` (one identify, or a batch of events) until acknowledged,
        refused for good, or out of retries (then they go back to the queue's front)."""
        pending = list(items)
        retries = 0
        fast_retry_used = False
        while pending:
            try:
                ack = self._send(pending)
            except TrailmarkError as error:
                if error.retryable:
                    # A keep-alive socket the server closed while idle fails before any
                    # response: one immediate retry on a fresh connection, not counted.
                    if getattr(error, "reused", False) and error.code == "connection_error" and not fast_retry_used:
                        fast_retry_used = True
                        continue
                    if self.retry.exhausted(retries) or self._abort.is_set():
                        self._give_up(pending, error)
                        return
                    delay = self.retry.delay(retries, error)
                    retries += 1
                    with self._cond:
                        self._counts["retries"] += 1
                    log.info("trailmark: %s; retry %d in %.2f s", error, retries, delay)
                    if self._sleep(delay):  # aborted by shutdown(timeout)
                        self._give_up(pending, error)
                        return
                    continue
                bad = self._named_event(error, pending)
                if bad is not None and len(pending) > 1:
                    # The batch is all-or-nothing on the server: drop only the event it
                    # named and resend the rest at once (each round removes one event).
                    self._discard([pending.pop(bad)], error)
                    continue
                self._discard(pending, error)
                return
            self._acknowledged(pending, ack)
            return

    def _send(self, pending):
        """One request; returns the parsed 2xx body or raises ``TrailmarkError``."""
        if pending[0].kind == "event":
            body = b'{"events":[' + b",".join(item.body for item in pending) + \
                b'],"sent_at":' + str(now_micros()).encode() + b"}"
            path = "/v1/batch"
        else:
            body, path = pending[0].body, "/v1/identify"
        status, headers, parsed = self._connection.request("POST", path, body)
        if 200 <= status < 300:
            return parsed if isinstance(parsed, dict) else {}
        raise error_from_response(status, headers, parsed)

    @staticmethod
    def _named_event(error, pending):
        """Index of the event a 400 names (``details.field = events[3]…``), if valid."""
        if error.status != 400 or pending[0].kind != "event" or not error.field:
            return None
        match = _EVENT_FIELD.match(error.field)
        if not match:
            return None
        index = int(match.group(1))
        return index if index < len(pending) else None

    def _acknowledged(self, items, ack):
        with self._cond:
            self._inflight_first, self._inflight_count = None, 0
            counts = self._counts
            counts["batches"] += 1
            if items[0].kind == "event":
                counts["sent"] += len(items)
                duplicates = ack.get("duplicates")
                counts["duplicates"] += duplicates if isinstance(duplicates, int) else 0
            else:
                counts["identifies"] += 1

    def _discard(self, items, error):
        """Drops items the server refused for good and reports them (before ``flush``
        waiters can see them settled)."""
        log.warning("trailmark: %d item(s) refused: %s", len(items), error)
        self._report(items, error, discarded=True)
        with self._cond:
            self._counts["rejected"] += len(items)
            self._inflight_count -= len(items)
            if self._inflight_count <= 0:
                self._inflight_first, self._inflight_count = None, 0
            self._cond.notify_all()

    def _give_up(self, items, error):
        """Retries ran out: report, then back to the front of the queue; no automatic
        tries for one flush interval; waiting ``flush`` calls return False."""
        log.warning("trailmark: giving up for now after retries: %s (%d item(s) kept)", error, len(items))
        self._report(items, error, discarded=False)
        with self._cond:
            self._inflight_first, self._inflight_count = None, 0
            self._queue.put_back(items)
            self._failed_rounds += 1
            self._flush_target = 0
            self._paused_until = time.monotonic() + self.flush_interval
            self._interval_due = self._paused_until
            self._cond.notify_all()

    def _report(self, items, error, discarded):
        if self.on_error is None:
            return
        failure = DeliveryFailure(error=error, event_ids=[i.event_id for i in items if i.kind == "event"],
                                  identifies=sum(1 for i in items if i.kind != "event"), discarded=discarded)
        try:
            self.on_error(failure)
        except Exception:
            log.exception("trailmark: on_error raised")
