"""Class-based views: ``kolba.views.View`` and ``MethodView``."""

from __future__ import annotations

import functools
import typing as t

import pytest

from kolba import Blueprint, Flask, request, url_for
from kolba.testing import KolbaClient
from kolba.views import MethodView, View

pytestmark = pytest.mark.usefixtures("driver")


def test_view_dispatch_request_gets_url_variables(
    app: Flask, client: KolbaClient
) -> None:
    class Greeting(View):
        def dispatch_request(self, name: str) -> str:
            return f"hello {name}"

    app.add_url_rule("/hello/<name>", view_func=Greeting.as_view("greet"))
    assert client.get("/hello/ann").text == "hello ann"
    with app.test_request_context():
        assert url_for("greet", name="bob") == "/hello/bob"


def test_as_view_names_the_endpoint_and_keeps_the_class() -> None:
    class Doc(View):
        """The docstring."""

    view = Doc.as_view("doc_view")
    assert view.__name__ == "doc_view"
    assert view.__doc__ == "The docstring."
    assert view.view_class is Doc  # type: ignore[attr-defined]


def test_view_methods_become_the_rule_methods(app: Flask, client: KolbaClient) -> None:
    class Submit(View):
        methods = ["POST"]

        def dispatch_request(self) -> str:
            return request.method

    app.add_url_rule("/submit", view_func=Submit.as_view("submit"))
    assert client.post("/submit").text == "POST"
    assert client.get("/submit").status_code == 405


def test_view_defaults_to_get(app: Flask, client: KolbaClient) -> None:
    class Page(View):
        def dispatch_request(self) -> str:
            return "page"

    app.add_url_rule("/", view_func=Page.as_view("page"))
    assert client.get("/").text == "page"
    assert client.post("/").status_code == 405


def test_as_view_passes_constructor_arguments(app: Flask, client: KolbaClient) -> None:
    class Template(View):
        def __init__(self, greeting: str, *, punctuation: str) -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self) -> str:
            return self.greeting + self.punctuation

    app.add_url_rule("/", view_func=Template.as_view("t", "hi", punctuation="!"))
    assert client.get("/").text == "hi!"


def test_a_new_instance_per_request_by_default(app: Flask, client: KolbaClient) -> None:
    class Counter(View):
        def __init__(self) -> None:
            self.count = 0

        def dispatch_request(self) -> str:
            self.count += 1
            return str(self.count)

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    assert [client.get("/").text for _ in range(3)] == ["1", "1", "1"]


def test_init_every_request_false_shares_one_instance(
    app: Flask, client: KolbaClient
) -> None:
    class Counter(View):
        init_every_request = False

        def __init__(self) -> None:
            self.count = 0

        def dispatch_request(self) -> str:
            self.count += 1
            return str(self.count)

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    assert [client.get("/").text for _ in range(3)] == ["1", "2", "3"]


def test_decorators_wrap_the_view_in_order(app: Flask, client: KolbaClient) -> None:
    def tag(label: str) -> t.Callable[[t.Callable[..., str]], t.Callable[..., str]]:
        def decorator(f: t.Callable[..., str]) -> t.Callable[..., str]:
            @functools.wraps(f)
            def wrapper(**kwargs: t.Any) -> str:
                return f"{label}({f(**kwargs)})"

            return wrapper

        return decorator

    class Wrapped(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "view"

    view = Wrapped.as_view("wrapped")
    app.add_url_rule("/", view_func=view)
    assert client.get("/").text == "outer(inner(view))"
    assert view.view_class is Wrapped  # type: ignore[attr-defined]
    assert "wrapped" in app.view_functions


def test_a_decorator_can_refuse_the_request(app: Flask, client: KolbaClient) -> None:
    def login_required(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        def wrapper(**kwargs: t.Any) -> t.Any:
            if "user" not in request.args:
                return "login first", 401
            return f(**kwargs)

        return wrapper

    class Secret(View):
        decorators = [login_required]

        def dispatch_request(self) -> str:
            return "secret"

    app.add_url_rule("/", view_func=Secret.as_view("secret"))
    assert client.get("/").status_code == 401
    assert client.get("/?user=ann").text == "secret"


def test_view_without_dispatch_request_is_a_programming_error(app: Flask) -> None:
    app.add_url_rule("/", view_func=View.as_view("bare"))
    with pytest.raises(NotImplementedError):
        app.test_client().get("/")


def test_provide_automatic_options_false_on_the_class(
    app: Flask, client: KolbaClient
) -> None:
    class NoOptions(View):
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return "x"

    app.add_url_rule("/", view_func=NoOptions.as_view("no_options"))
    assert client.options("/").status_code == 405


# -- MethodView ---------------------------------------------------------------


class Counter(MethodView):
    """A REST resource: GET reads, POST adds."""

    total = 0

    def get(self) -> str:
        return f"total={Counter.total}"

    def post(self) -> tuple[str, int]:
        Counter.total += int(request.form["n"])
        return "added", 201


@pytest.fixture
def counter_client(app: Flask) -> KolbaClient:
    Counter.total = 0
    app.add_url_rule("/counter", view_func=Counter.as_view("counter"))
    return app.test_client()


def test_method_view_methods_come_from_the_defined_handlers() -> None:
    assert Counter.methods == {"GET", "POST"}


def test_method_view_dispatches_by_http_method(counter_client: KolbaClient) -> None:
    assert counter_client.get("/counter").text == "total=0"
    response = counter_client.post("/counter", data={"n": "5"})
    assert (response.status_code, response.text) == (201, "added")
    assert counter_client.get("/counter").text == "total=5"


def test_method_view_undefined_method_is_405(counter_client: KolbaClient) -> None:
    response = counter_client.delete("/counter")
    assert response.status_code == 405
    assert set(response.allow) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_method_view_head_falls_back_to_get(counter_client: KolbaClient) -> None:
    response = counter_client.head("/counter")
    assert response.status_code == 200
    assert response.data == b""
    assert response.content_length == len("total=0")


def test_method_view_explicit_head_wins(app: Flask, client: KolbaClient) -> None:
    class Headed(MethodView):
        def get(self) -> str:
            return "body"

        def head(self) -> tuple[str, dict[str, str]]:
            return "", {"X-Head": "own"}

    app.add_url_rule("/", view_func=Headed.as_view("headed"))
    assert client.head("/").headers["X-Head"] == "own"


def test_method_view_passes_url_variables(app: Flask, client: KolbaClient) -> None:
    class Item(MethodView):
        def get(self, item_id: int) -> str:
            return f"item {item_id}"

        def delete(self, item_id: int) -> tuple[str, int]:
            return "", 204

    app.add_url_rule("/items/<int:item_id>", view_func=Item.as_view("item"))
    assert client.get("/items/7").text == "item 7"
    assert client.delete("/items/7").status_code == 204
    assert client.get("/items/x").status_code == 404


def test_method_view_subclass_inherits_and_adds_methods(
    app: Flask, client: KolbaClient
) -> None:
    class ReadOnly(MethodView):
        def get(self) -> str:
            return "read"

    class ReadWrite(ReadOnly):
        def put(self) -> str:
            return "written"

    assert ReadOnly.methods == {"GET"}
    assert ReadWrite.methods == {"GET", "PUT"}
    app.add_url_rule("/", view_func=ReadWrite.as_view("rw"))
    assert client.get("/").text == "read"
    assert client.put("/").text == "written"


def test_method_view_keeps_explicit_methods_of_a_base() -> None:
    class Base(MethodView):
        methods = ["PATCH"]

        def patch(self) -> str:
            return "patched"

    class Child(Base):
        def get(self) -> str:
            return "got"

    assert Child.methods == {"GET", "PATCH"}


def test_method_view_listed_but_unimplemented_method_is_405(
    app: Flask, client: KolbaClient
) -> None:
    class Promises(MethodView):
        methods = ["GET", "POST"]

        def get(self) -> str:
            return "got"

    app.add_url_rule("/", view_func=Promises.as_view("promises"))
    response = client.post("/")
    assert response.status_code == 405
    assert set(response.allow) == {"GET", "HEAD"}


def test_method_view_on_a_blueprint(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Users(MethodView):
        def get(self) -> str:
            return url_for(".users")

    bp.add_url_rule("/users", view_func=Users.as_view("users"))
    app.register_blueprint(bp)
    assert client.get("/api/users").text == "/api/users"
