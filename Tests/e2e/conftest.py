import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rpc_support import US, dataset  # noqa: E402
from server import Server  # noqa: E402
from trailmark_rpc import Channel  # noqa: E402

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


@pytest.fixture(scope="module")
def loaded(server):
    """The RPC data set (`rpc_support.dataset`) ingested through the binary RPC into the module's server."""
    events, identifies = dataset()
    with Channel.to(server, key=server.keys["sk"]) as ch:
        half = len(events) // 2
        acks = [ch.unary("Ingest/Track", {"events": events[:half], "batch_id": 1, "sent_at": int(time.time() * US)}),
                ch.unary("Ingest/Track", {"events": events[half:], "batch_id": 2})]
        assert [a["batch_id"] for a in acks] == [1, 2]
        assert [a["accepted"] for a in acks] == [half, len(events) - half]
        assert all(a["duplicates"] == 0 for a in acks)
        assert ch.unary("Identity/Identify", {"identifies": identifies}) == {"accepted": len(identifies)}
    return events, identifies


@pytest.fixture()
def rpc(server):
    """A binary RPC channel to the module's server with its read key."""
    with Channel.to(server, key=server.keys["rk"]) as ch:
        yield ch
