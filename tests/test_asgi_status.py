"""A response status that is not an HTTP status (100 to 599) is never handed
to an ASGI server (granian exits on it, uvicorn sends nothing): the app
answers 500 and logs the ValueError as any error of the request's."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from test_asgi_stream_chunks import http_scope
from test_websocket import ws_scope

from kolba import Flask


def started(app: Flask, path: str) -> list[dict[str, Any]]:
    """The http.response.start messages the app sends for GET ``path``."""
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(http_scope(path), receive, send), 5)

    asyncio.run(main())
    return [m for m in sent if m["type"] == "http.response.start"]


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)

    @app.get("/sync/<int:status>")
    def sync_view(status: int) -> Any:
        return "x", status

    @app.get("/async/<int:status>")
    async def async_view(status: int) -> Any:
        return "x", status

    return app


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("status", [1000, 99, 600, 0])
def test_a_status_that_is_no_http_status_is_a_logged_500(
    app: Flask, kind: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        starts = started(app, f"/{kind}/{status}")
    assert [m["status"] for m in starts] == [500]
    [record] = caplog.records
    assert record.name == app.logger.name
    assert record.getMessage() == f"Exception on /{kind}/{status} [GET]"
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, ValueError)
    assert str(error) == (
        f"The response's status {status} is not an HTTP status (100 to 599)"
    )


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("status", [100, 599, 204])
def test_the_statuses_at_the_ends_are_sent(app: Flask, kind: str, status: int) -> None:
    assert [m["status"] for m in started(app, f"/{kind}/{status}")] == [status]


def test_an_error_handler_that_answers_no_status_fails_before_the_start(
    app: Flask,
) -> None:
    """The answer to the error is not checked again by the app: the driver
    raises before it sends the start (the server answers 500 itself)."""

    @app.errorhandler(500)
    def bad(e: Exception) -> Any:
        return "bad", 1000

    with pytest.raises(ValueError, match="status 1000 is not an HTTP status"):
        started(app, "/sync/1000")


def test_a_websocket_refusal_with_no_http_status_is_a_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A before_websocket answer whose status is no HTTP status is not sent
    as the handshake's HTTP answer: the error is logged, the app's answer is
    a 500, as for any error before the accept."""
    @app.before_websocket
    def refuse() -> Any:
        return "no", 1000

    @app.websocket("/ws")
    async def ws() -> None:
        pass

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = ws_scope(extensions={"websocket.http.response": {}})
        await asyncio.wait_for(app(scope, inbox.get, send), 5)
        return sent

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        sent = asyncio.run(main())
    assert [m.get("status") for m in sent] == [500, None]
    assert sent[1]["type"] == "websocket.http.response.body"
    assert "status 1000 is not an HTTP status" in caplog.text
