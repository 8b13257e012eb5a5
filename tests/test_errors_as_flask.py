"""Error paths that differed from Flask 3.1.3 (rev-errors)."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Flask, Response, abort
from kolba.testing import ASGIClient


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_abort_with_a_response_calls_make_response_once(driver: str) -> None:
    """abort(Response): an overridden make_response is called once, with the
    HTTPException, as in Flask (rev-errors #4: then again with its response)."""
    calls: list[str] = []

    class App(Flask):
        def make_response(self, rv: t.Any) -> Response:
            calls.append(type(rv).__name__)
            return super().make_response(rv)

    app = App(__name__)

    @app.route("/")
    def index() -> str:
        abort(Response("custom", 418))

    client = (
        ASGIClient(app, app.response_class) if driver == "asgi" else app.test_client()
    )
    response = client.get("/")
    assert (response.status_code, response.data) == (418, b"custom")
    assert calls == ["HTTPException"]
