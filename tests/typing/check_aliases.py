"""kolba.typing's aliases describe what views, hooks and handlers may be."""

from __future__ import annotations

from werkzeug.exceptions import NotFound

from kolba import Flask, Response
from kolba.typing import (
    AfterRequestCallable,
    BeforeRequestCallable,
    ErrorHandlerCallable,
    ResponseReturnValue,
    RouteCallable,
    TeardownCallable,
    URLDefaultCallable,
)

app = Flask(__name__)


@app.route("/")
def page() -> ResponseReturnValue:
    return "text", 200, {"X-Kind": "page"}


def data() -> ResponseReturnValue:
    return {"ok": True}


async def later() -> ResponseReturnValue:
    return ["a", "b"]


def gone(error: NotFound) -> ResponseReturnValue:
    return "gone", 410


def check(response: Response) -> Response:
    return response


def guard() -> ResponseReturnValue | None:
    return None


def close(exc: BaseException | None) -> None:
    return None


def add_lang(endpoint: str, values: dict[str, object]) -> None:
    return None


views: list[RouteCallable] = [page, data, later]
handler: ErrorHandlerCallable = gone
after: AfterRequestCallable[Response] = check
before: BeforeRequestCallable = guard
teardown: TeardownCallable = close
defaults: URLDefaultCallable = add_lang
not_a_view: RouteCallable = print  # type: ignore[assignment]
app.add_url_rule("/data", view_func=data)
