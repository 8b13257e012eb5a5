"""A request of a user still running when another of the same user logs
out, moves the session to a new id, or when the session expires (real SQLite
file, real Redis): its late save must not make the revoked id live again,
and an emptied session keeps what a concurrent request added."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
import redis
from test_session_stores import (  # noqa: F401
    cookie_of,
    make_app,
    redis_server,
    store_url,
    with_cookie,
)

from kolba import Flask, session
from kolba.session_stores import SQLiteSessionStore, store_from_config
from kolba.sessions import session_store


class Late:
    """``/late`` on ``app`` (added before it serves). :meth:`start` runs a
    request of a cookie to it in a thread: its view loads the session, waits
    until :meth:`finish`, then calls ``then()``."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.loaded = threading.Event()
        self.gate = threading.Event()
        self.then: Callable[[], Any] = lambda: None
        self.response: Any = None

        def late() -> str:
            dict(session)  # loaded now
            self.loaded.set()
            assert self.gate.wait(10)
            self.then()
            return "late"

        app.add_url_rule("/late", view_func=late)

    def start(self, cookie: str, then: Callable[[], Any]) -> Late:
        self.then = then
        client = with_cookie(self.app, cookie)
        self.thread = threading.Thread(target=self._run, args=(client,))
        self.thread.start()
        assert self.loaded.wait(10)
        return self

    def _run(self, client: Any) -> None:
        self.response = client.get("/late")

    def finish(self) -> Any:
        self.gate.set()
        self.thread.join(10)
        assert self.response is not None and self.response.status_code == 200
        return self.response


def refresh_user() -> None:
    """What a view reloading the logged-in user writes: the user again."""
    user = session["user"]
    session["user"] = user + "!"


def sid_of(cookie: str) -> str:
    return cookie.rpartition(".")[0]


@pytest.mark.parametrize("permanent", [False, True])
def test_a_request_in_flight_at_logout_does_not_log_the_cookie_in_again(
    store_url: str,  # noqa: F811
    permanent: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(store_url)
    late = Late(app)
    client = app.test_client()
    if permanent:
        client.get("/permanent")
    cookie = cookie_of(client.get("/login/ada"))
    assert cookie
    late.start(cookie, refresh_user)
    assert "session=;" in client.get("/logout").headers["Set-Cookie"]
    with caplog.at_level(logging.INFO):
        response = late.finish()
    # the late change is dropped: no cookie (not even the old one again)
    assert "Set-Cookie" not in response.headers
    assert "A session's changes were dropped" in caplog.text
    assert with_cookie(app, cookie).get("/get").json == {}  # a copy: logged out
    assert session_store(app).load(sid_of(cookie)) is None


def test_a_request_in_flight_at_a_new_id_does_not_keep_the_old_one(
    store_url: str,  # noqa: F811
) -> None:
    app = make_app(store_url)
    late = Late(app)
    client = app.test_client()
    old = cookie_of(client.get("/set/user/ada"))
    assert old
    late.start(old, refresh_user)
    new = cookie_of(client.get("/login/ada"))  # regenerate(): a new id
    assert new and sid_of(new) != sid_of(old)
    assert "Set-Cookie" not in late.finish().headers
    assert with_cookie(app, old).get("/get").json == {}
    assert client.get("/get").json == {"user": "ada"}


def test_a_request_in_flight_at_logout_gets_no_new_id_with_the_old_login(
    store_url: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The late request moves the session to a new id (regenerate(), or
    # Flask-Login's remember-me setting _user_id): the logged-in data it
    # loaded would be live again under that id, for whoever sent it.
    app = make_app(store_url)
    late = Late(app)
    client = app.test_client()
    cookie = cookie_of(client.get("/login/ada"))
    assert cookie
    late.start(cookie, lambda: session.regenerate())
    client.get("/logout")
    with caplog.at_level(logging.INFO):
        response = late.finish()
    assert "Set-Cookie" not in response.headers
    assert "A session's changes were dropped" in caplog.text
    if store_url.startswith("redis"):
        assert redis.Redis.from_url(store_url).dbsize() == 0
    else:
        with closing(sqlite3.connect(store_url[len("sqlite:///") :])) as db, db:
            assert db.execute("SELECT COUNT(*) FROM kolba_sessions").fetchone() == (0,)


def test_what_a_request_sets_after_clear_is_kept_whatever_happened_meanwhile(
    store_url: str,  # noqa: F811
) -> None:
    # clear() then a value (the "you are logged out" flash): this request's
    # own data, kept under a new id though another request cleared the
    # session meanwhile.
    app = make_app(store_url)
    late = Late(app)
    client = app.test_client()
    cookie = cookie_of(client.get("/login/ada"))
    assert cookie
    late.start(cookie, lambda: (session.clear(), session.update(bye="1")))
    client.get("/logout")
    new = cookie_of(late.finish())
    assert new and sid_of(new) != sid_of(cookie)
    assert with_cookie(app, new).get("/get").json == {"bye": "1"}


def test_a_session_expiring_while_a_request_runs_stays_expired(
    store_url: str,  # noqa: F811
) -> None:
    app = make_app(store_url, PERMANENT_SESSION_LIFETIME=1)
    late = Late(app)
    client = app.test_client()
    client.get("/set/cart/3")
    cookie = cookie_of(client.get("/set/user/ada"))
    assert cookie is None  # (the same id)
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    late.start(cookie, refresh_user)
    time.sleep(1.3)  # its record expires meanwhile
    assert "Set-Cookie" not in late.finish().headers
    # neither the late change nor (SQLite: its rows stay until removed)
    # the expired values come back
    assert client.get("/get").json == {}
    assert session_store(app).load(sid_of(cookie)) is None


def test_a_session_emptied_key_by_key_keeps_a_key_added_meanwhile(
    store_url: str,  # noqa: F811
) -> None:
    app = make_app(store_url)
    late = Late(app)
    client = app.test_client()
    cookie = cookie_of(client.get("/set/a/1"))
    assert cookie
    late.start(cookie, lambda: session.pop("a"))
    client.get("/set/b/2")  # another request of the user adds a key
    response = late.finish()
    # the late request emptied its session, but the key added stays, and so
    # does the cookie that finds it
    assert "Set-Cookie" not in response.headers
    assert client.get("/get").json == {"b": "2"}


def test_a_session_emptied_alone_is_removed_with_its_cookie(
    store_url: str,  # noqa: F811
) -> None:
    app = make_app(store_url)
    client = app.test_client()
    cookie = cookie_of(client.get("/set/a/1"))
    assert cookie
    response = client.get("/pop/a")
    assert "session=;" in response.headers["Set-Cookie"]  # deleted
    assert session_store(app).load(sid_of(cookie)) is None


def test_clear_removes_what_a_concurrent_request_added(
    store_url: str,  # noqa: F811
) -> None:
    # clear() is a logout: the record goes whole, with the keys another
    # request of the user added after clear()'s request loaded it.
    app = make_app(store_url)
    late = Late(app)
    client = app.test_client()
    cookie = cookie_of(client.get("/set/a/1"))
    assert cookie
    late.start(cookie, lambda: session.clear())
    client.get("/set/b/2")
    assert "session=;" in late.finish().headers["Set-Cookie"]
    assert with_cookie(app, cookie).get("/get").json == {}
    assert session_store(app).load(sid_of(cookie)) is None


def test_store_save_and_create(store_url: str, tmp_path: Any) -> None:  # noqa: F811
    # The store API itself: create makes a record, save changes only one
    # that is there and says whether it is there after.
    store = store_from_config(Flask("s", instance_path=str(tmp_path)), store_url)
    assert store.save("gone", {"a": '"1"'}, (), 60) is False
    assert store.load("gone") is None
    store.create("s1", {"a": '"1"', "b": '"2"'}, 60)
    assert store.save("s1", {"c": '"3"'}, ["a"], 60) is True
    assert store.load("s1") == {"b": '"2"', "c": '"3"'}
    assert store.save("s1", {}, ["b", "c"], 60) is False  # emptied: gone
    assert store.load("s1") is None
    store.create("s2", {"a": '"1"'}, 60)
    assert store.delete("s2") is True
    assert store.delete("s2") is False
    store.touch("s2", 60)  # a touch makes nothing again either
    assert store.save("s2", {"a": '"2"'}, (), 60) is False
    assert store.load("s2") is None


def test_sqlite_touch_does_not_renew_an_expired_record(tmp_path: Any) -> None:
    store = SQLiteSessionStore(str(tmp_path / "s.db"))
    store.create("s", {"a": '"1"'}, 1)
    store.create("t", {"a": '"1"'}, 1)
    time.sleep(1.1)
    store.touch("s", 60)
    assert store.load("s") is None
    assert store.delete("t") is False  # expired: it was not there
    with closing(sqlite3.connect(tmp_path / "s.db")) as db, db:  # (its rows gone too)
        assert db.execute("SELECT COUNT(*) FROM kolba_sessions").fetchone() == (0,)


class OldStore:
    """A store written to the protocol before ``create``."""

    def load(self, sid: str) -> None:
        return None

    def save(self, *args: Any) -> None:
        pass

    def delete(self, sid: str) -> None:
        pass

    def touch(self, sid: str, lifetime: int) -> None:
        pass

    def cleanup(self) -> int:
        return 0


def test_a_store_without_create_is_named_as_such() -> None:
    with pytest.raises(ValueError, match="it has no create method"):
        store_from_config(Flask("s"), OldStore())
