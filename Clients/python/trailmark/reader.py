"""A small, synchronous read client for the JSON gateway's read endpoints (API.md):
each method returns the parsed JSON answer as dicts and lists, or raises
``TrailmarkError`` with the server's error code. Needs a read (``rk_``) or secret
(``sk_``) key. Thread-safe: one keep-alive connection guarded by a lock.

Reads are idempotent, so transient failures (connection loss, 429 with Retry-After,
503 while the server replays its log, other 5xx) are retried with the same backoff as
the writer (``max_retries``, default 3).
"""
import threading
import urllib.parse

from .errors import TrailmarkError
from .transport import Connection, Endpoint, RetryPolicy, error_from_response
from .validation import time_param

__all__ = ["ReadClient"]


class ReadClient:
    def __init__(self, host, key, *, timeout=30.0, ca_file=None, ssl_context=None, max_retries=3,
                 retry_base=0.1, retry_cap=5.0):
        self.endpoint = Endpoint(host)
        self.retry = RetryPolicy(base=retry_base, cap=retry_cap, max_retries=max_retries)
        self._connection = Connection(self.endpoint, key, timeout=timeout, ca_file=ca_file, ssl_context=ssl_context)
        self._lock = threading.Lock()
        self._abort = threading.Event()

    def close(self):
        with self._lock:
            self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- endpoints ---

    def query(self, from_, to, *, event=None, source=None, medium=None, user_id=None, anonymous_id=None,
              limit=None, order=None, cursor=None):
        """``GET /v1/query``: one page ``{"events": [row…], "next_cursor": …}``.
        ``from_``/``to`` are datetimes, int microseconds or RFC 3339 strings."""
        return self.get("/v1/query", {"from": time_param("from", from_), "to": time_param("to", to),
                                      "event": event, "source": source, "medium": medium, "user_id": user_id,
                                      "anonymous_id": anonymous_id, "limit": limit, "order": order,
                                      "cursor": cursor})

    def query_all(self, from_, to, *, page_limit=10_000, **filters):
        """Every matching row of ``[from_, to)``, following ``next_cursor`` page by page
        (a generator; each page is one request)."""
        cursor = None
        while True:
            page = self.query(from_, to, limit=page_limit, cursor=cursor, **filters)
            yield from page.get("events", [])
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def stats(self, metric="count", *, from_=None, to=None, event=None, group_by=None, interval=None, unit=None):
        """``GET /v1/stats``: ``metric`` is ``count`` or ``uniques``; ``event`` a name or a
        list (repeated parameter); ``group_by`` a list or comma string of ``event``,
        ``source``, ``medium``, ``campaign``; ``interval`` ``hour``/``day``/``week``."""
        if isinstance(group_by, (list, tuple)):
            group_by = ",".join(group_by)
        return self.get("/v1/stats", {"metric": metric, "from": time_param("from", from_),
                                      "to": time_param("to", to), "event": event, "group_by": group_by,
                                      "interval": interval, "unit": unit})

    def sources(self, *, from_=None, to=None):
        """``GET /v1/sources``: events and uniques per source/medium/campaign."""
        return self.get("/v1/sources", {"from": time_param("from", from_), "to": time_param("to", to)})

    def user(self, user_id, *, conversion_event=None):
        """``GET /v1/users/{user_id}``: anonymous ids, first touch, pre-login events and,
        with ``conversion_event``, time to conversion (SEMANTICS §3)."""
        if not isinstance(user_id, str) or not user_id:
            raise ValueError("user_id must not be empty")
        return self.get("/v1/users/" + urllib.parse.quote(user_id, safe=""),
                        {"conversion_event": conversion_event})

    def funnel(self, steps, *, from_, to, **options):
        """``POST /v1/funnel`` (SEMANTICS §4, §5). ``steps`` is a list of event names or
        ``{"event", "where"}`` dicts; ``options`` are the body's other keys as in API.md
        (``windows``, ``window``, ``strict``, ``allowance``, ``count``, ``unit``,
        ``breakdown``, ``experiment``)."""
        if not isinstance(steps, (list, tuple)) or not steps:
            raise ValueError("steps must be a non-empty list")
        body = {"from": time_param("from", from_), "to": time_param("to", to),
                "steps": [{"event": s} if isinstance(s, str) else s for s in steps]}
        body.update({k: v for k, v in options.items() if v is not None})
        return self.request("POST", "/v1/funnel", body)

    def health(self):
        """``GET /v1/health`` (no key needed): ``{"status", "events"}``."""
        return self.request("GET", "/v1/health", auth=False)

    def forget(self, user_id):
        """``DELETE /v1/users/{user_id}`` (secret key): ``{"ok", "events_hidden"}``."""
        if not isinstance(user_id, str) or not user_id:
            raise ValueError("user_id must not be empty")
        return self.request("DELETE", "/v1/users/" + urllib.parse.quote(user_id, safe=""))

    # --- plumbing ---

    def get(self, path, params=None):
        """``GET path?params`` (None values left out, lists repeated)."""
        pairs = []
        for name, value in (params or {}).items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if v is not None:
                    pairs.append((name, str(v).lower() if isinstance(v, bool) else str(v)))
        query = urllib.parse.urlencode(pairs)
        return self.request("GET", path + ("?" + query if query else ""))

    def request(self, method, path, body=None, *, auth=True):
        """One call with retries on transient failures; the parsed JSON of a 2xx answer."""
        retries = 0
        fast_retry_used = False
        while True:
            try:
                with self._lock:
                    status, headers, parsed = self._connection.request(method, path, body, auth=auth)
                if 200 <= status < 300:
                    return parsed
                raise error_from_response(status, headers, parsed)
            except TrailmarkError as error:
                if not error.retryable:
                    raise
                if getattr(error, "reused", False) and error.code == "connection_error" and not fast_retry_used:
                    fast_retry_used = True
                    continue
                if self.retry.exhausted(retries):
                    raise
                self._abort.wait(self.retry.delay(retries, error))
                retries += 1
