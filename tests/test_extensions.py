"""Extensions: the Flask extension pattern works on kolba, and a real Flask
extension (flask-cors) works unchanged once ``flask`` is served by kolba."""

from __future__ import annotations

import sys
import typing as t

import pytest

import kolba
from kolba import Flask, current_app, g

pytestmark = pytest.mark.usefixtures("driver")

# -- a small extension written the Flask way --------------------------------------


class Connection:
    """A stand-in for a database connection that remembers being closed."""

    def __init__(self, url: str, log: list[str]) -> None:
        self.url = url
        self.log = log
        log.append(f"open {url}")

    def close(self) -> None:
        self.log.append(f"close {self.url}")


class Database:
    """An extension: ``Database(app)``, or ``db = Database()`` then
    ``db.init_app(app)`` in an app factory. One connection per app context,
    kept in ``g`` and closed when the context ends."""

    def __init__(self, app: Flask | None = None) -> None:
        self.log: list[str] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.config.setdefault("DATABASE_URL", "memory://default")
        app.extensions["database"] = self
        app.teardown_appcontext(self.teardown)

    @property
    def connection(self) -> Connection:
        if "db_connection" not in g:
            g.db_connection = Connection(current_app.config["DATABASE_URL"], self.log)
        return g.db_connection  # type: ignore[no-any-return]

    def teardown(self, exc: BaseException | None) -> None:
        connection = g.pop("db_connection", None)
        if connection is not None:
            connection.close()


def _routes(app: Flask, db: Database) -> None:
    @app.route("/query")
    def query() -> str:
        assert db.connection is db.connection  # one per request
        return db.connection.url

    @app.route("/plain")
    def plain() -> str:
        return "no database"

    @app.route("/fail")
    def fail() -> str:
        db.connection  # noqa: B018 (opened, then the view fails)
        raise RuntimeError("view failed")


def test_extension_initialised_with_the_app(app: Flask) -> None:
    db = Database(app)
    _routes(app, db)
    assert app.extensions["database"] is db
    assert app.config["DATABASE_URL"] == "memory://default"
    assert app.test_client().get("/query").text == "memory://default"
    assert db.log == ["open memory://default", "close memory://default"]


def test_extension_with_an_app_factory() -> None:
    db = Database()

    def create_app(url: str) -> Flask:
        app = Flask("factory_app")
        app.config["DATABASE_URL"] = url
        db.init_app(app)
        _routes(app, db)
        return app

    first, second = create_app("sqlite://one"), create_app("sqlite://two")
    assert first.extensions["database"] is second.extensions["database"] is db
    assert first.test_client().get("/query").text == "sqlite://one"
    assert second.test_client().get("/query").text == "sqlite://two"
    assert db.log == [
        "open sqlite://one",
        "close sqlite://one",
        "open sqlite://two",
        "close sqlite://two",
    ]


def test_config_default_does_not_override_the_apps_setting(app: Flask) -> None:
    app.config["DATABASE_URL"] = "postgres://mine"
    Database(app)
    assert app.config["DATABASE_URL"] == "postgres://mine"


def test_a_request_that_does_not_use_the_extension_opens_nothing(app: Flask) -> None:
    db = Database(app)
    _routes(app, db)
    assert app.test_client().get("/plain").text == "no database"
    assert db.log == []


def test_resource_is_closed_after_an_error(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    db = Database(app)
    _routes(app, db)
    errors: list[BaseException | None] = []
    app.teardown_appcontext(errors.append)
    assert app.test_client().get("/fail").status_code == 500
    assert db.log == ["open memory://default", "close memory://default"]
    assert isinstance(errors[0], RuntimeError)


def test_extension_in_an_app_context_outside_a_request(app: Flask) -> None:
    db = Database(app)
    with app.app_context():
        assert current_app.extensions["database"].connection.url == "memory://default"
    assert db.log == ["open memory://default", "close memory://default"]


def test_extension_outside_a_context_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        Database().connection  # noqa: B018


# -- a real Flask extension ----------------------------------------------------------


@pytest.fixture
def flask_cors(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[t.Any]:
    """flask-cors imported while ``flask`` is kolba.

    flask-cors does ``from flask import request, current_app, make_response``
    at import time: Flask's own proxies, bound to Flask's context variables,
    which a kolba request does not set. With ``flask`` served by kolba the
    extension runs unchanged; it needs nothing beyond those public names and
    ``app.after_request``/``handle_exception``/``handle_user_exception``.
    """
    monkeypatch.setitem(sys.modules, "flask", kolba)
    for name in [n for n in sys.modules if n.split(".")[0] == "flask_cors"]:
        monkeypatch.delitem(sys.modules, name)
    import flask_cors

    yield flask_cors
    for name in [n for n in sys.modules if n.split(".")[0] == "flask_cors"]:
        del sys.modules[name]


ORIGIN = "https://app.example"


def test_flask_cors_adds_headers_to_kolba_responses(flask_cors: t.Any) -> None:
    app = Flask("cors_app")
    flask_cors.CORS(app, resources={r"/api/*": {"origins": ORIGIN}})

    @app.route("/api/items")
    def items() -> dict[str, list[int]]:
        return {"items": [1, 2]}

    @app.route("/private")
    def private() -> str:
        return "private"

    client = app.test_client()
    response = client.get("/api/items", headers={"Origin": ORIGIN})
    assert response.json == {"items": [1, 2]}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get("/api/items", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/private", headers={"Origin": ORIGIN}).headers
    )


def test_flask_cors_answers_a_preflight(flask_cors: t.Any) -> None:
    app = Flask("cors_app")
    flask_cors.CORS(app, origins=[ORIGIN], methods=["GET", "POST"])

    @app.post("/submit")
    def submit() -> str:
        return "ok"

    response = app.test_client().options(
        "/submit",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == {
        "GET",
        "POST",
    }


def test_flask_cors_headers_on_error_responses(flask_cors: t.Any) -> None:
    app = Flask("cors_app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    flask_cors.CORS(app)

    @app.route("/broken")
    def broken() -> str:
        raise RuntimeError("boom")

    client = app.test_client()
    response = client.get("/broken", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    missing = client.get("/missing", headers={"Origin": ORIGIN})
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_flask_cors_cross_origin_decorator(flask_cors: t.Any) -> None:
    app = Flask("cors_app")

    @app.route("/open")
    @flask_cors.cross_origin(origins=[ORIGIN])
    def open_view() -> str:
        return "open"

    response = app.test_client().get("/open", headers={"Origin": ORIGIN})
    assert response.text == "open"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
