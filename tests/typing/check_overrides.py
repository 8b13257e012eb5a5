"""Classes a typed Flask app replaces or subclasses take kolba's place the
way they take Flask's: session interfaces, class-based views, CLI runners."""

from __future__ import annotations

import click
from typing_extensions import assert_type

from kolba import Flask, Request, Response
from kolba.cli import KolbaCliRunner
from kolba.session_stores import SQLiteSessionStore, StoreSessionInterface
from kolba.sessions import SecureCookieSession, SessionInterface, SessionMixin
from kolba.testing import FlaskCliRunner
from kolba.typing import ResponseReturnValue, RouteCallable
from kolba.views import MethodView, View


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
