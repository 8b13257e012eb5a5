"""Error paths that differed from Flask 3.1.3 (rev-errors)."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Flask, Response, abort, after_this_request
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


@pytest.mark.parametrize("returned", [None, "a str"])
@pytest.mark.parametrize("fused", [True, False])
def test_after_request_returning_no_response(returned: t.Any, fused: bool) -> None:
    """An after_request function returning None or a str: a TypeError naming
    it, raised out of the app as Flask's ("'NoneType' object is not
    callable") is, the after functions run once, teardown gets no error
    (rev-errors #7: an AttributeError of kolba's own)."""
    events: list[t.Any] = []

    class App(Flask):
        if not fused:  # (each step of the cycle called: process_response)

            def dispatch_request(self) -> t.Any:
                return super().dispatch_request()

    app = App(__name__)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.after_request
    def forgets_to_return(response: Response) -> t.Any:
        events.append(("after", response.status_code))
        return returned

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(("teardown", exc))

    what = "None" if returned is None else "a str"
    with pytest.raises(
        TypeError,
        match=f"^The after-request function '.*forgets_to_return' returned {what},",
    ):
        app.test_client().get("/")
    assert events == [("after", 200), ("teardown", None)]


def test_after_this_request_returning_no_response() -> None:
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        after_this_request(lambda response: None)
        return "index"

    with pytest.raises(TypeError, match="after-request function '.*<lambda>'"):
        app.test_client().get("/")


@pytest.mark.parametrize("returned", [None, "a str"])
@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_after_request_returning_no_response_under_asgi(
    returned: t.Any, view_kind: str
) -> None:
    """The same under the ASGI driver: its on-loop path (async view) and its
    thread (sync view)."""
    events: list[t.Any] = []
    app = Flask(__name__)

    if view_kind == "sync":

        @app.route("/")
        def index() -> str:
            return "index"

    else:

        @app.route("/")
        async def index() -> str:
            return "index"

    @app.after_request
    def forgets_to_return(response: Response) -> t.Any:
        events.append(("after", response.status_code))
        return returned

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(("teardown", exc))

    with pytest.raises(TypeError, match="after-request function '.*forgets_to_return'"):
        ASGIClient(app, app.response_class).get("/")
    assert events == [("after", 200), ("teardown", None)]
