"""Sessions: the session objects, the signed cookie interface, and Flask compatibility.

The first part drives the interface directly, with a stand-in app (config,
secret key, lifetime: what the interface reads) and werkzeug's Response (the
base of kolba's). The second part goes through a real kolba app and its test
client.
"""

from __future__ import annotations

import pickle
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any
from uuid import UUID

import flask
import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.http import parse_date
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

import kolba
from kolba import Flask, request, session
from kolba.asgi import _ScopeContext
from kolba.ctx import RequestContext, _LazyRequestContext
from kolba.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)

pytestmark = pytest.mark.usefixtures("driver")

KEY = "a-secret-key-for-tests"


# -- the session objects -----------------------------------------------------


def test_new_session_is_clean() -> None:
    s = SecureCookieSession()
    assert not s.modified
    assert not s.accessed
    assert s == {}
    assert not s.new
    assert not s.permanent
    assert isinstance(s, dict)
    assert isinstance(s, SessionMixin)


def test_loaded_session_is_clean() -> None:
    s = SecureCookieSession({"a": 1})
    assert not s.modified
    assert not s.accessed
    assert s == {"a": 1}


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s["a"],
        lambda s: s.get("a"),
        lambda s: s.get("missing", 0),
        lambda s: "a" in s,
        lambda s: list(s),
        lambda s: len(s),
        lambda s: bool(s),
        lambda s: s.keys(),
        lambda s: s.values(),
        lambda s: s.items(),
        lambda s: s.copy(),
        lambda s: dict(s),
        lambda s: s.permanent,
        lambda s: s.pop("missing", None),
    ],
)
def test_reads_mark_accessed_not_modified(read: Any) -> None:
    s = SecureCookieSession({"a": 1})
    read(s)
    assert s.accessed
    assert not s.modified


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.__setitem__("b", 2),
        lambda s: s.__delitem__("a"),
        lambda s: s.setdefault("a", []),
        lambda s: s.pop("a"),
        lambda s: s.popitem(),
        lambda s: s.clear(),
        lambda s: s.update(b=2),
        lambda s: s.update({"b": 2}),
        lambda s: s.__ior__({"b": 2}),
        lambda s: setattr(s, "permanent", True),
    ],
)
def test_writes_mark_modified_and_accessed(write: Any) -> None:
    s = SecureCookieSession({"a": 1})
    write(s)
    assert s.modified
    assert s.accessed


@pytest.mark.parametrize(
    ("start", "write"),
    [
        ({"a": 1}, lambda s: s.__delitem__("missing")),
        ({}, lambda s: s.popitem()),
    ],
)
def test_a_write_that_fails_changes_nothing(start: dict[str, Any], write: Any) -> None:
    s = SecureCookieSession(start)
    with pytest.raises(KeyError):
        write(s)
    assert not s.modified
    assert s == start


def test_a_failed_delete_sends_no_cookie() -> None:
    app = make_app(TESTING=False)  # (the 500 answered, not raised)

    @app.route("/set")
    def set_() -> str:
        session["a"] = 1
        return ""

    @app.route("/del")
    def delete() -> str:
        del session["missing"]  # a KeyError: a 500, as in Flask
        return ""

    client = app.test_client()
    client.get("/set")
    response = client.get("/del")
    assert response.status_code == 500
    assert "Set-Cookie" not in response.headers


def test_ior_updates_in_place() -> None:
    s = SecureCookieSession({"a": 1})
    t = s
    t |= {"b": 2}
    assert t is s
    assert s == {"a": 1, "b": 2}


def test_copy_is_a_plain_dict() -> None:
    s = SecureCookieSession({"a": [1]})
    c = s.copy()
    assert type(c) is dict
    assert c == {"a": [1]}


def test_setdefault_saves_mutation_of_existing_value() -> None:
    s = SecureCookieSession({"cart": [1]})
    s.setdefault("cart", []).append(2)
    assert s.modified
    assert s["cart"] == [1, 2]


def test_permanent_is_stored_in_the_session() -> None:
    s = SecureCookieSession()
    s.permanent = 1
    assert s == {"_permanent": True}
    assert s.permanent is True
    s.permanent = False
    assert not s.permanent


def test_session_pickles() -> None:
    s = SecureCookieSession({"a": 1})
    s["b"] = 2
    loaded = pickle.loads(pickle.dumps(s))
    assert loaded == {"a": 1, "b": 2}
    assert type(loaded) is SecureCookieSession


def test_null_session_reads_as_empty() -> None:
    s = NullSession()
    assert s.get("x") is None
    assert "x" not in s
    assert not s
    assert not s.permanent
    with pytest.raises(KeyError):
        s["x"]


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.__setitem__("a", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.setdefault("a", 1),
        lambda s: s.pop("a", None),
        lambda s: s.popitem(),
        lambda s: s.clear(),
        lambda s: s.update(a=1),
        lambda s: s.__ior__({"a": 1}),
        lambda s: setattr(s, "permanent", True),
    ],
)
def test_null_session_refuses_writes(write: Any) -> None:
    s = NullSession()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        write(s)
    assert s == {}


# -- the interface, with stand-ins --------------------------------------------


class App:
    """What the session interface reads from an app."""

    def __init__(self, secret_key: str | bytes | None = KEY, **config: Any) -> None:
        self.config: dict[str, Any] = {
            "SECRET_KEY": secret_key,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_REFRESH_EACH_REQUEST": True,
            **config,
        }

    @property
    def secret_key(self) -> Any:
        return self.config["SECRET_KEY"]

    @property
    def permanent_session_lifetime(self) -> timedelta:
        return self.config["PERMANENT_SESSION_LIFETIME"]


class Request:
    def __init__(self, cookie: str | None = None, name: str = "session") -> None:
        self.cookies = {} if cookie is None else {name: cookie}


def base64url(text: str) -> str:
    return urlsafe_b64encode(text.encode()).decode().rstrip("=")


def set_cookies(response: Response) -> dict[str, Any]:
    """The response's Set-Cookie headers: name -> morsel."""
    jar: dict[str, Any] = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        jar.update(cookie)
    return jar


def save(app: App, session: SessionMixin) -> Response:
    response = Response()
    SecureCookieSessionInterface().save_session(app, session, response)
    return response


def cookie_of(app: App, session: SessionMixin) -> str:
    return set_cookies(save(app, session))[app.config["SESSION_COOKIE_NAME"]].value


def open_(app: App, cookie: str | None) -> Any:
    return SecureCookieSessionInterface().open_session(app, Request(cookie))


def test_round_trip_through_cookie() -> None:
    app = App()
    s = SecureCookieSession()
    s["user"] = "ada"
    s["n"] = (1, b"\x00")
    loaded = open_(app, cookie_of(app, s))
    assert type(loaded) is SecureCookieSession
    assert not loaded.modified
    assert not loaded.accessed
    assert loaded == {"user": "ada", "n": (1, b"\x00")}


def test_no_cookie_gives_empty_session() -> None:
    s = open_(App(), None)
    assert type(s) is SecureCookieSession
    assert s == {}


@pytest.mark.parametrize(
    "cookie", ["", "garbage", "a.b.c", "eyJhIjoxfQ.ZZZZZZ.bad-signature", "\x00\xff"]
)
def test_bad_cookie_gives_empty_session(cookie: str) -> None:
    s = open_(App(), cookie)
    assert type(s) is SecureCookieSession
    assert s == {}


def test_tampered_cookie_gives_empty_session() -> None:
    app = App()
    s = SecureCookieSession()
    s["role"] = "user"
    cookie = cookie_of(app, s)
    assert open_(app, cookie) == {"role": "user"}
    payload, rest = cookie.split(".", 1)
    forged = SecureCookieSessionInterface.serializer.dumps({"role": "admin"})
    assert open_(app, base64url(forged) + "." + rest) == {}
    # The signature's first character carries six signature bits (its last one
    # may carry only padding bits, so changing that can leave it valid).
    head, _, signature = cookie.rpartition(".")
    first = "A" if signature[0] != "A" else "B"
    assert open_(app, f"{head}.{first}{signature[1:]}") == {}


def test_cookie_signed_with_another_key_is_ignored() -> None:
    s = SecureCookieSession()
    s["user"] = "ada"
    assert (
        open_(App(secret_key="another-secret-key-for-tests"), cookie_of(App(), s)) == {}
    )


def test_signed_payload_that_is_not_a_session_is_ignored() -> None:
    app = App()
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert signer is not None
    assert open_(app, signer.dumps([1, 2])) == {}
    # Signed with our key but not valid tagged JSON (bad base64 in a " b" tag).
    bad = URLSafeTimedSerializer(
        KEY,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"},
    )
    assert open_(app, bad.dumps({" b": "!!!"})) == {}


def test_expired_cookie_gives_empty_session(monkeypatch: pytest.MonkeyPatch) -> None:
    app = App(PERMANENT_SESSION_LIFETIME=timedelta(seconds=60))
    s = SecureCookieSession()
    s["user"] = "ada"
    cookie = cookie_of(app, s)
    assert open_(app, cookie) == {"user": "ada"}
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 120)
    assert open_(app, cookie) == {}


def test_no_secret_key_opens_no_session() -> None:
    interface = SecureCookieSessionInterface()
    app = App(secret_key=None)
    assert interface.open_session(app, Request("x")) is None
    null = interface.make_null_session(app)
    assert isinstance(null, NullSession)
    assert interface.is_null_session(null)
    assert not interface.is_null_session(SecureCookieSession())


def test_untouched_session_sets_nothing() -> None:
    response = save(App(), SecureCookieSession({"a": 1}))
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_read_session_varies_on_cookie() -> None:
    s = SecureCookieSession({"a": 1})
    s.get("a")
    response = save(App(), s)
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers


def test_membership_test_varies_on_cookie() -> None:
    s = SecureCookieSession()
    assert "user" not in s
    assert save(App(), s).headers["Vary"] == "Cookie"


def test_modified_session_sets_cookie_with_defaults() -> None:
    s = SecureCookieSession()
    s["a"] = 1
    response = save(App(), s)
    assert response.headers["Vary"] == "Cookie"
    (header,) = response.headers.getlist("Set-Cookie")
    name, _, attrs = header.partition("; ")
    assert name.startswith("session=")
    assert attrs == "HttpOnly; Path=/"


def test_cookie_settings_show_in_set_cookie() -> None:
    app = App(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PARTITIONED=True,
    )
    s = SecureCookieSession()
    s["a"] = 1
    (header,) = save(app, s).headers.getlist("Set-Cookie")
    assert header.startswith("sid=")
    attrs = header.split("; ")[1:]
    assert sorted(attrs) == sorted(
        ["Domain=example.com", "Secure", "Path=/app", "SameSite=Lax", "Partitioned"]
    )


def test_cookie_path_falls_back_to_application_root() -> None:
    app = App(APPLICATION_ROOT="/root")
    s = SecureCookieSession()
    s["a"] = 1
    assert set_cookies(save(app, s))["session"]["path"] == "/root"


def test_emptied_session_deletes_cookie_with_same_attributes() -> None:
    app = App(
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    s = SecureCookieSession({"a": 1})
    s.clear()
    response = save(app, s)
    assert response.headers["Vary"] == "Cookie"
    (header,) = response.headers.getlist("Set-Cookie")
    assert header.startswith("session=; ")
    attrs = set(header.split("; ")[1:])
    assert {"Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"} <= attrs
    assert {
        "Domain=example.com",
        "Path=/app",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Partitioned",
    } <= attrs


def test_empty_unmodified_session_sets_nothing() -> None:
    response = save(App(), SecureCookieSession())
    assert "Set-Cookie" not in response.headers


def test_browser_session_cookie_has_no_expiry() -> None:
    s = SecureCookieSession()
    s["a"] = 1
    morsel = set_cookies(save(App(), s))["session"]
    assert not morsel["expires"]
    assert not morsel["max-age"]


def test_permanent_session_cookie_expires_after_lifetime() -> None:
    app = App(PERMANENT_SESSION_LIFETIME=timedelta(hours=2))
    s = SecureCookieSession()
    s.permanent = True
    before = datetime.now(timezone.utc).replace(microsecond=0)
    expires = parse_date(set_cookies(save(app, s))["session"]["expires"])
    assert expires is not None
    assert (
        before + timedelta(hours=2) <= expires <= before + timedelta(hours=2, seconds=2)
    )


def test_permanent_session_refreshes_each_request() -> None:
    s = SecureCookieSession({"_permanent": True, "a": 1})
    assert "session" in set_cookies(save(App(), s))
    s = SecureCookieSession({"_permanent": True, "a": 1})
    assert not set_cookies(save(App(SESSION_REFRESH_EACH_REQUEST=False), s))


def test_refresh_does_not_apply_to_browser_sessions() -> None:
    assert not set_cookies(save(App(), SecureCookieSession({"a": 1})))


def test_secret_key_fallbacks_rotate_keys() -> None:
    s = SecureCookieSession()
    s["user"] = "ada"
    old_cookie = cookie_of(App(secret_key="old-secret-key-for-tests"), s)
    rotated = App(
        secret_key="new-secret-key-for-tests",
        SECRET_KEY_FALLBACKS=["older-secret-key-for-tests", "old-secret-key-for-tests"],
    )
    assert open_(rotated, old_cookie) == {"user": "ada"}
    new_cookie = cookie_of(rotated, s)
    # Signed with the current key only.
    assert open_(App(secret_key="new-secret-key-for-tests"), new_cookie) == {
        "user": "ada"
    }
    assert open_(App(secret_key="old-secret-key-for-tests"), new_cookie) == {}
    # Without the fallback the old cookie is no longer accepted.
    assert open_(App(secret_key="new-secret-key-for-tests"), old_cookie) == {}


def test_signing_serializer_follows_key_changes() -> None:
    interface = SecureCookieSessionInterface()
    app = App()
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.config["SECRET_KEY"] = "changed-secret-key-for-tests"
    second = interface.get_signing_serializer(app)
    assert second is not first
    assert second is not None
    assert second.loads(second.dumps({"a": 1})) == {"a": 1}
    app.config["SECRET_KEY_FALLBACKS"] = [KEY]
    assert second.loads(interface.get_signing_serializer(app).dumps({"a": 1})) == {
        "a": 1
    }
    app.config["SECRET_KEY"] = None
    assert interface.get_signing_serializer(app) is None


def test_bytes_secret_key() -> None:
    app = App(secret_key=b"\x00bytes-key-for-the-tests")
    s = SecureCookieSession()
    s["a"] = 1
    assert open_(app, cookie_of(app, s)) == {"a": 1}


def test_base_interface_is_abstract() -> None:
    interface = SessionInterface()
    with pytest.raises(NotImplementedError):
        interface.open_session(App(), Request())
    with pytest.raises(NotImplementedError):
        interface.save_session(App(), SecureCookieSession(), Response())
    assert interface.pickle_based is False
    assert interface.null_session_class is NullSession


# -- wire compatibility with Flask, at the interface level ----------------------


def flask_app(**config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY=KEY, **config)
    return app


def test_flask_cookie_is_read_by_kolba() -> None:
    value = {"user": "ada", "pair": (1, "b"), "raw": b"\x00\xff", "m": Markup("<b>")}
    fapp = flask_app()
    fsession = flask.sessions.SecureCookieSession()
    fsession.update(value)
    response = fapp.response_class()
    fapp.session_interface.save_session(fapp, fsession, response)
    cookie = set_cookies(response)["session"].value
    assert open_(App(), cookie) == value


def test_kolba_cookie_is_read_by_flask() -> None:
    value = {"user": "ada", "pair": (1, "b"), "raw": b"\x00\xff", "m": Markup("<b>")}
    s = SecureCookieSession()
    s.update(value)
    cookie = cookie_of(App(), s)
    fapp = flask_app()
    with fapp.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(flask.session) == value


# -- end to end, through a kolba app and its test client ------------------------


def make_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update({"SECRET_KEY": KEY, "TESTING": True, **config})
    return app


def counter_app(**config: Any) -> Flask:
    """``/`` counts visits in the session; ``/peek`` reads it; ``/none`` ignores it."""
    app = make_app(**config)

    @app.route("/")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/peek")
    def peek() -> str:
        return str(session.get("n"))

    @app.route("/none")
    def none() -> str:
        return "untouched"

    return app


def test_value_set_in_one_request_is_seen_in_the_next() -> None:
    client = counter_app().test_client()
    assert client.get("/").text == "1"
    assert client.get("/").text == "2"
    assert client.get("/peek").text == "2"
    assert counter_app().test_client().get("/peek").text == "None"


@pytest.mark.parametrize(
    "value",
    [
        {"a": {"b": [1, 2]}},
        [1, "two", None, 3.5],
        (1, (2, "three")),
        b"\x00\xffbinary",
        Markup("<em>safe</em>"),
        UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        datetime(2024, 2, 29, 13, 37, 5, tzinfo=timezone.utc),
        {" t": "a key that looks like a tag"},
        "ünïcode",
    ],
    ids=repr,
)
def test_value_types_round_trip(value: Any) -> None:
    app = make_app()
    seen = []

    @app.route("/set")
    def set_() -> str:
        session["v"] = value
        return ""

    @app.route("/get")
    def get() -> str:
        seen.append(session["v"])
        return ""

    client = app.test_client()
    client.get("/set")
    client.get("/get")
    assert seen == [value]
    assert type(seen[0]) is type(value)


def flask_counter_app(**config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY=KEY, **config)

    @app.route("/")
    def count() -> str:
        flask.session["n"] = flask.session.get("n", 0) + 1
        flask.session["m"] = Markup("<b>")
        flask.session["t"] = (1, b"\x00")
        return str(flask.session["n"])

    return app


def test_flask_app_cookie_is_read_by_kolba_app() -> None:
    fclient = flask_counter_app().test_client()
    fclient.get("/")
    fclient.get("/")
    cookie = fclient.get_cookie("session")
    assert cookie is not None

    app = counter_app()
    seen = []

    @app.route("/all")
    def all_() -> str:
        seen.append(dict(session))
        return ""

    client = app.test_client()
    client.set_cookie("session", cookie.value)
    client.get("/all")
    assert seen == [{"n": 2, "m": Markup("<b>"), "t": (1, b"\x00")}]
    assert client.get("/").text == "3"


def test_kolba_app_cookie_is_read_by_flask_app() -> None:
    client = counter_app().test_client()
    client.get("/")
    client.get("/")
    cookie = client.get_cookie("session")
    assert cookie is not None

    fclient = flask_counter_app().test_client()
    fclient.set_cookie("session", cookie.value)
    assert fclient.get("/").text == "3"


def test_secret_key_fallbacks() -> None:
    old = counter_app(SECRET_KEY="old-secret-key-for-tests").test_client()
    old.get("/")
    cookie = old.get_cookie("session")
    assert cookie is not None

    rotated = counter_app(
        SECRET_KEY="new-secret-key-for-tests",
        SECRET_KEY_FALLBACKS=["old-secret-key-for-tests"],
    )
    client = rotated.test_client()
    client.set_cookie("session", cookie.value)
    assert client.get("/").text == "2"  # read with the old key, signed with the new
    renewed = client.get_cookie("session")
    assert renewed is not None

    new_only = counter_app(SECRET_KEY="new-secret-key-for-tests").test_client()
    new_only.set_cookie("session", renewed.value)
    assert new_only.get("/peek").text == "2"
    new_only.set_cookie("session", cookie.value)
    assert new_only.get("/peek").text == "None"


def permanent_app(**config: Any) -> Flask:
    app = counter_app(**config)

    @app.route("/login")
    def login() -> str:
        session.permanent = True
        session["n"] = 0
        return ""

    return app


@pytest.mark.parametrize("lifetime", [timedelta(hours=3), 3 * 3600])
def test_permanent_session_expires_after_lifetime(lifetime: Any) -> None:
    client = permanent_app(PERMANENT_SESSION_LIFETIME=lifetime).test_client()
    before = datetime.now(timezone.utc).replace(microsecond=0)
    response = client.get("/login")
    expires = parse_date(set_cookies(response)["session"]["expires"])
    assert expires is not None
    hours = timedelta(hours=3)
    assert before + hours <= expires <= before + hours + timedelta(seconds=2)


def test_browser_session_has_no_expiry() -> None:
    response = counter_app().test_client().get("/")
    morsel = set_cookies(response)["session"]
    assert not morsel["expires"]
    assert not morsel["max-age"]


def test_expired_cookie_gives_empty_session_end_to_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = permanent_app(PERMANENT_SESSION_LIFETIME=60).test_client()
    client.get("/login")
    assert client.get("/").text == "1"
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    # The test client still sends the cookie; the app finds it too old.
    response = client.get("/peek")
    assert response.status_code == 200
    assert response.text == "None"


@pytest.mark.parametrize("refresh", [True, False])
def test_refresh_each_request(refresh: bool) -> None:
    client = permanent_app(SESSION_REFRESH_EACH_REQUEST=refresh).test_client()
    client.get("/login")
    response = client.get("/peek")
    assert response.text == "0"
    assert ("session" in set_cookies(response)) is refresh
    # A modified session is always sent.
    assert "session" in set_cookies(client.get("/"))


def test_refresh_does_not_resend_browser_sessions() -> None:
    client = counter_app().test_client()
    client.get("/")
    assert not set_cookies(client.get("/peek"))


def test_cookie_settings_show_in_set_cookie_end_to_end() -> None:
    app = counter_app(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    response = app.test_client().get("/", base_url="https://example.com")
    (header,) = response.headers.getlist("Set-Cookie")
    assert header.startswith("sid=")
    assert sorted(header.split("; ")[1:]) == sorted(
        [
            "Domain=example.com",
            "Secure",
            "Path=/app",
            "SameSite=Strict",
            "Partitioned",
        ]
    )


def test_cookie_defaults() -> None:
    response = counter_app().test_client().get("/")
    (header,) = response.headers.getlist("Set-Cookie")
    attrs = header.split("; ")[1:]
    assert "HttpOnly" in attrs
    assert "Path=/" in attrs
    assert not any(a.startswith(("Domain=", "Expires=", "Max-Age=")) for a in attrs)
    assert "Secure" not in attrs


def test_cookie_path_is_application_root() -> None:
    response = counter_app(APPLICATION_ROOT="/root").test_client().get("/")
    assert set_cookies(response)["session"]["path"] == "/root"


def test_reading_the_session_varies_on_cookie() -> None:
    client = counter_app().test_client()
    response = client.get("/peek")
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers
    client.get("/")
    assert client.get("/peek").headers["Vary"] == "Cookie"


def test_membership_test_varies_on_cookie_end_to_end() -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return "in" if "user" in session else "out"

    response = app.test_client().get("/")
    assert response.text == "out"
    assert response.headers["Vary"] == "Cookie"


def test_emptied_session_deletes_the_cookie() -> None:
    app = counter_app(SESSION_COOKIE_DOMAIN="example.com", SESSION_COOKIE_SECURE=True)

    @app.route("/logout")
    def logout() -> str:
        session.clear()
        return ""

    client = app.test_client()
    base = "https://example.com"
    client.get("/", base_url=base)
    assert client.get_cookie("session", domain="example.com") is not None
    response = client.get("/logout", base_url=base)
    assert response.headers["Vary"] == "Cookie"
    (header,) = response.headers.getlist("Set-Cookie")
    attrs = set(header.split("; "))
    assert {"session=", "Max-Age=0", "Domain=example.com", "Secure"} <= attrs
    assert {"HttpOnly", "Path=/", "SameSite=Lax"} <= attrs
    assert client.get_cookie("session", domain="example.com") is None
    assert client.get("/peek", base_url=base).text == "None"


@pytest.mark.parametrize("tamper", ["payload", "signature", "garbage", "empty"])
def test_tampered_cookie_gives_empty_session_end_to_end(tamper: str) -> None:
    client = counter_app().test_client()
    client.get("/")
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload, _, rest = cookie.value.partition(".")
    forged = {
        "payload": base64url('{"n":1000}') + "." + rest,
        "signature": cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB"),
        "garbage": "not a session",
        "empty": "",
    }[tamper]
    client.set_cookie("session", forged)
    response = client.get("/peek")
    assert response.status_code == 200
    assert response.text == "None"


def test_without_secret_key_reading_works_and_writing_fails() -> None:
    app = counter_app(SECRET_KEY=None)
    client = app.test_client()
    response = client.get("/peek")
    assert response.status_code == 200
    assert response.text == "None"
    assert "Set-Cookie" not in response.headers
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/")


def test_without_secret_key_write_is_a_500_outside_testing() -> None:
    app = counter_app(SECRET_KEY=None, TESTING=False)
    assert app.test_client().get("/").status_code == 500


@pytest.mark.parametrize(
    ("name", "refresh"),
    [(None, True), ("other", True), ("session", False)],
)
def test_untouched_session_is_not_opened(
    monkeypatch: pytest.MonkeyPatch, name: str | None, refresh: bool
) -> None:
    """Without its cookie, or without SESSION_REFRESH_EACH_REQUEST, a session
    the view does not touch costs nothing."""
    app = counter_app(SESSION_REFRESH_EACH_REQUEST=refresh)

    def fail(*args: Any) -> Any:
        raise AssertionError("the session was opened")

    # (kolba's own steps: a method changed on the interface is Flask's way)
    monkeypatch.setattr(RequestContext, "_open_session", fail)
    monkeypatch.setattr(Flask, "_save_session", fail)
    client = app.test_client()
    if name is not None:
        client.set_cookie(name, "a-cookie-nobody-reads")
    response = client.get("/none")
    assert response.text == "untouched"
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_other_cookies_make_no_request(
    monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    """A Cookie header without the session's cookie (analytics, a theme) is
    not read: a view that ignores the session makes no more Requests with it
    than without it (none under WSGI), on every request, over both drivers."""
    made: list[int] = []
    for cls in (_LazyRequestContext, _ScopeContext):
        make = cls._make_request
        monkeypatch.setattr(
            cls, "_make_request", lambda ctx, make=make: made.append(1) or make(ctx)
        )

    def requests_made(cookies: dict[str, str], path: str) -> int:
        made.clear()
        app = counter_app()

        @app.route("/async")
        async def untouched_async() -> str:
            return "untouched"

        client = app.test_client()
        for name, value in cookies.items():
            client.set_cookie(name, value)
        for _ in range(3):
            response = client.get(path)
            assert response.text == "untouched"
            assert "Set-Cookie" not in response.headers
        return len(made)

    for path in ("/none", "/async"):
        cookies = {"theme": "dark", "_ga": "GA1.2.3"}
        assert requests_made(cookies, path) == requests_made({}, path)
        if driver == "wsgi" or path == "/async":
            assert not made


def test_untouched_permanent_session_is_refreshed() -> None:
    """As in Flask: a permanent session's expiry slides on every request that
    sends its cookie, even one whose view never reads the session."""
    client = counter_app().test_client()
    with client.session_transaction() as sess:
        sess.permanent = True
        sess["n"] = 1
    response = client.get("/none")
    assert response.headers["Set-Cookie"].startswith("session=")
    assert "Expires=" in response.headers["Set-Cookie"]
    assert response.headers["Vary"] == "Cookie"
    assert client.get("/peek").text == "1"


def test_untouched_session_cookie_is_not_sent_back() -> None:
    client = counter_app().test_client()
    client.get("/")
    response = client.get("/none")
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_session_transaction_edits_what_the_client_sends() -> None:
    client = counter_app().test_client()
    with client.session_transaction() as sess:
        sess["n"] = 41
    assert client.get("/").text == "42"
    with client.session_transaction() as sess:
        assert sess["n"] == 42


class DictSessionInterface(SessionInterface):
    """Sessions kept server-side in a dict; the cookie holds only an id."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}

    def open_session(self, app: Any, request: Any) -> SecureCookieSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        session = SecureCookieSession(self.store.get(sid, {}))
        session.sid = sid if sid in self.store else None  # type: ignore[attr-defined]
        return session

    def save_session(self, app: Any, session: Any, response: Any) -> None:
        if not session.modified:
            return
        sid = session.sid or f"sid{len(self.store)}"
        self.store[sid] = dict(session)
        response.set_cookie(
            self.get_cookie_name(app),
            sid,
            httponly=self.get_cookie_httponly(app),
            path=self.get_cookie_path(app),
        )


def test_custom_session_interface() -> None:
    app = counter_app(SECRET_KEY=None)
    interface = DictSessionInterface()
    app.session_interface = interface
    client = app.test_client()
    assert client.get("/").text == "1"
    assert client.get("/").text == "2"
    assert client.get_cookie("session").value == "sid0"
    assert interface.store == {"sid0": {"n": 2}}
    assert counter_app().session_interface is not interface


@pytest.mark.parametrize(
    "value",
    [
        {"user": "ada", "cart": [3, (1, b"x")], "_permanent": True, "a": "é"},
        {"big": "abc" * 200, "n": 1},  # compressed: the payload starts with "."
    ],
)
def test_cookie_bytes_are_flasks(
    monkeypatch: pytest.MonkeyPatch, value: dict[str, Any]
) -> None:
    # Same key, same session, same second: the same Set-Cookie value as Flask's.
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.5)
    kapp = make_app()
    fapp = flask.Flask(__name__)
    fapp.config.update(SECRET_KEY=KEY, SESSION_COOKIE_SAMESITE="Lax")
    cookies = []
    for app, sess in ((kapp, session), (fapp, flask.session)):
        app.add_url_rule("/", "set", lambda sess=sess: sess.update(value) or "ok")
        header = app.test_client().get("/").headers["Set-Cookie"]
        cookies.append(header.split(";")[0])
    assert cookies[0] == cookies[1]


def test_a_subclass_signing_serializer_is_used() -> None:
    class Salted(SecureCookieSessionInterface):
        def get_signing_serializer(self, app: Any) -> Any:
            return URLSafeTimedSerializer(app.secret_key, salt="my-salt")

    app = make_app()
    app.session_interface = Salted()
    app.add_url_rule("/", "set", lambda: session.update(a=1) or "ok")
    value = app.test_client().get("/").headers["Set-Cookie"].split(";")[0][8:]
    assert URLSafeTimedSerializer(KEY, salt="my-salt").loads(value) == {"a": 1}


@given(
    st.lists(
        st.sampled_from(
            ["session", "s", "=", ";", " ", "\t", '"', "a", ".", "\\", "\x0b", "\xc3"]
        ),
        max_size=12,
    ).map("".join)
)
def test_the_session_cookie_is_found_as_request_cookies_finds_it(raw: str) -> None:
    from kolba.sessions import _cookie_value
    from kolba.wrappers import Request

    expected = Request({"HTTP_COOKIE": raw}).cookies.get("session")
    assert _cookie_value(Request({"HTTP_COOKIE": raw}), "session") == expected


class CountingInterface(SessionInterface):
    """Records each open and save (with the path) and marks the response,
    for comparing with what Flask calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def open_session(self, app: Any, request_: Any) -> SecureCookieSession:
        self.calls.append(("open", request.path))
        return SecureCookieSession()

    def save_session(self, app: Any, session_: Any, response: Any) -> None:
        self.calls.append(("save", request.path))
        response.headers["X-Saved"] = "yes"


def counting_app(interface: SessionInterface, **config: Any) -> Flask:
    app = counter_app(**config)
    app.session_interface = interface

    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    @app.route("/async")
    async def untouched_async() -> str:
        return "untouched"

    return app


@pytest.mark.parametrize("trusted_hosts", [None, ["localhost"]])
@pytest.mark.parametrize("path", ["/none", "/async", "/missing", "/boom"])
def test_an_interface_not_kolbas_is_opened_and_saved_on_every_request(
    path: str, trusted_hosts: list[str] | None
) -> None:
    """As Flask (3.1 recorded the same): a session interface of the app's own
    is opened when the request context is pushed, before the
    ``before_request`` functions, and saved after every response (404 and 500
    too), even when nothing used the session and no cookie came."""
    interface = CountingInterface()
    app = counting_app(interface, TESTING=False, TRUSTED_HOSTS=trusted_hosts)
    app.before_request(lambda: interface.calls.append(("before", request.path)))
    response = app.test_client().get(path)
    assert response.status_code == {"/missing": 404, "/boom": 500}.get(path, 200)
    assert response.headers["X-Saved"] == "yes"
    assert interface.calls == [("open", path), ("before", path), ("save", path)]


class FailingInterface(SecureCookieSessionInterface):
    """kolba's cookie interface whose store is down."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def open_session(self, app: Any, request_: Any) -> SecureCookieSession:
        self.calls.append(("open", request.path))
        raise LookupError("the session store is down")


@pytest.mark.parametrize("cookie", [None, "x"])
@pytest.mark.parametrize("path", ["/none", "/async", "/missing"])
def test_an_open_session_error_is_the_push_error_as_in_flask(
    path: str, cookie: str | None
) -> None:
    """As Flask 3.1 answered: an interface's open_session that raises fails the
    push, not the view: the 500 answers (the error's own handler is not
    asked), teardown gets the error, and the session is not opened again."""
    interface = FailingInterface()
    app = counting_app(interface, TESTING=False)
    app.errorhandler(LookupError)(lambda e: ("handled", 418))
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie)
    response = client.get(path)
    assert response.status_code == 500
    assert interface.calls == [("open", path)]
    assert [type(e) for e in torn] == [LookupError]


def test_an_interface_not_kolbas_is_opened_when_a_context_is_pushed() -> None:
    interface = CountingInterface()
    app = counting_app(interface)
    with app.test_request_context("/x"):
        assert interface.calls == [("open", "/x")]
    app.test_client().get("/none")  # and once the app serves
    with app.test_request_context("/y"):
        pass
    assert interface.calls[-1] == ("open", "/y")


def test_an_interface_set_while_serving_is_opened_on_every_request() -> None:
    app = counter_app()
    client = app.test_client()
    assert "X-Saved" not in client.get("/none").headers
    interface = app.session_interface = CountingInterface()
    assert client.get("/none").headers["X-Saved"] == "yes"
    assert interface.calls == [("open", "/none"), ("save", "/none")]


def test_a_subclass_of_kolbas_interface_is_saved_as_flask_saves_it() -> None:
    """A subclass may decide otherwise when to send the cookie: with the
    cookie of a session the view never reads, and SESSION_REFRESH_EACH_REQUEST
    off, Flask still opens and saves it, and this one sends it again."""

    class Always(SecureCookieSessionInterface):
        def should_set_cookie(self, app: Any, session: Any) -> bool:
            return True

    app = counter_app(SESSION_REFRESH_EACH_REQUEST=False)
    app.session_interface = Always()
    client = app.test_client()
    client.get("/")
    assert client.get("/none").headers["Set-Cookie"].startswith("session=")
    assert client.get("/peek").text == "1"


def test_a_method_set_on_kolbas_interface_is_called_as_flask_calls_it() -> None:
    app = counter_app()
    app.session_interface = SecureCookieSessionInterface()
    saves: list[str] = []
    app.session_interface.save_session = (  # type: ignore[method-assign]
        lambda app, session, response: saves.append(request.path)
    )
    app.test_client().get("/none")
    assert saves == ["/none"]


def test_kolbas_own_interfaces_open_sessions_on_first_use() -> None:
    from kolba.session_stores import SQLiteSessionStore, StoreSessionInterface
    from kolba.sessions import DefaultSessionInterface, opens_lazily

    store = StoreSessionInterface(SQLiteSessionStore(":memory:"))
    for interface in (DefaultSessionInterface(), SecureCookieSessionInterface(), store):
        assert opens_lazily(interface)
    assert not opens_lazily(CountingInterface())
    assert not opens_lazily(type("Sub", (SecureCookieSessionInterface,), {})())


def _quiet_app(framework: Any, view: Any) -> Any:
    """An app of ``framework`` (kolba or Flask) whose session interface is
    another's: its session notes no reads (``accessed`` stays False unless
    the request context sets it), and saving varies on Cookie when the
    session was accessed, as Flask's and Flask-Session's interfaces do."""

    class Quiet(dict[str, Any], framework.sessions.SessionMixin):  # type: ignore[misc]
        accessed = modified = permanent = False

    class QuietInterface(framework.sessions.SessionInterface):  # type: ignore[misc]
        def open_session(self, app: Any, request: Any) -> Any:
            return Quiet(a=1)

        def save_session(self, app: Any, session: Any, response: Any) -> None:
            if session.accessed:
                response.vary.add("Cookie")

    app = framework.Flask(__name__)
    app.session_interface = QuietInterface()
    app.add_url_rule("/", "view", view)
    return app


@pytest.mark.parametrize(
    "use",
    [
        lambda s: str(sorted(s.items())),
        lambda s: str("a" in s),
        lambda s: str(len(s)),
        lambda s: str(list(s)),
        lambda s: str(s.permanent),
    ],
    ids=["items", "in", "len", "iter", "permanent"],
)
def test_a_foreign_session_used_through_the_proxy_is_accessed(use: Any) -> None:
    # Flask marks the session accessed whenever the request context hands it
    # out (the session proxy): an interface whose session notes no reads
    # still gets Vary: Cookie.
    answers = []
    for framework, sess in ((kolba, session), (flask, flask.session)):
        app = _quiet_app(framework, lambda sess=sess: use(sess))
        response = app.test_client().get("/")
        answers.append((response.text, response.headers.get("Vary")))
    assert answers[0] == answers[1]
    assert answers[0][1] == "Cookie"


def test_a_foreign_session_left_alone_is_not_accessed() -> None:
    for framework in (kolba, flask):
        response = _quiet_app(framework, lambda: "plain").test_client().get("/")
        assert "Vary" not in response.headers


class Boom(BaseConverter):
    def to_python(self, value: str) -> Any:
        raise LookupError("a converter's own error")


def seeing_app(interface: Any, log: list[tuple[Any, ...]], **config: Any) -> Flask:
    """An app whose session ``interface`` records in ``log`` what its
    open_session sees of the request's match, as its hooks do."""
    app = make_app(TESTING=False, **config)
    app.session_interface = interface
    app.url_map.converters["boom"] = Boom
    app.before_request(
        lambda: log.append(("before", request.endpoint, request.view_args))
    )
    app.errorhandler(LookupError)(lambda e: ("handled", 418))
    app.add_url_rule("/s/<int:n>", "in_sync", lambda n: "sync")
    app.add_url_rule("/slash/", "slash", lambda: "slash")
    app.add_url_rule("/post", "post", lambda: "post", methods=["POST"])
    app.add_url_rule("/c/<boom:x>", "boom", lambda x: "never")

    @app.route("/a/<int:n>")
    async def in_async(n: int) -> str:
        return "async"

    return app


def seen(log: list[tuple[Any, ...]]) -> None:
    log.append(
        (
            "open",
            request.endpoint,
            request.url_rule,
            request.view_args,
            request.routing_exception,
        )
    )


class SeeingInterface(CountingInterface):
    """An interface of the app's own (opened off the loop under ASGI)."""

    def __init__(self, log: list[tuple[Any, ...]]) -> None:
        super().__init__()
        self.log = log

    def open_session(self, app: Any, request_: Any) -> SecureCookieSession:
        seen(self.log)
        return super().open_session(app, request_)


class SeeingCookieInterface(SecureCookieSessionInterface):
    """A subclass of kolba's cookie interface (opened on the loop under ASGI)."""

    def __init__(self, log: list[tuple[Any, ...]]) -> None:
        self.log = log

    def open_session(self, app: Any, request_: Any) -> Any:
        seen(self.log)
        return super().open_session(app, request_)


@pytest.mark.parametrize("cookie", [None, "x"])
@pytest.mark.parametrize("interface", [SeeingInterface, SeeingCookieInterface])
@pytest.mark.parametrize("trusted_hosts", [None, ["localhost"]])
@pytest.mark.parametrize(
    ("path", "status", "before"),
    [
        ("/s/1", 200, [("before", "in_sync", {"n": 1})]),
        ("/a/1", 200, [("before", "in_async", {"n": 1})]),
        ("/missing", 404, [("before", None, None)]),
        ("/slash", 308, [("before", None, None)]),
        ("/post", 405, [("before", None, None)]),
        ("/c/1", 500, []),  # the converter's error fails the push: no hook, no handler
    ],
)
def test_an_interface_not_kolbas_opens_the_session_before_matching(
    interface: type,
    trusted_hosts: list[str] | None,
    path: str,
    status: int,
    before: Any,
    cookie: str | None,
) -> None:
    """As Flask 3.1 gave: the push opens the session before it matches the
    URL, so that open_session sees no endpoint, rule, arguments or routing
    error (and a converter's error comes after it); the hooks see the match.
    Under ASGI too, whose driver matches first to choose where the view runs."""
    log: list[tuple[Any, ...]] = []
    app = seeing_app(interface(log), log, TRUSTED_HOSTS=trusted_hosts)
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie)
    assert client.get(path).status_code == status
    assert log == [("open", None, None, None, None), *before]


@dataclass
class Point:
    x: int
    y: int


def provider_values_app(fw: Any) -> Any:
    """A Flask or kolba app that keeps values only its JSON provider writes:
    Decimal, date, a dataclass, and a set (the app's own default())."""
    app = fw.Flask(__name__)
    app.config.update(SECRET_KEY=KEY, TESTING=True)
    default = app.json.default
    app.json.default = lambda o: sorted(o) if isinstance(o, set) else default(o)

    @app.route("/set")
    def set_() -> str:
        fw.session.update(
            d=Decimal("1.5"), day=date(2020, 1, 1), p=Point(1, 2), s={2, 1}
        )
        fw.flash(Decimal("2.5"))
        return ""

    @app.route("/get")
    def get() -> Any:
        return {"session": dict(fw.session), "flashed": fw.get_flashed_messages()}

    return app


PROVIDER_VALUES_READ = {
    "session": {
        "d": "1.5",
        "day": "Wed, 01 Jan 2020 00:00:00 GMT",
        "p": {"x": 1, "y": 2},
        "s": [1, 2],
        "_flashes": [["message", "2.5"]],
    },
    "flashed": ["2.5"],
}


def test_values_the_json_provider_writes_are_kept_as_flask_keeps_them() -> None:
    client = provider_values_app(kolba).test_client()
    fclient = provider_values_app(flask).test_client()
    client.get("/set")
    fclient.get("/set")
    cookie, fcookie = client.get_cookie("session"), fclient.get_cookie("session")
    assert cookie is not None and fcookie is not None
    # The same payload (the part before the timestamp and signature).
    assert cookie.value.rsplit(".", 2)[0] == fcookie.value.rsplit(".", 2)[0]
    assert client.get("/get").json == PROVIDER_VALUES_READ
    assert fclient.get("/get").json == PROVIDER_VALUES_READ


def test_session_transaction_keeps_values_the_json_provider_writes() -> None:
    client = provider_values_app(kolba).test_client()
    with client.session_transaction() as sess:
        sess["d"] = Decimal("3")
        sess["s"] = {1}
    assert client.get("/get").json["session"] == {"d": "3", "s": [1]}



def test_open_session_takes_the_request_proxy() -> None:
    # Extensions call the interface with kolba.request (the proxy), as Flask
    # allows: it was an AttributeError (the proxy's type has no cookies).
    app = Flask(__name__)
    app.secret_key = "a long enough secret key for the session " * 2
    with app.test_request_context():
        session["k"] = "v"
        response = app.response_class("x")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"].split(";")[0]
    with app.test_request_context(headers={"Cookie": f"other=1; {cookie}"}):
        opened = app.session_interface.open_session(app, request)
        assert opened is not None and dict(opened) == {"k": "v"}
