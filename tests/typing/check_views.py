"""Decorating a view, hook or handler keeps its signature and return type."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from typing_extensions import assert_type
from werkzeug.exceptions import HTTPException, NotFound

from kolba import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    copy_current_request_context,
    jsonify,
    make_response,
    redirect,
    stream_with_context,
    url_for,
)
from kolba.views import MethodView

app = Flask(__name__)
bp = Blueprint("shop", __name__, url_prefix="/shop")


@app.route("/")
def index() -> str:
    return "home"


@app.get("/items/<int:item_id>")
def show_item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


@app.post("/items")
def create_item() -> tuple[str, int]:
    return "created", 201


@app.put("/items/<int:item_id>")
@app.patch("/items/<int:item_id>")
@app.delete("/items/<int:item_id>")
def change_item(item_id: int) -> Response:
    return Response(status=204)


@app.route("/stream")
def stream() -> Iterator[str]:
    yield "a"


@app.route("/async")
async def async_view() -> str:
    return "later"


@bp.route("/cart")
def cart() -> list[str]:
    return []


assert_type(index(), str)
assert_type(show_item(3), dict[str, int])
assert_type(create_item(), tuple[str, int])
assert_type(change_item(item_id=1), Response)
assert_type(stream(), Iterator[str])
assert_type(cart(), list[str])
show_item("3")  # type: ignore[arg-type]
index(1)  # type: ignore[call-arg]


async def awaits_async_view() -> None:
    assert_type(await async_view(), str)


@app.endpoint("legacy")
def legacy() -> str:
    return "old"


assert_type(legacy(), str)


@app.before_request
def load_user() -> None:
    return None


@app.after_request
def add_header(response: Response) -> Response:
    return response


@app.teardown_request
def close_db(exc: BaseException | None) -> None:
    return None


@app.teardown_appcontext
def release(exc: BaseException | None) -> None:
    return None


@app.context_processor
def inject() -> dict[str, str]:
    return {"site": "kolba"}


@app.shell_context_processor
def shell_names() -> dict[str, object]:
    return {"answer": 42}


@app.url_value_preprocessor
def pull_lang(endpoint: str | None, values: dict[str, object] | None) -> None:
    return None


@app.url_defaults
def add_lang(endpoint: str, values: dict[str, object]) -> None:
    return None


assert_type(load_user(), None)
assert_type(add_header(Response()), Response)
assert_type(close_db(None), None)
assert_type(release(None), None)
assert_type(inject(), dict[str, str])
assert_type(shell_names(), dict[str, object])
assert_type(pull_lang("index", None), None)
assert_type(add_lang("index", {}), None)
add_header("not a response")  # type: ignore[arg-type]


@app.errorhandler(404)
def not_found(error: NotFound) -> tuple[str, int]:
    return "missing", 404


@app.errorhandler(HTTPException)
def http_error(error: HTTPException) -> str:
    return error.description or ""


assert_type(not_found(NotFound()), tuple[str, int])
assert_type(http_error(NotFound()), str)


@app.template_filter("reverse")
def reverse_filter(text: str) -> str:
    return text[::-1]


@app.template_test()
def is_even(number: int) -> bool:
    return number % 2 == 0


@app.template_global()
def double(number: int) -> int:
    return number * 2


assert_type(reverse_filter("abc"), str)
assert_type(is_even(2), bool)
assert_type(double(2), int)


@bp.before_app_request
def bp_load() -> None:
    return None


@bp.after_app_request
def bp_after(response: Response) -> Response:
    return response


@bp.teardown_app_request
def bp_teardown(exc: BaseException | None) -> None:
    return None


@bp.app_context_processor
def bp_inject() -> dict[str, int]:
    return {"count": 1}


@bp.app_url_value_preprocessor
def bp_pull(endpoint: str | None, values: dict[str, object] | None) -> None:
    return None


@bp.app_url_defaults
def bp_defaults(endpoint: str, values: dict[str, object]) -> None:
    return None


@bp.app_errorhandler(500)
def bp_error(error: Exception) -> str:
    return "oops"


@bp.app_template_filter()
def shout(text: str) -> str:
    return text.upper()


@bp.app_template_test("odd")
def is_odd(number: int) -> bool:
    return number % 2 == 1


@bp.app_template_global()
def triple(number: int) -> int:
    return number * 3


assert_type(bp_load(), None)
assert_type(bp_after(Response()), Response)
assert_type(bp_teardown(None), None)
assert_type(bp_inject(), dict[str, int])
assert_type(bp_pull(None, None), None)
assert_type(bp_defaults("shop.cart", {}), None)
assert_type(bp_error(ValueError()), str)
assert_type(shout("a"), str)
assert_type(is_odd(1), bool)
assert_type(triple(1), int)

app.register_blueprint(bp, url_prefix="/store")


def in_a_view() -> None:
    @after_this_request
    def mark(response: Response) -> Response:
        return response

    @copy_current_request_context
    def background(job_id: int) -> str:
        return str(job_id)

    assert_type(mark(Response()), Response)
    assert_type(background(1), str)
    background("1")  # type: ignore[arg-type]


class ItemAPI(MethodView):
    init_every_request = False

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def get(self, item_id: int) -> str:
        return f"{self.prefix}{item_id}"


item_view = ItemAPI.as_view("item", "#")
app.add_url_rule("/api/items/<int:item_id>", view_func=item_view)
assert_type(ItemAPI("#").get(1), str)


@app.route("/numbers")
def numbers() -> Response:
    @stream_with_context
    def generate(limit: int) -> Iterator[str]:
        yield from (str(n) for n in range(limit))

    assert_type(generate(3), Iterator[str])
    generate("3")  # type: ignore[arg-type]
    assert_type(stream_with_context(iter([b"a"])), Iterator[bytes])

    @stream_with_context
    async def agenerate(limit: int) -> AsyncIterator[str]:
        yield str(limit)

    assert_type(agenerate(3), AsyncIterator[str])
    assert_type(stream_with_context(agenerate(3)), AsyncIterator[str])
    assert_type(url_for("index"), str)
    assert_type(redirect(url_for("index")), Response)
    assert_type(jsonify(numbers=[1, 2]), Response)
    return make_response(generate(3))
