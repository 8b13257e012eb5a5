"""JSON: ``jsonify``, the app's JSON provider and the ``kolba.json`` functions."""

from __future__ import annotations

import dataclasses
import io
import typing as t
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from markupsafe import Markup

from kolba import Flask, json, jsonify, request, url_for
from kolba.json.provider import DefaultJSONProvider, JSONProvider
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")


@dataclasses.dataclass
class Point:
    x: int
    label: str


# jsonify ---------------------------------------------------------------------


def test_jsonify_one_value(app: Flask) -> None:
    with app.app_context():
        rv = jsonify({"b": 1, "a": [1, 2]})
        assert rv.mimetype == "application/json"
        assert rv.is_json
        assert rv.data == b'{"a":[1,2],"b":1}\n'
        assert rv.json == {"a": [1, 2], "b": 1}


def test_jsonify_several_values_is_a_list(app: Flask) -> None:
    with app.app_context():
        assert jsonify(1, "two").json == [1, "two"]


def test_jsonify_keywords_is_an_object(app: Flask) -> None:
    with app.app_context():
        assert jsonify(a=1, b=None).json == {"a": 1, "b": None}


def test_jsonify_nothing_is_null(app: Flask) -> None:
    with app.app_context():
        assert jsonify().data == b"null\n"


def test_jsonify_args_and_keywords_is_a_type_error(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError, match="not both"):
        jsonify(1, a=2)


def test_jsonify_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        jsonify(1)


def test_jsonify_is_pretty_in_debug_mode(app: Flask) -> None:
    app.debug = True
    with app.app_context():
        assert jsonify({"a": [1]}).data == b'{\n  "a": [\n    1\n  ]\n}\n'


def test_compact_overrides_debug(app: Flask) -> None:
    app.debug = True
    app.json.compact = True  # type: ignore[attr-defined]
    with app.app_context():
        assert jsonify({"a": [1]}).data == b'{"a":[1]}\n'
    app.debug = False
    app.json.compact = False  # type: ignore[attr-defined]
    with app.app_context():
        assert jsonify([1]).data == b"[\n  1\n]\n"


# serialising more than the standard library --------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2020, 1, 2, 3, 4, 5), "Thu, 02 Jan 2020 03:04:05 GMT"),
        (
            datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=3))),
            "Thu, 02 Jan 2020 00:04:05 GMT",
        ),
        (date(2020, 1, 2), "Thu, 02 Jan 2020 00:00:00 GMT"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (Decimal("0.1"), "0.1"),
        (Point(1, "é"), {"x": 1, "label": "é"}),
        (Markup("<b>bold</b>"), "<b>bold</b>"),
    ],
)
def test_extra_types(app: Flask, value: object, expected: object) -> None:
    with app.app_context():
        assert jsonify(value=value).json == {"value": expected}
    assert json.loads(json.dumps(value)) == expected


def test_unknown_type_is_a_type_error(app: Flask) -> None:
    with pytest.raises(TypeError, match="Values of type object are not JSON"):
        json.dumps(object())
    with app.app_context(), pytest.raises(TypeError, match="not JSON serializable"):
        jsonify(object())


def test_too_deep_nesting_is_a_value_error(app: Flask) -> None:
    body = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ValueError, match="nested too deeply"):
        json.loads(body)
    with app.app_context(), pytest.raises(ValueError, match="nested too deeply"):
        json.loads(body)


def test_dataclass_class_is_not_serialised() -> None:
    with pytest.raises(TypeError):
        json.dumps(Point)


# the provider ----------------------------------------------------------------


def test_app_json_is_the_default_provider(app: Flask) -> None:
    assert isinstance(app.json, DefaultJSONProvider)
    assert app.json.dumps({"b": 1, "a": "é"}) == '{"a": "\\u00e9", "b": 1}'
    assert app.json.loads('{"a": 1}') == {"a": 1}
    assert app.json.loads(b"[1]") == [1]
    assert app.json.response({"x": 1}).data == b'{"x":1}\n'


def test_provider_dump_and_load_files(app: Flask) -> None:
    out = io.StringIO()
    app.json.dump({"a": 1}, out)
    assert app.json.load(io.StringIO(out.getvalue())) == {"a": 1}


def test_provider_options(app: Flask) -> None:
    provider = t.cast(DefaultJSONProvider, app.json)
    provider.sort_keys = False
    provider.ensure_ascii = False
    provider.mimetype = "application/vnd.api+json"
    assert provider.dumps({"b": 1, "a": "é"}) == '{"b": 1, "a": "é"}'
    with app.app_context():
        rv = jsonify({"b": 1, "a": "é"})
        assert rv.data == '{"b":1,"a":"é"}\n'.encode()
        assert rv.content_type == "application/vnd.api+json"
        assert rv.is_json


def test_provider_default_function(app: Flask) -> None:
    provider = t.cast(DefaultJSONProvider, app.json)
    provider.default = lambda o: sorted(o)  # type: ignore[method-assign]
    assert provider.dumps({3, 1, 2}) == "[1, 2, 3]"


def test_dict_view_return_uses_the_provider(app: Flask, client: KolbaClient) -> None:
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.route("/")
    def index() -> dict[str, int]:
        return {"b": 1, "a": 2}

    assert client.get("/").data == b'{"b":1,"a":2}\n'


class UpperProvider(JSONProvider):
    """A provider that is not the default one: keys upper-cased on the way out."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        import json as std_json

        if isinstance(obj, dict):
            obj = {key.upper(): value for key, value in obj.items()}
        return std_json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        import json as std_json

        return {"loaded": std_json.loads(s, **kwargs)}


class UpperFlask(Flask):
    json_provider_class = UpperProvider


def test_custom_provider_class() -> None:
    app = UpperFlask(__name__)
    assert isinstance(app.json, UpperProvider)

    @app.route("/", methods=["POST"])
    def echo() -> dict[str, t.Any]:
        return request.json  # type: ignore[no-any-return]

    rv = app.test_client().post("/", json={"a": 1})
    assert rv.mimetype == "application/json"
    assert rv.data == b'{"LOADED": {"A": 1}}'


def test_assigned_provider_instance(app: Flask) -> None:
    app.json = UpperProvider(app)
    with app.app_context():
        assert jsonify(a=1).data == b'{"A": 1}'
        assert json.dumps({"a": 1}) == '{"A": 1}'
        assert json.loads("[1]") == {"loaded": [1]}


# kolba.json functions --------------------------------------------------------


def test_module_functions_outside_an_app_context() -> None:
    assert json.dumps({"b": date(2020, 1, 2), "a": 1}) == (
        '{"b": "Thu, 02 Jan 2020 00:00:00 GMT", "a": 1}'
    )
    assert json.loads(b'{"a": 1}') == {"a": 1}
    out = io.StringIO()
    json.dump([1], out)
    assert json.load(io.StringIO(out.getvalue())) == [1]


def test_module_functions_use_the_app_provider(app: Flask) -> None:
    app.json.sort_keys = False  # type: ignore[attr-defined]
    with app.app_context():
        assert json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
        assert json.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'


# the seed's "API с JSON" ------------------------------------------------------


@dataclasses.dataclass
class User:
    username: str
    theme: str
    image: str

    def to_json(self) -> dict[str, str]:
        return {"username": self.username, "theme": self.theme}


USERS = [User("ann", "dark", "ann.png"), User("bob", "light", "bob.png")]


@pytest.fixture
def api(app: Flask) -> Flask:
    """The seed's two samples, as written, with a tiny user store."""

    def get_current_user() -> User:
        return USERS[0]

    def get_all_users() -> list[User]:
        return USERS

    @app.route("/images/<filename>")
    def user_image(filename: str) -> str:
        return filename

    @app.route("/me")
    def me_api():  # type: ignore[no-untyped-def]
        user = get_current_user()
        return {
            "username": user.username,
            "theme": user.theme,
            "image": url_for("user_image", filename=user.image),
        }

    @app.route("/users")
    def users_api():  # type: ignore[no-untyped-def]
        users = get_all_users()
        return jsonify([user.to_json() for user in users])

    return app


def test_seed_me_api(api: Flask, client: KolbaClient) -> None:
    rv = client.get("/me")
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert rv.json == {"username": "ann", "theme": "dark", "image": "/images/ann.png"}


def test_seed_users_api(api: Flask, client: KolbaClient) -> None:
    rv = client.get("/users")
    assert rv.mimetype == "application/json"
    assert rv.json == [
        {"username": "ann", "theme": "dark"},
        {"username": "bob", "theme": "light"},
    ]
