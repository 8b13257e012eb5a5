"""A teardown_request function that raises under ASGI: the error reaches
the server, as under a WSGI server (Flask's too), after the response the app
made is sent, for a sync view as for an async one (whose response is sent
before its teardown runs). A sync view got the server's own 500 instead."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_asgi_stream_chunks import http_scope

from kolba import Flask, g


def serve(app: Flask, path: str) -> tuple[list[dict[str, Any]], BaseException]:
    """What the app sends for GET ``path``, and the error it raises."""
    sent: list[dict[str, Any]] = []

    async def main() -> BaseException:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        with pytest.raises(RuntimeError) as raised:
            await asyncio.wait_for(app(http_scope(path), receive, send), 5)
        return raised.value

    return sent, asyncio.run(main())


@pytest.mark.parametrize("teardown_kind", ["sync", "async"])
@pytest.mark.parametrize("path", ["/sync", "/async", "/sync-response"])
def test_the_response_is_sent_then_the_error_reaches_the_server(
    path: str, teardown_kind: str
) -> None:
    app = Flask(__name__)

    @app.get("/sync")
    def sync_view() -> str:
        g.boom = True
        return "ok"

    @app.get("/async")
    async def async_view() -> str:
        g.boom = True
        return "ok"

    @app.get("/sync-response")
    def response_view() -> Any:
        g.boom = True
        return app.response_class("ok", headers={"X-A": "1"})

    if teardown_kind == "sync":

        @app.teardown_request
        def boom(exc: BaseException | None) -> None:
            if g.get("boom"):
                raise RuntimeError("teardown boom")

    else:

        @app.teardown_request
        async def aboom(exc: BaseException | None) -> None:
            if g.get("boom"):
                raise RuntimeError("teardown boom")

    sent, error = serve(app, path)
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"ok"
    assert not sent[-1].get("more_body")  # (complete)
    assert repr(error) == "RuntimeError('teardown boom')"
