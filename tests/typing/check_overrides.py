"""Classes a typed Flask app replaces or subclasses take kolba's place the
way they take Flask's: session interfaces, class-based views, CLI runners."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import click
from typing_extensions import assert_type
from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import HTTPException, Unauthorized
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from kolba import Flask, Request, Response, abort, redirect
from kolba.cli import KolbaCliRunner
from kolba.session_stores import SQLiteSessionStore, StoreSessionInterface
from kolba.sessions import SecureCookieSession, SessionInterface, SessionMixin
from kolba.testing import FlaskCliRunner
from kolba.typing import ResponseReturnValue, RouteCallable
from kolba.views import MethodView, View

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class MySessions(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return SecureCookieSession()

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        return None


app = Flask(__name__)
app.session_interface = MySessions()
app.session_interface = StoreSessionInterface(SQLiteSessionStore("/tmp/s.db"))
assert_type(Flask(__name__).session_interface, SessionInterface)
app.session_interface = object()  # type: ignore[assignment]


class Counter(View):
    def dispatch_request(self) -> str:
        return "1"


class Item(View):
    methods = ["GET"]

    def dispatch_request(self, **kwargs: object) -> ResponseReturnValue:
        return {"id": kwargs["id"]}


class Wrong(View):
    def dispatch_request(self) -> int:  # type: ignore[override]
        return 1


class Items(MethodView):
    def get(self, id: int) -> str:
        return str(id)


counter = Counter.as_view("counter")
assert_type(counter, RouteCallable)
app.add_url_rule("/counter", view_func=counter)
app.add_url_rule("/items/<int:id>", view_func=Item.as_view("item"))
app.add_url_rule("/items2/<int:id>", view_func=Items.as_view("items"))
assert_type(Counter().dispatch_request(), str)
assert_type(Items().dispatch_request(id=1), ResponseReturnValue)


class MyRunner(FlaskCliRunner):
    pass


def output(runner: FlaskCliRunner, command: click.Command) -> str:
    return runner.invoke(command, ["--help"]).output


assert_type(FlaskCliRunner(app), KolbaCliRunner)
assert_type(MyRunner(app), MyRunner)


class BinaryResponse(Response):
    default_mimetype = None


class MyApp(Flask):
    default_config = ImmutableDict({**Flask.default_config, "ALLOWED": ["a"]})

    def dispatch_request(self) -> ResponseReturnValue:
        return super().dispatch_request()

    def preprocess_request(self) -> ResponseReturnValue | None:
        return super().preprocess_request()

    def handle_http_exception(
        self, e: HTTPException
    ) -> HTTPException | ResponseReturnValue:
        return super().handle_http_exception(e)

    def handle_user_exception(
        self, e: Exception
    ) -> HTTPException | ResponseReturnValue:
        return super().handle_user_exception(e)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        return super().handle_url_build_error(error, endpoint, values)

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        return super().wsgi_app(environ, start_response)


secret: str | None = Flask.default_config["SECRET_KEY"]


def refuse() -> NoReturn:
    abort(Unauthorized().get_response())


def elsewhere() -> BaseResponse:
    return redirect("/", Response=BaseResponse)
