"""The session interface changed after sessions were signed, as Flask: its
salt, digest, serializer or key derivation (how an app invalidates every
session without a restart), and methods set on it after the first request."""

from __future__ import annotations

import hashlib
import typing as t
from pathlib import Path

import pytest

from kolba import Flask, session
from kolba.json.tag import TaggedJSONSerializer
from kolba.session_stores import SQLiteSessionStore, StoreSessionInterface
from kolba.sessions import SecureCookieSessionInterface

pytestmark = pytest.mark.usefixtures("driver")


class ShoutingSerializer(TaggedJSONSerializer):
    """Reads the values it loads in capitals."""

    def loads(self, value: str) -> t.Any:
        return {k: v.upper() for k, v in super().loads(value).items()}


@pytest.fixture
def app() -> Flask:
    app = Flask("sessions_app")
    app.config.update(TESTING=True, SECRET_KEY="a-secret-key-for-tests")
    # (its own interface: the default one is shared by every app, as Flask's)
    app.session_interface = SecureCookieSessionInterface()

    @app.route("/login")
    def login() -> str:
        session["user"] = "alice"
        return "ok"

    @app.route("/me")
    def me() -> str:
        return repr(session.get("user"))

    return app


@pytest.mark.parametrize(
    ("changes", "then"),
    [
        ({"salt": "cookie-session-v2"}, b"None"),
        ({"digest_method": hashlib.sha256}, b"None"),
        ({"serializer": ShoutingSerializer()}, b"'ALICE'"),
        # (not kolba's own codec: itsdangerous's serializer, built again too)
        ({"key_derivation": "concat"}, b"None"),
        ({"key_derivation": "concat", "salt": "v2"}, b"None"),
    ],
    ids=["salt", "digest_method", "serializer", "key_derivation", "both"],
)
def test_a_change_on_the_interface_after_sessions_were_signed(
    app: Flask, changes: dict[str, t.Any], then: bytes
) -> None:
    client = app.test_client()
    for name, value in changes.items():
        client.get("/login")
        assert client.get("/me").data in (b"'alice'", b"'ALICE'")
        setattr(app.session_interface, name, value)
        assert client.get("/me").data == then
    client.get("/login")  # (signed anew)
    assert client.get("/me").data == then.replace(b"None", b"'alice'")


def test_methods_set_on_the_interface_after_the_first_request(app: Flask) -> None:
    @app.route("/plain")
    def plain() -> str:
        return "no session used"

    client = app.test_client()
    assert client.get("/plain").data == b"no session used"
    interface = app.session_interface
    calls = []

    def open_session(app: Flask, request: t.Any) -> t.Any:
        calls.append("open")
        return SecureCookieSessionInterface.open_session(interface, app, request)

    def save_session(app: Flask, session: t.Any, response: t.Any) -> None:
        calls.append("save")
        response.headers["X-Saved"] = "1"
        SecureCookieSessionInterface.save_session(interface, app, session, response)

    interface.open_session = open_session  # type: ignore[method-assign]
    interface.save_session = save_session  # type: ignore[method-assign]
    # As in Flask: called for every request, the session used or not.
    assert [client.get("/plain").headers.get("X-Saved") for _ in range(2)] == ["1"] * 2
    assert calls == ["open", "save"] * 2
    client.get("/login")
    assert client.get("/me").data == b"'alice'"
    del interface.open_session, interface.save_session  # (kolba's own again)
    calls.clear()
    assert client.get("/plain").headers.get("X-Saved") is None
    assert client.get("/me").data == b"'alice'"
    assert calls == []


def test_the_salt_of_a_store_interface_changed(app: Flask, tmp_path: Path) -> None:
    app.session_interface = StoreSessionInterface(
        SQLiteSessionStore(str(tmp_path / "sessions.sqlite3"))
    )
    client = app.test_client()
    client.get("/login")
    assert client.get("/me").data == b"'alice'"
    app.session_interface.salt = "session-id-v2"  # type: ignore[attr-defined]
    assert client.get("/me").data == b"None"
