"""When the 500 handler itself fails, the teardown functions get the
original error under ASGI, as under WSGI and in Flask 3.1.3 (they got the
handler's: rev-errors #3)."""

from __future__ import annotations

import pytest

from kolba import Flask, abort
from kolba.testing import ASGIClient


def failing_handler_app(view_kind: str, handler: str) -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    seen: list[str] = []
    if view_kind == "async":

        @app.route("/")
        async def async_view() -> str:
            raise KeyError("boom")
    else:

        @app.route("/")
        def sync_view() -> str:
            raise KeyError("boom")

    @app.errorhandler(500)
    def server_error(e: Exception) -> str:
        if handler == "raises":
            raise ValueError("handler failed")
        if handler == "aborts":
            abort(403)
        raise e  # re-raised

    @app.teardown_request
    def request_teardown(exc: BaseException | None) -> None:
        seen.append(f"request {exc!r}")

    @app.teardown_appcontext
    def app_teardown(exc: BaseException | None) -> None:
        seen.append(f"app {exc!r}")

    return app, seen


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
@pytest.mark.parametrize("view_kind", ["sync", "async"])
@pytest.mark.parametrize("handler", ["raises", "aborts", "re-raises"])
def test_teardown_gets_the_original_error_when_the_500_handler_fails(
    driver: str, view_kind: str, handler: str
) -> None:
    app, seen = failing_handler_app(view_kind, handler)
    client = ASGIClient(app) if driver == "asgi" else app.test_client()
    with pytest.raises(Exception):  # noqa: B017 (the handler's error, or the 403)
        client.get("/")
    assert seen == ["request KeyError('boom')", "app KeyError('boom')"]


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_teardown_gets_the_original_error_of_a_404_trapped_and_unhandled(
    driver: str,
) -> None:
    """A request with no view (a 404 trapped as an error, whose 500 handler
    fails) is served on the loop under ASGI."""
    app = Flask(__name__)
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    seen: list[str] = []

    @app.errorhandler(500)
    def server_error(e: Exception) -> str:
        raise ValueError("handler failed")

    @app.teardown_request
    def request_teardown(exc: BaseException | None) -> None:
        seen.append(type(exc).__name__)

    client = ASGIClient(app) if driver == "asgi" else app.test_client()
    with pytest.raises(ValueError, match="handler failed"):
        client.get("/missing")
    assert seen == ["NotFound"]
