import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import Server  # noqa: E402

ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
def server():
    """A plaintext server (h2c + HTTP/1.1) with one key of each kind."""
    s = Server(plaintext=True)
    s.start()
    s.keys = {
        "sk": s.create_key("secret"),
        "pk": s.create_key("public", origins=[ORIGIN]),
        "rk": s.create_key("read"),
    }
    yield s
    s.cleanup()
