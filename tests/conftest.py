"""Shared fixtures: a fresh app and its test client."""

from __future__ import annotations

import pytest

from kolba import Flask
from kolba.testing import KolbaClient


@pytest.fixture
def app() -> Flask:
    """A testing app with a secret key (sessions and flashing work)."""
    app = Flask("kolba_test_app")
    app.config.update(TESTING=True, SECRET_KEY="test-secret")
    return app


@pytest.fixture
def client(app: Flask) -> KolbaClient:
    return app.test_client()
