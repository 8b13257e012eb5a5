"""Hostile or odd input under ASGI gets a clear answer (a 4xx, or the request
as a WSGI server would give it), never a 500, a hang, super-linear CPU or a
body held whole in memory. (Found by a review; real servers are at the end.)"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from test_asgi import http_scope, run_asgi

from kolba import Flask, request


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("/appadmin", "/app", "other /appadmin"),
        ("/apple", "/app", "other /apple"),
        ("/app/admin", "/app", "admin"),
        ("/app/admin", "/app/", "admin"),
        ("/admin", "/app", "admin"),  # a server that gave the path without it
    ],
)
def test_the_root_path_is_cut_off_at_a_segment_boundary(
    app: Flask, path: str, root: str, expected: str
) -> None:
    """``/apple`` is not under the mount point ``/app``: it is served as it
    is (as a server that strips the mount point itself gives paths), not as
    ``/le``. The environ a WSGI extension reads says the same."""

    @app.route("/admin")
    def admin() -> str:
        return "admin"

    @app.route("/<path:rest>")
    async def other(rest: str) -> str:
        return f"other {request.path} {request.environ['PATH_INFO']}"

    scope = http_scope(path)
    scope["root_path"] = root
    sent = run_asgi(app, scope, [])
    body = sent[1]["body"].decode()
    if expected == "admin":
        assert body == "admin"
    else:
        assert body == f"{expected} {expected[6:]}"


def test_the_root_with_a_trailing_slash_serves_its_index(app: Flask) -> None:
    """root_path ``/app/`` and path ``/app/``: the index, not a redirect to
    itself (forever)."""
    app.add_url_rule("/", "index", lambda: f"index {request.script_root}")
    for path in ("/app/", "/app"):
        scope = http_scope(path)
        scope["root_path"] = "/app/"
        sent = run_asgi(app, scope, [])
        if path == "/app/":
            assert (sent[0]["status"], sent[1]["body"]) == (200, b"index /app")
        else:  # the mount point without its slash: redirected to it
            assert sent[0]["status"] == 308
            assert (b"location", b"http://testserver/app/") in sent[0]["headers"]


def test_a_header_repeated_many_times_is_joined_in_linear_time(app: Flask) -> None:
    """Each repeat was joined to the ones before it (a copy of them all):
    50,000 copies took minutes. The bound is a hang's, not a speed test."""

    @app.route("/")
    def view() -> str:
        return f"{len(request.headers['X-A'])} {request.headers['Cookie']}"

    headers = [(b"x-a", b"b" * 100)] * 50_000 + [(b"cookie", b"a=1")] * 2
    sent: list[Any] = []
    thread = threading.Thread(
        target=lambda: sent.extend(run_asgi(app, http_scope("/", headers=headers), [])),
        daemon=True,
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert sent[1]["body"] == f"{101 * 50_000 - 1} a=1; a=1".encode()
