"""Under ASGI an ``async def`` teardown function (``teardown_request``,
``teardown_appcontext``, on the app or a blueprint) runs on the server's event
loop and does not block it: while one waits, another request on the same loop
is served. Each is called as a sync one is (Flask's order, contexts, the
error), after an async view, a sync view (run in the thread pool) and a
WebSocket, over the real ASGI driver."""

from __future__ import annotations

import asyncio
import io
import typing as t

import pytest
from test_teardown import Event, state  # (one record of contexts for both)

from kolba import (
    Blueprint,
    Flask,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    g,
    request,
    request_tearing_down,
)


class Served:
    """An app whose blueprint's ``/bp/slow`` view (async or sync, or a
    WebSocket) has teardown functions of both kinds that wait for ``/release``,
    an async view of the app that waits until they wait."""

    def __init__(self, view_kind: str, fail: bool = False, raise_in: str = "") -> None:
        self.events: list[Event] = []
        self.loops: list[asyncio.AbstractEventLoop] = []
        self.waiting = asyncio.Event()
        self.released = asyncio.Event()
        self.app = app = Flask(__name__)
        bp = Blueprint("bp", __name__, url_prefix="/bp")

        def slow() -> str:
            g.v = "slow"
            if fail:
                raise ValueError("slow")
            return "slow"

        async def slow_async() -> str:
            return slow()

        async def slow_ws() -> None:
            from kolba import websocket

            await websocket.accept()
            slow()

        if view_kind == "websocket":
            bp.websocket("/slow")(slow_ws)
        else:
            bp.route("/slow")(slow_async if view_kind == "async" else slow)

        @app.route("/release")
        async def release() -> str:
            await asyncio.wait_for(self.waiting.wait(), 5)
            self.released.set()
            return "released"

        def sync_one(name: str) -> t.Callable[[BaseException | None], None]:
            def record(exc: BaseException | None) -> None:
                if g.get("v") == "slow":  # (not /release's)
                    self.events.append((name, repr(exc), state()))

            return record

        def async_one(
            name: str, wait: bool
        ) -> t.Callable[[BaseException | None], t.Awaitable[None]]:
            async def record(exc: BaseException | None) -> None:
                self.loops.append(asyncio.get_running_loop())
                if g.get("v") != "slow":  # (/release's)
                    return
                self.events.append((name, repr(exc), state()))
                if wait:
                    self.waiting.set()
                    await asyncio.wait_for(self.released.wait(), 5)
                else:
                    await asyncio.sleep(0)
                self.events.append((f"{name} done", repr(exc), state()))
                if raise_in == name:
                    raise KeyError(name)

            return record

        app.teardown_request(sync_one("app req"))
        bp.teardown_request(sync_one("bp req sync"))
        bp.teardown_request(async_one("bp req async", wait=True))
        app.teardown_appcontext(sync_one("appctx sync"))
        app.teardown_appcontext(async_one("appctx async", wait=False))
        app.register_blueprint(bp)

    async def get(self, path: str) -> tuple[int, bytes]:
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await self.app(_scope("http", path), receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def connect(self, path: str) -> list[str]:
        inbox = [{"type": "websocket.connect"}, {"type": "websocket.disconnect"}]
        sent: list[str] = []

        async def receive() -> dict[str, t.Any]:
            return inbox.pop(0)

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message["type"])

        await self.app(_scope("websocket", path), receive, send)
        return sent

    def serve(self, kind: str) -> tuple[t.Any, t.Any]:
        """``/bp/slow`` and ``/release`` at once on one loop; their outcomes."""

        async def main() -> t.Any:
            loop = asyncio.get_running_loop()
            first = self.connect if kind == "websocket" else self.get
            both = asyncio.gather(
                first("/bp/slow"), self.get("/release"), return_exceptions=True
            )
            rv = await asyncio.wait_for(both, 10)
            assert self.loops and all(one is loop for one in self.loops)
            return rv

        slow, release = asyncio.run(main())
        assert release == (200, b"released")  # served while the teardown waited
        return slow, release


def expected(fail: bool, path: str = "/bp/slow") -> list[Event]:
    error = "ValueError('slow')" if fail else "None"
    req, app = f"req app g=slow {path}", "- app g=slow"
    return [
        ("bp req async", error, req),
        ("bp req async done", error, req),
        ("bp req sync", error, req),
        ("app req", error, req),
        ("appctx async", error, app),
        ("appctx async done", error, app),
        ("appctx sync", error, app),
    ]


@pytest.mark.parametrize("fail", [False, True])
@pytest.mark.parametrize("kind", ["async", "sync"])
def test_an_async_teardown_function_waits_on_the_loop(kind: str, fail: bool) -> None:
    served = Served(kind, fail)
    slow, _ = served.serve(kind)
    assert slow == ((500, slow[1]) if fail else (200, b"slow"))
    assert served.events == expected(fail)


@pytest.mark.parametrize("fail", [False, True])
def test_an_async_teardown_function_of_a_websocket_waits_on_the_loop(
    fail: bool,
) -> None:
    served = Served("websocket", fail)
    slow, _ = served.serve("websocket")
    assert slow[0] == "websocket.accept"
    assert served.events == expected(fail)


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_an_async_teardown_function_that_raises_ends_those_of_its_kind(
    kind: str,
) -> None:
    served = Served(kind, raise_in="bp req async")
    slow, _ = served.serve(kind)
    assert repr(slow) == "KeyError('bp req async')"
    assert served.events == [expected(False)[i] for i in (0, 1, 4, 5, 6)]


@pytest.mark.parametrize("kind", ["async", "sync", "websocket"])
def test_after_a_push_that_is_not_the_lean_one(kind: str) -> None:
    """With an ``appcontext_pushed`` receiver the context is pushed by its
    push(), not the driver's lean way: the async functions are awaited on the
    loop too."""
    served = Served(kind)
    pushed: list[str] = []

    def heard(sender: t.Any, **kwargs: t.Any) -> None:
        pushed.append(state())

    appcontext_pushed.connect(heard, served.app)
    try:
        slow, _ = served.serve(kind)
    finally:
        appcontext_pushed.disconnect(heard, served.app)
    assert slow == (
        ["websocket.accept", "websocket.close"]
        if kind == "websocket"
        else (200, b"slow")
    )
    assert served.events == expected(False)
    assert pushed == ["- app g=None"] * 2  # (/bp/slow and /release)


def _scope(kind: str, path: str) -> dict[str, t.Any]:
    return {
        "type": kind,
        "path": path,
        "query_string": b"",
        "headers": [],
        "scheme": "http" if kind == "http" else "ws",
        "server": ("testserver", 80),
        **({"method": "GET"} if kind == "http" else {}),
    }


@pytest.mark.parametrize("lean", [True, False])
def test_uploads_are_closed_with_only_async_teardown_appcontext_functions(
    lean: bool,
) -> None:
    """An app whose only teardown function is an async ``teardown_appcontext``
    one closes an async view's uploads once they ran (the context pushed the
    lean way or by push())."""
    from kolba.testing import ASGIClient

    app = Flask(__name__)
    seen: list[t.Any] = []

    @app.post("/upload")
    async def upload() -> str:
        seen.append((await request.files)["f"].stream)
        return "ok"

    @app.teardown_appcontext
    async def close(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        seen.append(seen[0].closed)

    def heard(sender: t.Any, **kwargs: t.Any) -> None:
        pass

    if not lean:
        appcontext_pushed.connect(heard, app)
    try:
        client = ASGIClient(app, app.response_class)
        data = {"f": (io.BytesIO(b"hi"), "f.txt")}
        assert client.post("/upload", data=data).text == "ok"
    finally:
        appcontext_pushed.disconnect(heard, app)
    [stream, closed_before] = seen
    assert stream.closed and closed_before


@pytest.mark.parametrize("kind", ["async", "websocket"])
def test_with_receivers_of_the_tearing_down_signals(kind: str) -> None:
    """Receivers of the signals that popping the context sends: they get them
    in ctx.pop()'s order, and the async functions are awaited on the loop."""
    served = Served(kind)
    popped: list[str] = []

    def receiver(name: str) -> t.Callable[..., None]:
        def heard(sender: t.Any, **kwargs: t.Any) -> None:
            if name == "popped":
                popped.append(state())
            elif g.get("v") == "slow":
                served.events.append((name, repr(kwargs["exc"]), state()))

        return heard

    receivers = [
        (request_tearing_down, receiver("request_tearing_down")),
        (appcontext_tearing_down, receiver("appcontext_tearing_down")),
        (appcontext_popped, receiver("popped")),
    ]
    for signal, func in receivers:
        signal.connect(func, served.app)
    try:
        served.serve(kind)
    finally:
        for signal, func in receivers:
            signal.disconnect(func, served.app)
    events = expected(False)
    events.insert(4, ("request_tearing_down", "None", "req app g=slow /bp/slow"))
    events.append(("appcontext_tearing_down", "None", "- app g=slow"))
    assert served.events == events
    assert popped == ["- -"] * 2  # (/bp/slow and /release)
