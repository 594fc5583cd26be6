"""Where a client keeps its anonymous id between runs.

A store has ``load() -> str | None`` (None when nothing was saved yet) and
``save(id)``. The client calls ``load`` once; when it returns None it makes a random
UUID (version 4), saves it and uses it for every event without an explicit
``anonymous_id``. Any object with these two methods may be passed as
``anonymous_id_store``.
"""
import os
import tempfile
import threading

__all__ = ["MemoryAnonymousIdStore", "FileAnonymousIdStore"]

_MAX_BYTES = 200  # SEMANTICS §1: anonymous_id is 0..200 bytes


class MemoryAnonymousIdStore:
    """Keeps the id for the life of the process (the default)."""

    def __init__(self, initial=None):
        self._lock = threading.Lock()
        self._value = initial

    def load(self):
        with self._lock:
            return self._value

    def save(self, anonymous_id):
        with self._lock:
            self._value = anonymous_id


class FileAnonymousIdStore:
    """Keeps the id in a small text file, so it survives restarts.

    The directory is created on first save and the file is replaced atomically
    (write to a temporary file, then ``os.replace``). An unreadable, empty or oversized
    file counts as "no id yet".
    """

    def __init__(self, path):
        self.path = os.fspath(path)

    def load(self):
        try:
            with open(self.path, "rb") as f:
                text = f.read(_MAX_BYTES + 2).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not text or len(text.encode("utf-8")) > _MAX_BYTES:
            return None
        return text

    def save(self, anonymous_id):
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".anonymous-id-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(anonymous_id + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
