"""Types as precise as Flask's where kolba's were ``Any``: the session's
views, the request's limits, the session store, send_file's arguments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from typing_extensions import assert_type

from kolba import Flask, Request, Response, request, send_file
from kolba.session_stores import SessionStore
from kolba.sessions import SecureCookieSession, session_store

app = Flask(__name__)

data = SecureCookieSession({"user": "ann"})
assert_type(iter(data), Iterator[str])
assert_type(list(data.keys()), list[str])
assert_type(list(data.items()), list[tuple[str, Any]])
assert_type(data.copy(), dict[str, Any])
SecureCookieSession([("user", "ann")])
SecureCookieSession(5)  # type: ignore[arg-type]
for key in data.keys():
    key.upper()
    key.nonexistent()  # type: ignore[attr-defined]

assert_type(session_store(app), SessionStore | None)


class SmallUploads(Request):
    max_content_length = 1024
    max_form_parts = 10


class LimitedBySetting(Request):
    @property
    def max_form_memory_size(self) -> int | None:
        return 1024

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        return None


@app.post("/upload")
def upload() -> Response:
    assert_type(request.max_content_length, int | None)
    assert_type(request.max_form_memory_size, int | None)
    assert_type(request.max_form_parts, int | None)
    request.max_content_length = 10 * 1024 * 1024
    request.max_content_length = "big"  # type: ignore[assignment]
    return send_file("report.pdf", last_modified=datetime(2024, 1, 1))


send_file("a.txt", last_modified="yesterday")  # type: ignore[arg-type]
