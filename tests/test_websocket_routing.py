"""A WebSocket handshake to a URL without a WebSocket is answered as an HTTP
request to a URL without a view is: 404 (through the app's 404 handler),
400 for a URL of HTTP routes only, the redirect of a URL that needs its
slash; the HTTP answer where the server takes one (Quart 0.22 answers
these three the same), else a close (the server's 403)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kolba import Flask, websocket
from kolba.testing import WebSocketRefused


@pytest.fixture
def routed(app: Flask) -> list[str]:
    seen: list[str] = []

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    @app.websocket("/room/")
    async def room() -> None:
        await websocket.send("room")

    @app.errorhandler(404)
    def not_found(e: Any) -> Any:
        seen.append("404 handler")
        return "no such WebSocket", 404

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append("teardown")

    return seen


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/nothere", 404, None),
        ("/plain", 400, None),
        ("/room", 308, "ws://localhost/room/"),
    ],
)
def test_a_url_without_a_websocket_is_answered_by_the_app(
    app: Flask, routed: list[str], path: str, status: int, location: str | None
) -> None:
    with pytest.raises(WebSocketRefused) as refused:
        with app.test_client().websocket(path):
            pass
    response = refused.value.response
    assert (response.status_code, response.headers.get("Location")) == (
        status,
        location,
    )
    if status == 404:
        assert response.get_data() == b"no such WebSocket"
        assert routed == ["404 handler", "teardown"]
    else:
        assert routed == ["teardown"]


def test_the_redirect_keeps_wss_and_the_query(app: Flask, routed: list[str]) -> None:
    with pytest.raises(WebSocketRefused) as refused:
        with app.test_client().websocket(
            "/room?x=1", base_url="https://example.com"
        ):
            pass
    assert refused.value.response.headers["Location"] == "wss://example.com/room/?x=1"


def test_without_the_http_answer_a_url_without_a_websocket_closes_with_1008(
    app: Flask, routed: list[str]
) -> None:
    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "websocket",
            "path": "/nothere",
            "headers": [],
            "query_string": b"",
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 1),
            "root_path": "",
        }
        await asyncio.wait_for(app(scope, inbox.get, send), 5)
        return sent

    assert asyncio.run(main()) == [
        {"type": "websocket.close", "code": 1008, "reason": ""}
    ]
    assert routed == ["404 handler", "teardown"]
