"""The request, the session and ``g`` as a view sees them."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type
from werkzeug.datastructures import (
    FileStorage,
    Headers,
    ImmutableMultiDict,
    MultiDict,
)

from kolba import Flask, Response, g, request, session
from kolba.ctx import _AppCtxGlobals
from kolba.routing import Rule
from kolba.sessions import SessionMixin

app = Flask(__name__)


def fields(form: ImmutableMultiDict[str, str]) -> dict[str, str]:
    return form.to_dict()


def uploads(files: ImmutableMultiDict[str, FileStorage]) -> int:
    return len(files)


def numbers(form: ImmutableMultiDict[str, int]) -> None:
    return None


@app.post("/upload")
def upload() -> tuple[str, int]:
    assert_type(request.method, str)
    assert_type(request.path, str)
    assert_type(request.args, MultiDict[str, str])
    assert_type(fields(request.form), dict[str, str])
    assert_type(uploads(request.files), int)
    assert_type(request.form.get("a"), str | None)
    assert_type(request.files.getlist("f"), list[FileStorage])
    request.form.not_a_method()  # type: ignore[attr-defined]
    numbers(request.form)  # type: ignore[arg-type]
    assert_type(request.headers, Headers)
    assert_type(request.cookies, ImmutableMultiDict[str, str])
    assert_type(request.endpoint, str | None)
    assert_type(request.blueprints, list[str])
    assert_type(request.url_rule, Rule | None)
    assert_type(request.data, bytes)
    assert_type(request.remote_addr, str | None)
    name = request.args.get("name", "")
    count = request.args.get("count", 0, type=int)
    assert_type(name, str)
    assert_type(count, int)
    upload = request.files["file"]
    assert_type(upload.filename, str | None)
    assert_type(session, SessionMixin)
    assert_type(session.permanent, bool)
    session["user"] = name
    assert_type(g, _AppCtxGlobals)
    g.user = name
    assert_type(g.user, Any)
    assert_type(g.get("user"), Any)
    request.method.nonexistent  # type: ignore[attr-defined]  # noqa: B018
    return "stored", 201


@app.post("/orders")
async def orders() -> dict[str, object]:
    form = await request.form
    files = await request.files
    assert_type(form, ImmutableMultiDict[str, str])
    assert_type(files, ImmutableMultiDict[str, FileStorage])
    return {"fields": form.to_dict(), "files": len(files)}


@app.after_request
def no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    assert_type(response.status_code, int)
    assert_type(response.get_data(as_text=True), str)
    return response
