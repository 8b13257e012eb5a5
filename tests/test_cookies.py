"""Cookies: ``request.cookies``, ``Response.set_cookie`` and ``delete_cookie``."""

from __future__ import annotations

import typing as t
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder

from kolba import Flask, after_this_request, make_response, render_template, request
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

RunWSGI = t.Callable[..., tuple[int, list[tuple[str, str]], bytes]]


def set_cookie_headers(app: Flask, **kwargs: t.Any) -> list[str]:
    """The Set-Cookie headers of a response that sets ``name=value``."""
    with app.test_request_context():
        response = make_response("ok")
        response.set_cookie("name", "value", **kwargs)
        return response.headers.getlist("Set-Cookie")


# --- the seed's samples ------------------------------------------------------------


def test_seed_cookie_samples(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "index.html").write_text("<p>Welcome</p>")
    app = Flask("cookie_app", root_path=str(tmp_path))

    @app.route("/")
    def index() -> str:
        username = request.cookies.get("username")
        # use cookies.get(key) instead of cookies[key] to not get a
        # KeyError if the cookie is missing.
        return f"user: {username}"

    @app.route("/login")
    def login() -> t.Any:
        resp = make_response(render_template("index.html"))
        resp.set_cookie("username", "the username")
        return resp

    client = app.test_client()
    assert client.get("/").text == "user: None"
    response = client.get("/login")
    assert response.text == "<p>Welcome</p>"
    assert response.headers["Set-Cookie"] == 'username="the username"; Path=/'
    assert client.get("/").text == "user: the username"


# --- reading ---------------------------------------------------------------------


def test_request_cookies(app: Flask) -> None:
    app.get("/")(lambda: dict(request.cookies))
    client = app.test_client(use_cookies=False)
    response = client.get("/", headers={"Cookie": 'a=1; b="two words"; c='})
    assert response.json == {"a": "1", "b": "two words", "c": ""}


def test_repeated_cookie_first_value_wins(app: Flask) -> None:
    app.get("/")(
        lambda: {"first": request.cookies["a"], "all": request.cookies.getlist("a")}
    )
    response = app.test_client(use_cookies=False).get(
        "/", headers={"Cookie": "a=1; a=2"}
    )
    assert response.json == {"first": "1", "all": ["1", "2"]}


def test_a_missing_cookie_by_key_is_400(app: Flask, client: KolbaClient) -> None:
    app.get("/")(lambda: request.cookies["username"])
    assert client.get("/").status_code == 400


def test_cookies_are_read_only(app: Flask) -> None:
    with app.test_request_context(headers={"Cookie": "a=1"}):
        with pytest.raises(TypeError):
            request.cookies["a"] = "2"  # type: ignore[index]


@pytest.mark.parametrize(
    "header",
    [
        "=;;;; ===",
        "no-equals-sign",
        '"""";;"',
        "a=\x00\x01\x7f",
        "a=\xff\xfe",
        "a=b\\",
        'a="unterminated',
        ";" * 10_000,
        "a=" + "x" * 100_000,
        "\u00e9=\u00e9",
    ],
)
def test_malformed_cookie_header_is_never_a_500(
    app: Flask, run_wsgi: RunWSGI, header: str
) -> None:
    app.get("/")(lambda: {"n": len(request.cookies), "a": request.cookies.get("a")})
    environ = EnvironBuilder("/").get_environ()
    environ["HTTP_COOKIE"] = header
    status, _, _ = run_wsgi(app, environ)
    assert status == 200


def test_good_cookies_survive_a_bad_one(app: Flask) -> None:
    app.get("/")(lambda: request.cookies.get("good", "missing"))
    client = app.test_client(use_cookies=False)
    assert client.get("/", headers={"Cookie": '"""; good=yes; =='}).text == "yes"


# --- setting ------------------------------------------------------------------------


def test_set_cookie_defaults(app: Flask) -> None:
    assert set_cookie_headers(app) == ["name=value; Path=/"]


def test_set_cookie_every_attribute(app: Flask) -> None:
    (header,) = set_cookie_headers(
        app,
        max_age=3600,
        path="/account",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Strict",
        partitioned=True,
    )
    assert header.startswith("name=value; ")
    attributes = set(header.split("; ")[1:])
    expires = next(a for a in attributes if a.startswith("Expires="))
    assert attributes - {expires} == {
        "Domain=example.com",
        "Max-Age=3600",
        "Secure",
        "HttpOnly",
        "Path=/account",
        "SameSite=Strict",
        "Partitioned",
    }


def test_max_age_as_timedelta(app: Flask) -> None:
    (header,) = set_cookie_headers(app, max_age=timedelta(days=1))
    assert "Max-Age=86400" in header


def test_expires_as_datetime(app: Flask) -> None:
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    (header,) = set_cookie_headers(app, expires=when)
    assert "Expires=Wed, 02 Jan 2030 03:04:05 GMT" in header
    assert "Max-Age" not in header


@pytest.mark.parametrize("samesite", ["Strict", "Lax", "None"])
def test_samesite_values(app: Flask, samesite: str) -> None:
    (header,) = set_cookie_headers(app, samesite=samesite)
    assert f"SameSite={samesite}" in header


def test_bad_samesite_is_a_clear_error(app: Flask) -> None:
    with pytest.raises(ValueError, match="SameSite"):
        set_cookie_headers(app, samesite="sometimes")


def test_partitioned_cookies_are_secure(app: Flask) -> None:
    (header,) = set_cookie_headers(app, partitioned=True)
    assert "Secure" in header.split("; ")
    assert "Partitioned" in header.split("; ")


def test_special_and_non_ascii_values_round_trip(
    app: Flask, client: KolbaClient
) -> None:
    value = 'Привет; "мир", a=b\\c'

    @app.get("/set")
    def set_() -> t.Any:
        response = make_response("set")
        response.set_cookie("greeting", value)
        return response

    app.get("/get")(lambda: request.cookies["greeting"])
    header = client.get("/set").headers["Set-Cookie"]
    header.encode("ascii")  # quoted and escaped for the header
    assert header.count("; ") == 1 and header.endswith("; Path=/")
    assert client.get("/get").text == value


def test_cookie_header_cannot_be_injected(app: Flask) -> None:
    (header,) = set_cookie_headers(app, path="/\r\nX-Evil: 1")
    assert "\r" not in header and "\n" not in header


def test_several_cookies_on_one_response(app: Flask, client: KolbaClient) -> None:
    @app.get("/")
    def index() -> t.Any:
        response = make_response("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", httponly=True)
        return response

    assert client.get("/").headers.getlist("Set-Cookie") == [
        "a=1; Path=/",
        "b=2; HttpOnly; Path=/",
    ]
    assert client.get_cookie("a").value == "1"
    assert client.get_cookie("b").value == "2"


def test_cookie_set_before_the_response_exists(app: Flask, client: KolbaClient) -> None:
    @app.get("/")
    def index() -> str:
        @after_this_request
        def remember(response: t.Any) -> t.Any:
            response.set_cookie("visited", "yes")
            return response

        return "a plain string"

    assert client.get("/").text == "a plain string"
    assert client.get_cookie("visited").value == "yes"


def test_max_cookie_size_warns(app: Flask) -> None:
    app.config["MAX_COOKIE_SIZE"] = 100
    with pytest.warns(UserWarning, match="too large"):
        set_cookie_headers(app, path="/" + "x" * 100)
    app.config["MAX_COOKIE_SIZE"] = 0  # no limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        set_cookie_headers(app, path="/" + "x" * 10_000)


# --- deleting -------------------------------------------------------------------------


def test_delete_cookie(app: Flask, client: KolbaClient) -> None:
    @app.get("/set")
    def set_() -> t.Any:
        response = make_response("set")
        response.set_cookie("username", "ada", path="/", httponly=True)
        return response

    @app.get("/logout")
    def logout() -> t.Any:
        response = make_response("bye")
        response.delete_cookie("username", httponly=True)
        return response

    app.get("/")(lambda: request.cookies.get("username", "nobody"))
    client.get("/set")
    assert client.get("/").text == "ada"
    header = client.get("/logout").headers["Set-Cookie"]
    assert header.startswith("username=; ")
    assert "Max-Age=0" in header
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert client.get_cookie("username") is None
    assert client.get("/").text == "nobody"


def test_delete_cookie_matches_path_and_domain(app: Flask) -> None:
    with app.test_request_context():
        response = make_response("ok")
        response.delete_cookie(
            "name", path="/p", domain="example.com", secure=True, samesite="Lax"
        )
        (header,) = response.headers.getlist("Set-Cookie")
    attributes = header.split("; ")
    assert {"Path=/p", "Domain=example.com", "Secure", "SameSite=Lax"} <= set(
        attributes
    )
