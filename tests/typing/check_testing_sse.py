"""The test client's session and ``with`` block, and server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator

from typing_extensions import assert_type

from kolba import Flask, Response
from kolba.sessions import SessionMixin
from kolba.sse import event_stream
from kolba.testing import KolbaClient

app = Flask(__name__)


def edit_session(client: KolbaClient) -> None:
    with client.session_transaction() as session:
        assert_type(session, SessionMixin)
        session["user"] = "ann"
        session.permanent = True
        session.not_an_attribute  # type: ignore[attr-defined]  # noqa: B018
    with client:
        client.get("/")


async def ticks() -> AsyncIterator[dict[str, str]]:
    yield {"event": "tick", "data": "1"}


@app.route("/ticks")
async def stream() -> Response:
    return event_stream(ticks(), keep_alive=5, status=200, headers={"X-A": "1"})


event_stream(ticks(), headers=[("X-A", "1")])
event_stream(ticks(), status=[200])  # type: ignore[arg-type]
event_stream(ticks(), headers=5)  # type: ignore[arg-type]
event_stream([{"data": "x"}])  # type: ignore[arg-type]
