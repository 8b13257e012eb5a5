"""pytest plugin for suites written for nose (``-p nose_methods``): calls a
test class's ``setup()`` before each test and ``teardown()`` after it, as
pytest did before 8.0."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _nose_methods(request: Any) -> Iterator[None]:
    instance = request.instance
    setup = getattr(instance, "setup", None)
    if callable(setup):
        setup()
    yield
    teardown = getattr(instance, "teardown", None)
    if callable(teardown):
        teardown()
