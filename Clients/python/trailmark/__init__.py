"""Trailmark Python SDK: batching, retrying, idempotent event tracking over the JSON
gateway, plus a small read client. Standard library only."""
from .anonymous_id import FileAnonymousIdStore, MemoryAnonymousIdStore
from .client import Client, Stats
from .errors import DeliveryFailure, TrailmarkError
from .reader import ReadClient
from .transport import RetryPolicy
from .uuid7 import UUIDv7Generator, uuid4, uuid7

__all__ = ["Client", "Stats", "ReadClient", "TrailmarkError", "DeliveryFailure", "RetryPolicy",
           "MemoryAnonymousIdStore", "FileAnonymousIdStore", "UUIDv7Generator", "uuid7", "uuid4"]
__version__ = "0.1.0"
