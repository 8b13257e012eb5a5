"""The names ``kolba`` serves lazily (templating, WebSocketDisconnect) have
their real types, as the same names of ``flask`` have."""

from __future__ import annotations

from collections.abc import Iterator

from typing_extensions import assert_type

import kolba
from kolba import (
    Flask,
    WebSocketDisconnect,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
    websocket,
)

app = Flask(__name__)


@app.route("/")
def index() -> str:
    return render_template("index.html", name="x")


@app.route("/first")
def first() -> str:
    return render_template(["a.html", "b.html"])


@app.route("/inline")
def inline() -> str:
    return render_template_string("{{ name }}", name="x")


@app.route("/big")
def big() -> Iterator[str]:
    return stream_template("big.html", rows=[1, 2])


@app.route("/big-inline")
def big_inline() -> Iterator[str]:
    return stream_template_string("{{ rows }}", rows=[1, 2])


assert_type(kolba.render_template("x.html"), str)
assert_type(kolba.__version__, str)
assert_type(kolba.stream_template_string("x"), Iterator[str])
render_template(3)  # type: ignore[arg-type]
render_template_string()  # type: ignore[call-arg]


@app.websocket("/echo")
async def echo() -> None:
    try:
        while True:
            await websocket.send(await websocket.receive())
    except WebSocketDisconnect as gone:
        assert_type(gone.code, int)
    except kolba.WebSocketDisconnect:
        pass
