"""werkzeug's error pages, as Flask sends them when werkzeug's HTTPException
(or one of its classes) is patched: kolba's prebuilt default pages must not
hide the patch, whenever it is made."""

from __future__ import annotations

import json
import typing as t

import pytest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from kolba import Flask

pytestmark = pytest.mark.usefixtures("driver")


@pytest.fixture
def app() -> Flask:
    app = Flask("errors_app")

    @app.route("/a")
    def a() -> str:
        return "a"

    return app


def json_body(self: HTTPException, environ: t.Any = None, scope: t.Any = None) -> str:
    return json.dumps({"code": self.code, "error": self.name})


def json_headers(
    self: HTTPException, environ: t.Any = None, scope: t.Any = None
) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json")]


@pytest.mark.parametrize("first", [False, True], ids=["before", "after-an-error"])
def test_json_errors_patched_on_httpexception(
    app: Flask, monkeypatch: pytest.MonkeyPatch, first: bool
) -> None:
    # The common trick for an API's errors: werkzeug's base class patched.
    client = app.test_client()
    if first:  # (the default pages were built and kept already)
        assert client.get("/nope").content_type == "text/html; charset=utf-8"
        assert client.post("/a").content_type == "text/html; charset=utf-8"
    monkeypatch.setattr(HTTPException, "get_body", json_body)
    monkeypatch.setattr(HTTPException, "get_headers", json_headers)
    for _ in range(2):
        response = client.get("/nope")
        assert response.status_code == 404
        assert response.content_type == "application/json"
        assert response.get_json() == {"code": 404, "error": "Not Found"}
        response = client.post("/a")
        assert response.status_code == 405
        assert response.content_type == "application/json"
        assert response.get_json() == {"code": 405, "error": "Method Not Allowed"}
        # (MethodNotAllowed's get_headers, werkzeug's, adds Allow to the
        # patched one's; its order is set order in Flask)
        allow = response.headers["Allow"].split(", ")
        assert sorted(allow) == ["GET", "HEAD", "OPTIONS"]


def test_a_description_changed_after_an_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert b"check your spelling" in client.get("/nope").data
    monkeypatch.setattr(NotFound, "description", "Nothing here.")
    for _ in range(2):
        page = client.get("/nope").data
        assert b"<p>Nothing here.</p>" in page
        assert b"check your spelling" not in page
    monkeypatch.undo()
    assert b"check your spelling" in client.get("/nope").data


def test_name_patched_on_httpexception(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert b"<title>404 Not Found</title>" in client.get("/nope").data
    monkeypatch.setattr(HTTPException, "name", property(lambda self: "Oops"))
    assert b"<title>404 Oops</title>" in client.get("/nope").data


def test_get_response_patched_on_httpexception(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert client.get("/nope").status_code == 404
    original = HTTPException.get_response

    def get_response(self: HTTPException, *args: t.Any, **kwargs: t.Any) -> t.Any:
        response = original(self, *args, **kwargs)
        response.headers["X-Error"] = str(self.code)
        return response

    monkeypatch.setattr(HTTPException, "get_response", get_response)
    assert client.get("/nope").headers.get("X-Error") == "404"
    assert client.post("/a").headers.get("X-Error") == "405"


def test_allow_headers_patched_on_methodnotallowed(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    assert client.post("/a").headers["Allow"]
    original = MethodNotAllowed.get_headers

    def get_headers(self: MethodNotAllowed, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return [*original(self, *args, **kwargs), ("X-Allowed", "see Allow")]

    monkeypatch.setattr(MethodNotAllowed, "get_headers", get_headers)
    assert client.post("/a").headers.get("X-Allowed") == "see Allow"
