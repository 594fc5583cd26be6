"""Errors of the SDK and what ``on_error`` receives."""
from dataclasses import dataclass, field

__all__ = ["TrailmarkError", "DeliveryFailure", "RETRYABLE_STATUSES"]

# HTTP statuses retried with the same event ids (API.md: 429 rate_limited with
# Retry-After, 503 unavailable while replaying or shutting down; other 5xx are
# treated as transient too). Every other non-2xx status is final.
RETRYABLE_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


class TrailmarkError(Exception):
    """A failed request.

    ``code`` is the server's stable API.md error code (``invalid_event``,
    ``unauthorized``, ``rate_limited``, ``unavailable``, …) or, for failures without
    a response, ``connection_error``, ``timeout`` or ``tls_error``. ``status`` is the
    HTTP status (None without a response), ``details`` the error's ``details`` object
    (``field`` and ``reason`` for invalid input), ``retry_after`` the server's
    ``Retry-After`` in seconds when it sent one.
    """

    def __init__(self, code, message, *, status=None, details=None, retry_after=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}
        self.retry_after = retry_after

    @property
    def retryable(self):
        """True when the same request may be sent again (connection loss, timeouts,
        408, 429, 5xx). Never for 400/401/403/404/413 or TLS verification failures."""
        if self.status is None:
            return self.code in ("connection_error", "timeout")
        return self.status in RETRYABLE_STATUSES

    @property
    def field(self):
        """The JSON path the server named for invalid input (``events[3].timestamp``), if any."""
        value = self.details.get("field") if isinstance(self.details, dict) else None
        return value if isinstance(value, str) else None


@dataclass
class DeliveryFailure:
    """Passed to ``on_error`` when events or identifies could not be delivered.

    ``discarded`` True: the server refused them for good (bad input, bad key, …) and
    they were dropped. ``discarded`` False: retries were exhausted on a transient
    failure; the items stay queued and are tried again at the next flush.
    """

    error: TrailmarkError
    event_ids: list = field(default_factory=list)
    identifies: int = 0
    discarded: bool = True
