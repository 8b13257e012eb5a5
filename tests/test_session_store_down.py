"""A store that is down while a request carries the session cookie (a real
Redis URL with nothing listening): the failure is logged when the request
uses the session (its 503), once, not when an ``async def`` view's session
is loaded ahead under ASGI and never used."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from test_session_stores import _signed_id, client_for, free_port, make_app

from kolba import get_flashed_messages, session


def down_app() -> Any:
    app = make_app(f"redis://127.0.0.1:{free_port()}/0")

    @app.errorhandler(503)
    def unavailable(e: Exception) -> Any:
        return f"down, flashes: {get_flashed_messages()}", 503

    @app.route("/async/twice")
    async def twice() -> str:
        for _ in range(2):
            try:
                session.get("a")
            except Exception:
                pass
        session["b"] = "2"  # a write: 503 again
        return "written?"

    return app


@pytest.mark.parametrize("views", ["", "/async"])
def test_a_view_not_using_the_session_logs_nothing(
    views: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = down_app()
    client = client_for(app, views)
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.WARNING):
        response = client.get(f"{views}/plain")
    assert (response.status_code, response.text) == (200, "plain")
    assert caplog.text == ""


@pytest.mark.parametrize("path", ["/get", "/async/get", "/async/twice"])
def test_a_view_using_the_session_logs_the_failure_once(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = down_app()
    client = client_for(app, "/async" if path.startswith("/async") else "")
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.WARNING):
        response = client.get(path)
    assert (response.status_code, response.text) == (503, "down, flashes: []")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in records] == [
        "The session store failed to load a session"
    ]
    assert records[0].exc_info is not None
    assert "ConnectionError" in caplog.text  # the store's own error, logged
