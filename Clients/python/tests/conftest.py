import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # Clients/python: the `trailmark` package
sys.path.insert(0, HERE)

from fake_gateway import FakeGateway  # noqa: E402
from trailmark import Client  # noqa: E402


@pytest.fixture()
def gateway():
    g = FakeGateway()
    yield g
    g.close()


@pytest.fixture()
def clients():
    made = []

    def make(gateway, **options):
        options.setdefault("shutdown_at_exit", False)
        options.setdefault("flush_interval", 60)
        c = Client(gateway.url, "sk_live_test_secret", **options)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown(timeout=5)
