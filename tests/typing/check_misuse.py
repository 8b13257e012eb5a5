"""Views, hooks and handlers of the wrong shape are type errors, as with
Flask's types (each ``# type: ignore`` must stay used); the right shapes,
sync or async, pass."""

from __future__ import annotations

from collections.abc import Iterator

from werkzeug.exceptions import NotFound

from kolba import Blueprint, Flask, Response
from kolba.typing import ResponseReturnValue

app = Flask(__name__)
bp = Blueprint("b", __name__)


@app.route("/a")  # type: ignore[type-var]
def returns_int() -> int:
    return 1


@app.get("/b")  # type: ignore[type-var]
def returns_none() -> None:
    return None


@bp.post("/c")  # type: ignore[type-var]
async def async_returns_int() -> int:
    return 1


app.add_url_rule("/d", view_func=lambda: 5)  # type: ignore[arg-type]
bp.add_url_rule("/e", view_func=returns_int)  # type: ignore[arg-type]


@app.before_request  # type: ignore[type-var]
def before_returns_int() -> int:
    return 1


@app.after_request  # type: ignore[type-var]
def after_takes_nothing() -> None:
    return None


@app.teardown_request  # type: ignore[type-var]
def teardown_takes_nothing() -> None:
    return None


@app.teardown_appcontext  # type: ignore[type-var]
def appcontext_teardown_takes_nothing() -> None:
    return None


@app.errorhandler(404)  # type: ignore[type-var]
def handler_returns_none(e: Exception) -> None:
    return None


def handler_returns_int(e: NotFound) -> int:
    return 404


app.register_error_handler(404, handler_returns_int)  # type: ignore[arg-type]


@bp.app_errorhandler(500)  # type: ignore[type-var]
def app_handler_returns_none(e: Exception) -> None:
    return None


@app.url_defaults  # type: ignore[type-var]
def defaults_takes_nothing() -> None:
    return None


@app.url_value_preprocessor  # type: ignore[type-var]
def preprocessor_takes_one(endpoint: str | None) -> None:
    return None


@app.context_processor  # type: ignore[type-var]
def context_returns_list() -> list[int]:
    return []


@app.shell_context_processor  # type: ignore[type-var]
def shell_returns_list() -> list[int]:
    return []


@app.template_test()  # type: ignore[type-var]
def test_returns_str(x: int) -> str:
    return ""


@bp.app_template_test()  # type: ignore[type-var]
def bp_test_returns_str(x: int) -> str:
    return ""


@bp.before_app_request  # type: ignore[type-var]
def bp_before_returns_int() -> int:
    return 1


@bp.after_app_request  # type: ignore[type-var]
def bp_after_takes_nothing() -> None:
    return None


@bp.teardown_app_request  # type: ignore[type-var]
def bp_teardown_takes_nothing() -> None:
    return None


@bp.app_url_defaults  # type: ignore[type-var]
def bp_defaults_takes_nothing() -> None:
    return None


@bp.app_context_processor  # type: ignore[type-var]
def bp_context_returns_list() -> list[int]:
    return []


# kolba only: a WebSocket view is `async def`; hooks without arguments


@app.websocket("/ws")  # type: ignore[type-var]
def sync_websocket() -> None:
    return None


@bp.websocket("/ws")
async def async_websocket() -> None:
    return None


@app.before_websocket  # type: ignore[type-var]
def before_websocket_returns_int() -> int:
    return 1


@app.before_websocket
async def before_websocket_refuses() -> ResponseReturnValue | None:
    return "no", 403


@app.after_websocket  # type: ignore[type-var]
def after_websocket_takes_one(x: int) -> None:
    return None


@app.after_websocket
async def after_websocket() -> None:
    return None


@app.before_serving  # type: ignore[type-var]
def before_serving_takes_one(x: int) -> None:
    return None


@app.before_serving
async def open_pool() -> None:
    return None


@app.after_serving
def close_pool() -> None:
    return None


def send_receipt(order_id: int, copies: int = 1) -> None:
    return None


async def notify(user: str) -> None:
    return None


app.add_background_task(send_receipt, 1, copies=2)
app.add_background_task(notify, "ann")
app.add_background_task(send_receipt, "not-an-int")  # type: ignore[arg-type]
app.add_background_task(send_receipt, 1, extra=3)  # type: ignore[call-arg]


# the right shapes pass, sync and async


@app.route("/ok")
async def ok() -> Iterator[str]:
    return iter(["a"])


@app.after_request
async def after(response: Response) -> Response:
    return response


@app.teardown_appcontext
async def teardown(exc: BaseException | None) -> None:
    return None


@app.errorhandler(NotFound)
async def not_found(e: NotFound) -> tuple[str, int]:
    return "gone", 404


@app.context_processor
async def context() -> dict[str, object]:
    return {}


app.add_url_rule("/ok2", view_func=ok)
app.register_error_handler(NotFound, not_found)
