"""Session keys that are not strings, in a store (real SQLite file, real
Redis): kept as Flask's cookie session keeps them (JSON's spelling: ``None``
is ``"null"``, ``True`` ``"true"``, ``1`` ``"1"``), and a key JSON cannot
write is a ``TypeError`` (a 500, as Flask 3.1.3), never the store's 503
"unavailable" with a store failure in the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from markupsafe import Markup
from test_session_stores import make_app, redis_server, store_url  # noqa: F401

from kolba import session

KEYS: dict[str, Any] = {
    "none": None,
    "true": True,
    "false": False,
    "int": 1,
    "float": 1.5,
    "markup": Markup("m"),
    "tuple": (1, 2),
    "bytes": b"k",
    "frozenset": frozenset(),
}

# What Flask 3.1.3's cookie session answers for a session holding only that
# key (checked under /tmp/s19_flask): the key as the next request reads it,
# or a 500. (Next to a str key Flask answers 500 for all but Markup: its JSON
# sorts the keys, and None < "a" is a TypeError. A store writes each key on
# its own, and keeps them.)
FLASK = {
    "none": "null",
    "true": "true",
    "false": "false",
    "int": "1",
    "float": "1.5",
    "markup": "m",
    "tuple": 500,
    "bytes": 500,
    "frozenset": 500,
}


@pytest.mark.parametrize("name", list(KEYS))
@pytest.mark.parametrize("cookie", ["new", "loaded"])
def test_keys_are_kept_as_json_writes_them(
    store_url: str,  # noqa: F811
    name: str,
    cookie: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(store_url)

    @app.route("/key/<name>")
    def set_key(name: str) -> str:
        session[KEYS[name]] = "v"
        return "set"

    client = app.test_client()
    if cookie == "loaded":  # a session already stored: written key by key
        client.get("/set/a/1")
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/key/{name}")
    before = {"a": "1"} if cookie == "loaded" else {}
    if FLASK[name] == 500:
        assert response.status_code == 500
        assert "TypeError: keys must be str, int, float, bool or None" in caplog.text
        assert "session store failed" not in caplog.text
        assert client.get("/get").json == before  # nothing written
    else:
        assert response.status_code == 200
        assert caplog.text == ""
        assert client.get("/get").json == {**before, FLASK[name]: "v"}


def test_a_key_changed_to_its_json_spelling_is_one_key(
    store_url: str,  # noqa: F811
) -> None:
    # The stored "null" is the key None was written as: setting None again
    # changes it, deleting "null" deletes it.
    app = make_app(store_url)

    @app.route("/none/<value>")
    def none(value: str) -> str:
        session[None] = value  # type: ignore[index]
        return "set"

    client = app.test_client()
    client.get("/none/1")
    client.get("/none/2")
    assert client.get("/get").json == {"null": "2"}
    client.get("/set/b/1")
    client.get("/pop/null")
    assert client.get("/get").json == {"b": "1"}
