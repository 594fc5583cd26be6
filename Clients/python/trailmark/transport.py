"""One keep-alive HTTP/1.1 connection to the JSON gateway, and the retry policy.

Standard library only: ``http.client`` over TCP or TLS (``ssl`` with the system trust
store, or ``ca_file`` such as the server's development CA in ``DATA/tls/ca.pem``).
A ``Connection`` is not thread-safe; each user (the worker thread, the read client)
owns one or guards it with a lock.
"""
import http.client
import json
import random
import socket
import ssl
import urllib.parse

from .errors import TrailmarkError

__all__ = ["Endpoint", "Connection", "RetryPolicy", "USER_AGENT"]

USER_AGENT = "trailmark-python/0.1"


class Endpoint:
    """``https://host[:port]`` (TLS, default port 443) or ``http://host[:port]`` (a
    ``--plaintext`` server, default port 80). A bare ``host:port`` means https."""

    def __init__(self, host):
        if not isinstance(host, str) or not host.strip():
            raise ValueError("host must be a URL such as https://analytics.example:8443")
        text = host.strip()
        if "://" not in text:
            text = "https://" + text
        url = urllib.parse.urlsplit(text)
        if url.scheme not in ("http", "https"):
            raise ValueError(f"host: scheme must be http or https, got {url.scheme!r}")
        if not url.hostname:
            raise ValueError(f"host: no host name in {host!r}")
        if url.path not in ("", "/") or url.query or url.fragment:
            raise ValueError(f"host: expected scheme://host[:port] only, got {host!r}")
        try:
            port = url.port
        except ValueError:
            raise ValueError(f"host: bad port in {host!r}") from None
        self.tls = url.scheme == "https"
        self.hostname = url.hostname
        self.port = port or (443 if self.tls else 80)

    def __repr__(self):
        return f"{'https' if self.tls else 'http'}://{self.hostname}:{self.port}"


class Connection:
    """A lazily opened, reused HTTP/1.1 connection; reopened after any failure."""

    def __init__(self, endpoint, key, *, timeout, ca_file=None, ssl_context=None):
        self.endpoint = endpoint
        self.key = key
        self.timeout = timeout
        self._context = None
        if endpoint.tls:
            self._context = ssl_context or ssl.create_default_context(cafile=ca_file)
        self._conn = None
        self.requests_on_connection = 0

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def request(self, method, path, body=None, *, auth=True):
        """Sends one request; returns ``(status, headers, parsed JSON or None)`` for any
        HTTP response. Raises ``TrailmarkError`` (code ``connection_error``, ``timeout``
        or ``tls_error``) when no complete response arrived. ``reused`` on the error tells
        whether the connection had served a request before (a stale keep-alive socket)."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + self.key
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(
                body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        reused = self._conn is not None and self.requests_on_connection > 0
        try:
            if self._conn is None:
                self._conn = self._open()
                self.requests_on_connection = 0
            self._conn.request(method, path, body=data, headers=headers)
            response = self._conn.getresponse()
            raw = response.read()
            self.requests_on_connection += 1
            if response.will_close:
                self.close()
        except ssl.SSLCertVerificationError as e:
            self.close()
            raise TrailmarkError("tls_error", f"certificate verification failed: {e}") from e
        except (socket.timeout, TimeoutError) as e:
            self.close()
            raise _with_reused(TrailmarkError("timeout", f"no response within {self.timeout} s"), reused) from e
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise _with_reused(TrailmarkError("connection_error", f"{type(e).__name__}: {e}"), reused) from e
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        return response.status, response.headers, parsed

    def _open(self):
        if self.endpoint.tls:
            return http.client.HTTPSConnection(self.endpoint.hostname, self.endpoint.port,
                                               timeout=self.timeout, context=self._context)
        return http.client.HTTPConnection(self.endpoint.hostname, self.endpoint.port, timeout=self.timeout)


def _with_reused(error, reused):
    error.reused = reused
    return error


def error_from_response(status, headers, body):
    """The ``TrailmarkError`` of a non-2xx response (API.md error shape)."""
    body = body if isinstance(body, dict) else {}
    code = body.get("error") if isinstance(body.get("error"), str) else f"http_{status}"
    message = body.get("message") if isinstance(body.get("message"), str) else f"HTTP {status}"
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    return TrailmarkError(code, message, status=status, details=details,
                          retry_after=_retry_after(headers.get("Retry-After")))


def _retry_after(text):
    """Seconds from a ``Retry-After`` header (delta-seconds form); None if absent or not a number."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


class RetryPolicy:
    """Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
    And Jitter"): retry ``n`` (0-based) waits a uniformly random time in
    ``[0, min(cap, base * 2**n)]`` seconds, or exactly the server's ``Retry-After``
    (capped at ``retry_after_max``) when it sent one. ``max_retries`` retries follow the
    first attempt; None retries for as long as the client lives."""

    def __init__(self, base=0.1, cap=10.0, max_retries=8, retry_after_max=60.0, rng=None):
        if base < 0 or cap < 0:
            raise ValueError("retry base and cap must not be negative")
        if max_retries is not None and max_retries < 0:
            raise ValueError("max_retries must be >= 0 or None")
        self.base = base
        self.cap = cap
        self.max_retries = max_retries
        self.retry_after_max = retry_after_max
        self._rng = rng or random.SystemRandom()

    def ceiling(self, attempt):
        """``min(cap, base * 2**attempt)`` in seconds."""
        return min(self.cap, self.base * (2 ** min(max(attempt, 0), 60)))

    def delay(self, attempt, error=None):
        """The wait in seconds before retry ``attempt`` (0-based) after ``error``."""
        if error is not None and error.retry_after is not None:
            return min(error.retry_after, self.retry_after_max)
        return self._rng.uniform(0, self.ceiling(attempt))

    def exhausted(self, retries_done):
        return self.max_retries is not None and retries_done >= self.max_retries
