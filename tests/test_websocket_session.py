"""The session changed in a WebSocket view (rev-async #5: dropped without a
word, and flashes read there shown again). A server-side store saves it
when its id stays; a change that needs a new cookie, which a WebSocket
cannot send after its handshake (a cookie session's, a new store session),
is lost with a warning, logged once. (Flask has no WebSockets; Quart's
cookie sessions drop such changes too.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kolba import Flask, flash, get_flashed_messages, session, websocket

WARNING = "A WebSocket view (/ws) changed the session"


def session_app(store: str | None) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "a test key long enough to sign"
    app.config["SESSION_STORE"] = store

    @app.get("/login")
    def login() -> str:
        session["user"] = "ann"
        flash("welcome ann")
        return "in"

    @app.get("/who")
    def who() -> dict[str, object]:
        return {"seen": session.get("seen"), "flashes": get_flashed_messages()}

    @app.websocket("/ws")
    async def ws() -> None:
        session["seen"] = "in the websocket"
        await websocket.send(repr(get_flashed_messages()))

    return app


def test_a_store_saves_the_session_a_websocket_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = session_app(f"sqlite:///{tmp_path}/sessions.db")
    client = app.test_client()
    client.get("/login")
    with client.websocket("/ws") as ws:
        assert ws.receive() == "['welcome ann']"
    assert client.get("/who").json == {"seen": "in the websocket", "flashes": []}
    assert WARNING not in caplog.text


def test_a_cookie_session_changed_in_a_websocket_is_lost_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = session_app(None)
    client = app.test_client()
    client.get("/login")
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        for _ in range(2):
            with client.websocket("/ws") as ws:
                assert ws.receive() == "['welcome ann']"
    assert caplog.text.count(WARNING) == 1  # once
    # (as before: the cookie could not change)
    assert client.get("/who").json == {"seen": None, "flashes": ["welcome ann"]}


def test_a_new_store_session_in_a_websocket_is_lost_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No session cookie came: the new session's id cannot reach the client."""
    app = session_app(f"sqlite:///{tmp_path}/sessions.db")
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        with app.test_client().websocket("/ws") as ws:
            assert ws.receive() == "[]"
    assert caplog.text.count(WARNING) == 1


def test_a_websocket_that_only_reads_the_session_warns_of_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = session_app(None)

    @app.websocket("/read")
    async def read() -> None:
        await websocket.send(str(session.get("user")))

    client = app.test_client()
    client.get("/login")
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        with client.websocket("/read") as ws:
            assert ws.receive() == "ann"
    assert "changed the session" not in caplog.text
