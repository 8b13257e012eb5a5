"""Server-side sessions (``SESSION_STORE``) on real SQLite files and a real Redis.

The Redis fixture starts ``redis-server`` (Debian's package, which ``.ci/run``
installs) on 127.0.0.1 on a free port, without persistence, and stops it by
its pid. The two-worker tests run the app under gunicorn.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date, datetime, timezone
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import redis
from click.testing import CliRunner
from markupsafe import Markup
from werkzeug.serving import make_ssl_devcert

from kolba import Flask, get_flashed_messages, send_file, session, websocket
from kolba.cli import cli
from kolba.session_stores import (
    RedisSessionStore,
    SessionStore,
    SessionStoreUnavailable,
    SQLiteSessionStore,
    store_from_config,
)
from kolba.sessions import session_store
from kolba.testing import ASGIClient, KolbaClient

KEY = "a-secret-key-for-store-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server on 127.0.0.1 with no persistence, stopped by its pid;
    with ``tls`` (certificate and key files), it speaks TLS only."""

    def __init__(self, tls: tuple[str, str] | None = None) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail(
                "redis-server is not installed: apt-get install redis-server"
                " (.ci/run installs it)"
            )
        self.port = free_port()
        ports = ["--port", str(self.port)]
        if tls is not None:
            ports = ["--port", "0", "--tls-port", str(self.port)]
            ports += ["--tls-cert-file", tls[0], "--tls-key-file", tls[1]]
            ports += ["--tls-auth-clients", "no"]
        self.process = subprocess.Popen(
            ["redis-server", *ports, "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(
            port=self.port, ssl=tls is not None, ssl_ca_certs=tls and tls[0]
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/sessions.db"
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server.url


def make_app(store: Any, **config: Any) -> Flask:
    app = Flask("store_app")
    app.config.update({"SECRET_KEY": KEY, "SESSION_STORE": store, **config})

    @app.route("/set/<key>/<value>")
    def set_(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.route("/get")
    def get() -> dict[str, Any]:
        return dict(session)

    @app.route("/pop/<key>")
    def pop(key: str) -> str:
        session.pop(key, None)
        return "popped"

    @app.route("/types")
    def types() -> str:
        session.update(
            when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            raw=b"\x00\xff",
            pair=(1, "two"),
            id=UUID(int=7),
            html=Markup("<b>hi</b>"),
            nested={"list": [1, (2, 3)]},
        )
        return "stored"

    @app.route("/check-types")
    def check_types() -> str:
        assert session["when"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        assert session["raw"] == b"\x00\xff"
        assert session["pair"] == (1, "two")
        assert session["id"] == UUID(int=7)
        assert session["html"] == Markup("<b>hi</b>")
        assert session["nested"] == {"list": [1, (2, 3)]}
        return "same"

    @app.route("/login/<user>")
    def login(user: str) -> str:
        session["user"] = user
        session.regenerate()
        return "in"

    @app.route("/logout")
    def logout() -> str:
        session.clear()
        return "out"

    @app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["p"] = 1
        return "permanent"

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    # async views (served over ASGI by the tests that use them)
    @app.route("/async/set/<key>/<value>")
    async def async_set(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.route("/async/get")
    async def async_get() -> dict[str, Any]:
        return dict(session)

    @app.route("/async/plain")
    async def async_plain() -> str:
        return "plain"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(repr(dict(session)))

    return app


def cookie_of(response: Any) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        morsel = SimpleCookie(header)["session"]
        return morsel.value
    return None


def with_cookie(app: Flask, value: str) -> KolbaClient:
    client = app.test_client()
    client.set_cookie("session", value)
    return client


# -- the cookie and the data ------


def test_values_round_trip_as_tagged_json(store_url: str) -> None:
    app = make_app(store_url)
    client = app.test_client()
    response = client.get("/types")
    value = cookie_of(response)
    assert value is not None
    sid, _, signature = value.rpartition(".")
    # 256 random bits and their signature, nothing else: not the data.
    assert len(sid) == 43 and len(signature) == 43
    assert client.get("/check-types").text == "same"

    stored = session_store(app).load(sid)
    assert json.loads(stored["pair"]) == {" t": [1, "two"]}  # JSON, not pickle
    assert json.loads(stored["raw"]) == {" b": "AP8="}


def test_untouched_or_empty_session_never_talks_to_the_store(tmp_path: Path) -> None:
    app = make_app("sqlite", TESTING=True)
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    assert client.get("/plain").headers.get("Set-Cookie") is None
    response = client.get("/get")
    assert response.json == {}
    assert response.headers.get("Set-Cookie") is None
    assert not (tmp_path / "instance").exists()  # not even created

    client.get("/set/a/1")
    assert (tmp_path / "instance" / "sessions.sqlite3").exists()


class CountingStore:
    """A custom store (any object with the protocol's methods) that counts the
    calls it passes on to a real SQLite store."""

    def __init__(self, path: str) -> None:
        self.inner = SQLiteSessionStore(path)
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.inner, name)

    def load(self, sid: str) -> dict[str, str] | None:
        self.calls.append("load")
        return self.inner.load(sid)

    def create(self, *args: Any) -> None:
        self.calls.append("create")
        self.inner.create(*args)

    def save(self, *args: Any) -> bool:
        self.calls.append("save")
        return self.inner.save(*args)

    def delete(self, sid: str) -> None:
        self.calls.append("delete")
        self.inner.delete(sid)

    def touch(self, sid: str, lifetime: int) -> None:
        self.calls.append("touch")
        self.inner.touch(sid, lifetime)

    def cleanup(self) -> int:
        return self.inner.cleanup()


def test_a_store_object_is_used_as_is(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path / "s.db"))
    assert isinstance(store, SessionStore)
    app = make_app(store, SESSION_REFRESH_EACH_REQUEST=False)
    client = app.test_client()
    client.get("/set/a/1")
    assert store.calls == ["create"]
    client.get("/plain")  # a cookie came, but the view never used the session
    assert store.calls == ["create"]
    # read, unchanged: loaded; its expiry not renewed a moment after it was
    # written (only once that moves it by more than 1% of the lifetime)
    client.get("/get")
    assert store.calls == ["create", "load"]
    client.get("/set/a/1")  # the same value again: nothing to write
    assert store.calls == ["create", "load", "load"]
    client.get("/set/a/2")  # a change: written
    assert store.calls[-2:] == ["load", "save"]


def test_a_session_is_renewed_when_used_not_on_every_request(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path / "s.db"))
    # SESSION_REFRESH_EACH_REQUEST as by default
    app = make_app(store, PERMANENT_SESSION_LIFETIME=2)
    client = app.test_client()
    client.get("/permanent")
    store.calls.clear()
    response = client.get("/plain")  # the cookie came, the view never used it
    assert store.calls == []
    assert "Set-Cookie" not in response.headers
    time.sleep(0.1)  # (the expiry moves by more than 1% of the lifetime)
    response = client.get("/get")  # used: loaded, renewed, cookie sent again
    assert store.calls == ["load", "touch"]
    assert cookie_of(response)


def test_only_changed_keys_are_written(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path / "s.db"))
    app = make_app(store)
    client = app.test_client()
    client.get("/set/a/1")
    client.get("/set/b/2")
    saved: list[tuple[Any, ...]] = []
    store.inner.save = lambda *args: saved.append(args)  # type: ignore[method-assign]
    response = client.get("/set/b/3")
    assert [(changed, list(deleted)) for _, changed, deleted, _ in saved] == [
        ({"b": '"3"'}, [])
    ]
    # Same id, a browser session: no cookie to send again.
    assert "Set-Cookie" not in response.headers


# -- regenerate, clear, tampering ------


def test_regenerate_moves_the_data_to_a_new_id(store_url: str) -> None:
    app = make_app(store_url)
    client = app.test_client()
    old = cookie_of(client.get("/set/cart/3"))
    new = cookie_of(client.get("/login/ada"))
    assert old and new and old != new
    assert client.get("/get").json == {"cart": "3", "user": "ada"}
    assert with_cookie(app, old).get("/get").json == {}  # fixation defence


def test_clear_deletes_the_record_so_a_replayed_cookie_is_empty(
    store_url: str,
) -> None:
    app = make_app(store_url)
    client = app.test_client()
    value = cookie_of(client.get("/login/ada"))
    assert value
    response = client.get("/logout")
    assert "session=;" in response.headers["Set-Cookie"]  # deleted
    assert with_cookie(app, value).get("/get").json == {}
    assert session_store(app).load(value.rpartition(".")[0]) is None


def test_a_change_of_the_user_gives_a_new_id(store_url: str) -> None:
    # Flask-Login keeps the user under "_user_id" and regenerates nothing: a
    # login, a change of user and a logout each move the session to a new id.
    app = make_app(store_url)
    client = app.test_client()
    ids = [cookie_of(client.get("/set/csrf/t"))]
    for step in ["/set/_user_id/ann", "/set/_user_id/bob", "/set/cart/3"]:
        ids.append(cookie_of(client.get(step)))
    assert ids[0] and ids[1] and ids[2] and ids[0] != ids[1] != ids[2]
    assert ids[3] is None  # another change: the same id, no cookie
    assert with_cookie(app, ids[0]).get("/get").json == {}  # the old records
    assert with_cookie(app, ids[1]).get("/get").json == {}  # are gone
    assert client.get("/get").json == {"csrf": "t", "_user_id": "bob", "cart": "3"}
    logged_out = cookie_of(client.get("/pop/_user_id"))
    assert logged_out and logged_out != ids[2]
    assert client.get("/get").json == {"csrf": "t", "cart": "3"}


def test_a_new_id_that_cannot_be_saved_keeps_the_old_record(
    redis_server: RedisServer,
) -> None:
    # A store that takes deletes but refuses writes (Redis out of memory):
    # the login is a 503, and the session's data is still there after it.
    redis.Redis.from_url(redis_server.url).flushdb()
    app = make_app(redis_server.url)
    client = app.test_client()
    client.get("/set/cart/3")
    control = redis.Redis.from_url(redis_server.url)
    control.config_set("maxmemory-policy", "noeviction")
    control.config_set("maxmemory", 1)
    try:
        assert client.get("/set/_user_id/ann").status_code == 503
    finally:
        control.config_set("maxmemory", 0)
    assert client.get("/get").json == {"cart": "3"}


def test_a_cookie_signed_with_a_fallback_key_is_signed_again(
    store_url: str,
) -> None:
    # Key rotation: a session used while the old key is a fallback moves to
    # the new one, so that dropping the old key later logs no one out.
    old = make_app(store_url, SECRET_KEY="the-old-secret-key-for-tests")
    value = cookie_of(old.test_client().get("/set/a/1"))
    assert value
    app = make_app(store_url, SECRET_KEY_FALLBACKS=["the-old-secret-key-for-tests"])
    client = with_cookie(app, value)
    assert client.get("/plain").headers.get("Set-Cookie") is None  # unused
    signed_again = cookie_of(client.get("/get"))
    assert signed_again and signed_again != value
    assert signed_again.rpartition(".")[0] == value.rpartition(".")[0]  # same id
    assert cookie_of(client.get("/get")) is None  # signed with the current key
    newest = make_app(store_url)  # the old key dropped
    assert with_cookie(newest, signed_again).get("/get").json == {"a": "1"}


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "a.b", "x" * 43 + ".bad", "é.ü", "A" * 3000],
)
def test_tampered_or_malformed_ids_give_an_empty_session(
    store_url: str, value: str
) -> None:
    app = make_app(store_url)
    response = with_cookie(app, value).get("/get")
    assert response.status_code == 200
    assert response.json == {}


def test_an_unknown_id_is_not_adopted(store_url: str) -> None:
    app = make_app(store_url)
    other = make_app(store_url, SECRET_KEY="another-secret-key-for-tests")
    forged = cookie_of(other.test_client().get("/set/a/1"))
    assert forged
    client = with_cookie(app, forged)  # a valid id format, but not our signature
    assert client.get("/get").json == {}
    new = cookie_of(client.get("/set/b/2"))
    assert new and new.rpartition(".")[0] != forged.rpartition(".")[0]


def test_a_value_the_store_cannot_read_is_dropped(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/s.db")
    client = app.test_client()
    value = cookie_of(client.get("/set/a/1"))
    assert value
    client.get("/set/b/2")
    with closing(sqlite3.connect(tmp_path / "s.db")) as db, db:
        db.execute("UPDATE kolba_sessions SET value = '{bad' WHERE key = 'a'")
    assert client.get("/get").json == {"b": "2"}


# -- expiry ------


def test_expired_sessions_are_never_loaded_and_cleanup_removes_them(
    store_url: str,
) -> None:
    app = make_app(store_url, PERMANENT_SESSION_LIFETIME=1)
    client = app.test_client()
    client.get("/permanent")
    other = app.test_client()
    other.get("/set/a/1")
    assert client.get("/get").json == {"_permanent": True, "p": 1}
    time.sleep(1.2)
    assert client.get("/get").json == {}
    result = CliRunner().invoke(
        cli, ["sessions", "cleanup"], obj=_script_info(app), catch_exceptions=False
    )
    assert result.exit_code == 0
    if store_url.startswith("sqlite"):
        # The expired one read above was removed then; cleanup takes the other.
        assert result.output == "Removed 1 expired sessions.\n"
        with closing(sqlite3.connect(store_url[len("sqlite:///") :])) as db:
            assert db.execute("SELECT COUNT(*) FROM kolba_sessions").fetchone() == (0,)
    else:
        assert result.output == "Removed 0 expired sessions.\n"  # Redis's own TTL
        assert redis.Redis.from_url(store_url).dbsize() == 0


def _script_info(app: Flask) -> Any:
    from kolba.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_cleanup_without_a_store_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["sessions", "cleanup"], obj=_script_info(make_app(None))
    )
    assert result.exit_code == 2
    assert "SESSION_STORE is not set" in result.output


def test_activity_keeps_a_browser_session_alive(store_url: str) -> None:
    app = make_app(store_url, PERMANENT_SESSION_LIFETIME=1)
    client = app.test_client()
    response = client.get("/set/a/1")
    assert "Expires" not in response.headers["Set-Cookie"]  # a browser session
    for _ in range(3):  # 1.5 s in all, longer than the lifetime
        time.sleep(0.5)
        assert client.get("/get").json == {"a": "1"}
    time.sleep(1.2)
    assert client.get("/get").json == {}


def test_permanent_session_cookie_and_record_share_the_lifetime(
    redis_server: RedisServer,
) -> None:
    redis.Redis.from_url(redis_server.url).flushdb()
    app = make_app(redis_server.url, PERMANENT_SESSION_LIFETIME=600)
    client = app.test_client()
    response = client.get("/permanent")
    assert "Expires=" in response.headers["Set-Cookie"]
    (key,) = redis.Redis.from_url(redis_server.url).keys()
    assert 590 < redis.Redis.from_url(redis_server.url).ttl(key) <= 600
    # Renewed on each request that uses it (SESSION_REFRESH_EACH_REQUEST):
    # cookie re-sent; a request that does not use it leaves both alone.
    assert "Set-Cookie" not in client.get("/plain").headers
    assert "Expires=" in client.get("/get").headers["Set-Cookie"]


def test_permanent_session_renewal_follows_refresh_each_request(
    store_url: str,
) -> None:
    # PERMANENT_SESSION_LIFETIME=2: a request that uses the session at 1.2 s
    # renews it (another 2 s) only with SESSION_REFRESH_EACH_REQUEST; without,
    # it ends 2 s after it was written, as its cookie does, and no cookie
    # is sent again. (Both settings at once: one wait.)
    clients = {
        refresh: make_app(
            store_url,
            PERMANENT_SESSION_LIFETIME=2,
            SESSION_REFRESH_EACH_REQUEST=refresh,
        ).test_client()
        for refresh in (True, False)
    }
    for client in clients.values():
        client.get("/permanent")
    time.sleep(1.2)
    for refresh, client in clients.items():
        response = client.get("/get")
        assert response.json == {"_permanent": True, "p": 1}
        assert ("Set-Cookie" in response.headers) is refresh
    time.sleep(1.2)
    assert clients[True].get("/get").json == {"_permanent": True, "p": 1}
    assert clients[False].get("/get").json == {}


# -- concurrency and processes ------


def test_concurrent_requests_changing_different_keys_keep_both(
    store_url: str,
) -> None:
    app = make_app(store_url)
    barrier = threading.Barrier(2, timeout=10)

    @app.route("/both/<key>")
    def both(key: str) -> str:
        dict(session)  # loaded by both requests before either saves
        barrier.wait()
        session[key] = "set"
        return "ok"

    value = cookie_of(app.test_client().get("/set/start/1"))
    assert value
    threads = [
        threading.Thread(target=with_cookie(app, value).get, args=(f"/both/{k}",))
        for k in ("left", "right")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    data = with_cookie(app, value).get("/get").json
    assert data == {"start": "1", "left": "set", "right": "set"}


GUNICORN_APP = """
import os
import time

from kolba import Flask, session

app = Flask(__name__)
app.config.update(SECRET_KEY="{key}", SESSION_STORE=os.environ["STORE"])


@app.route("/set/<k>/<v>")
def set_(k, v):
    session[k] = v
    return str(os.getpid())


@app.route("/get")
def get():
    time.sleep(0.05)  # keeps a worker busy, so that the other one answers too
    return {{"pid": os.getpid(), "data": dict(session)}}
"""


def _http(port: int, path: str, cookie: str = "") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_two_gunicorn_workers_share_the_sessions(
    store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "storeapp.py").write_text(GUNICORN_APP.format(key=KEY))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}"]
        + ["storeapp:app"],
        cwd=tmp_path,
        env={**os.environ, "STORE": store_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, _ = _http(port, "/set/a/1")
                break
            except OSError:
                assert server.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        seen: dict[int, list[Any]] = {}
        lock = threading.Lock()

        def read() -> None:
            for _ in range(10):
                _, _, body = _http(port, "/get", cookie)
                answer = json.loads(body)
                with lock:
                    seen.setdefault(answer["pid"], []).append(answer["data"])

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(seen) == 2, "one worker answered every request"
        for answers in seen.values():
            assert all(data == {"a": "1"} for data in answers)
    finally:
        server.terminate()
        server.wait(10)


# -- the store being down ------


def client_for(app: Flask, views: str) -> KolbaClient:
    """WSGI for the sync views, ASGI for the async ones (under /async)."""
    return app.test_client() if views == "" else ASGIClient(app, app.response_class)


def failing_save(
    app: Flask, server: RedisServer, views: str, answer: Callable[[], Any]
) -> Any:
    """The response to a request (to a sync view, or an async one: ``views``)
    that reads its session, stops the store's ``server``, changes the
    session, then answers ``answer()``: its save fails."""

    def stop_then_answer() -> Any:
        dict(session)
        server.stop()
        session["a"] = "2"
        return answer()

    async def async_stop_then_answer() -> Any:
        return stop_then_answer()

    app.add_url_rule("/stop-then-answer", view_func=stop_then_answer)
    app.add_url_rule("/async/stop-then-answer", view_func=async_stop_then_answer)
    client = client_for(app, views)
    client.get(f"{views}/set/a/1")
    return client.get(f"{views}/stop-then-answer")


@pytest.mark.parametrize("views", ["", "/async"])  # sync under WSGI, async: ASGI
def test_store_down_at_load_is_a_logged_503(
    views: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(f"redis://127.0.0.1:{free_port()}/0")
    client = client_for(app, views)
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.ERROR):
        response = client.get(f"{views}/get")
    assert response.status_code == 503
    assert "Traceback" not in response.text
    assert "The session store failed to load a session" in caplog.text
    # A request that does not use the session still works.
    assert client.get(f"{views}/plain").status_code == 200


@pytest.mark.parametrize("views", ["", "/async"])
def test_store_down_at_save_is_a_logged_503(
    views: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer()
    app = make_app(server.url)
    with caplog.at_level(logging.ERROR):
        response = failing_save(
            app, server, views, lambda: ("saved?", 302, {"Location": "/elsewhere"})
        )
    assert response.status_code == 503
    assert "Location" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert "The session store failed to save a session" in caplog.text
    # what failed, and where, is logged, never shown
    assert f"127.0.0.1:{server.port}" in caplog.text
    assert "127.0.0.1" not in response.text
    assert "Sessions are unavailable for a moment" in response.text


@pytest.mark.parametrize("views", ["", "/async"])
@pytest.mark.parametrize("at", ["load", "save"])
def test_store_down_answers_through_the_apps_503_handler(
    views: str, at: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer()
    app = make_app(server.url)

    @app.errorhandler(503)
    def unavailable(e: Exception) -> Any:
        return {"error": "try later"}, 503, {"Retry-After": "5"}

    with caplog.at_level(logging.ERROR):
        if at == "load":
            client = client_for(app, views)
            client.get(f"{views}/set/a/1")
            server.stop()
            response = client.get(f"{views}/get")
        else:
            response = failing_save(app, server, views, lambda: "saved?")
    assert response.status_code == 503
    assert response.get_json() == {"error": "try later"}
    assert response.headers["Retry-After"] == "5"
    assert "Set-Cookie" not in response.headers
    assert f"The session store failed to {at} a session" in caplog.text


@pytest.mark.parametrize("views", ["", "/async"])
def test_a_503_page_that_reads_the_session_is_still_a_503(
    views: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A layout showing flashed messages reads the session: while the store
    is down it reads as empty there, and a write answers 503 again."""
    app = make_app(f"redis://127.0.0.1:{free_port()}/0")

    @app.errorhandler(503)
    def unavailable(e: Exception) -> Any:
        return f"down, flashes: {get_flashed_messages()}", 503

    writes: dict[str, Callable[[], Any]] = {
        "set": lambda: session.__setitem__("a", "1"),
        # (a logout: the stored session must not seem gone while it is kept)
        "del": lambda: session.__delitem__("user"),
        "pop": lambda: session.pop("user", None),
        "popitem": lambda: session.popitem(),
    }

    @app.route("/write-after/<how>")
    def write_after(how: str) -> str:
        try:
            session.get("a")
        except SessionStoreUnavailable:
            pass
        assert "a" not in session  # (read as empty now)
        return write_first(how)

    @app.route("/write-first/<how>")
    def write_first(how: str) -> str:
        writes[how]()  # a write answers 503 (the 503 page reads it as empty)
        return "written?"

    @app.route("/async/write-after/<how>")
    async def async_write_after(how: str) -> str:
        return write_after(how)

    @app.route("/async/write-first/<how>")
    async def async_write_first(how: str) -> str:
        return write_first(how)

    client = client_for(app, views)
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.ERROR):
        # (the session's first use a write: the 503 page still reads it)
        for path in (
            "/get",
            *(f"/write-{when}/{how}" for how in writes for when in ("after", "first")),
        ):
            response = client.get(views + path)
            assert response.status_code == 503, path
            assert response.text == "down, flashes: []"


@pytest.mark.parametrize("views", ["", "/async"])
def test_a_503_at_save_keeps_the_hooks_headers_not_the_body_or_cookies(
    views: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer()
    app = make_app(server.url)
    closed: list[str] = []
    sent = tmp_path / "report.txt"
    sent.write_text("report")
    files: list[Any] = []

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        response.headers["X-Frame-Options"] = "DENY"
        response.set_cookie("csrf", "token")
        return response

    @app.errorhandler(503)
    def unavailable(e: Exception) -> Any:
        response = app.make_response(("down", 503))
        response.call_on_close(lambda: closed.append("page"))
        return response

    def send() -> Any:
        files.append(sent.open("rb"))
        response = send_file(files[0], mimetype="text/plain")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    with caplog.at_level(logging.ERROR):
        response = failing_save(app, server, views, send)
    assert (response.status_code, response.text) == (503, "down")
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Set-Cookie" not in response.headers
    assert "Cache-Control" not in response.headers
    assert files[0].closed
    response.close()  # (as a WSGI server closes what the app gave it)
    assert closed == ["page"]


def test_sqlite_file_that_cannot_be_made_is_a_503(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    app = make_app(f"sqlite:///{tmp_path}/file/sessions.db")
    response = app.test_client().get("/set/a/1")
    assert response.status_code == 503
    assert str(tmp_path) not in response.text  # (the log names the file)


def _signed_id(app: Flask) -> str:
    with app.test_request_context():
        interface = app.session_interface._store_interface(app)  # type: ignore[attr-defined]
        signer = interface._signer(app)
    return str(signer.sign("A" * 43).decode())


# -- async views under ASGI ------


class HeldStore:
    """A custom store passing its calls on to a real one; ``hold(name)`` makes
    the next such call wait, in its thread, until ``release()`` (at most 5 s,
    so a store call that blocked the event loop fails the test, not hangs it).
    The calls are logged in order, and those made on an event loop's thread."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.log: list[str] = []
        self.on_a_loop: list[str] = []
        self._held: str | None = None
        self.entered = threading.Event()
        self._release = threading.Event()

    def hold(self, name: str) -> None:
        self._held = name
        self.entered.clear()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def _call(self, name: str, *args: Any) -> Any:
        try:
            asyncio.get_running_loop()
            self.on_a_loop.append(name)
        except RuntimeError:  # not a loop's thread
            pass
        self.log.append(name)
        if self._held == name:
            self._held = None
            self.entered.set()
            self._release.wait(5)
            self.log.append(f"{name} done")
        return getattr(self.inner, name)(*args)

    def load(self, sid: str) -> dict[str, str] | None:
        return self._call("load", sid)  # type: ignore[no-any-return]

    def create(self, *args: Any) -> None:
        self._call("create", *args)

    def save(self, *args: Any) -> bool:
        return self._call("save", *args)  # type: ignore[no-any-return]

    def delete(self, sid: str) -> None:
        self._call("delete", sid)

    def touch(self, sid: str, lifetime: int) -> None:
        self._call("touch", sid, lifetime)

    def cleanup(self) -> int:
        return self.inner.cleanup()  # type: ignore[no-any-return]


async def serve(app: Flask, path: str, cookie: str = "") -> tuple[int, str, str]:
    """One HTTP request through the app's ASGI entry on the running loop:
    its status, body and the session cookie it sets."""
    headers = [(b"cookie", f"session={cookie}".encode())] if cookie else []
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": headers,
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    set_cookie = ""
    for name, value in sent[0]["headers"]:
        if name == b"set-cookie":
            set_cookie = SimpleCookie(value.decode())["session"].value
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    return status, body, set_cookie


def test_async_views_open_and_save_a_stored_session_off_the_loop(
    store_url: str, tmp_path: Path
) -> None:
    store = HeldStore(
        store_from_config(Flask("s", instance_path=str(tmp_path)), store_url)
    )
    app = make_app(store)

    async def while_held(name: str, path: str, cookie: str) -> tuple[int, str, str]:
        """Serve ``path`` while the store's ``name`` call is held, and another
        async request meanwhile: it completes before the held call does."""
        store.hold(name)
        held = asyncio.ensure_future(serve(app, path, cookie))
        assert await asyncio.to_thread(store.entered.wait, 5)
        assert await serve(app, "/async/plain") == (200, "plain", "")
        store.log.append("other request done")
        store.release()
        result = await held
        log = store.log
        assert log.index("other request done") < log.index(f"{name} done")
        return result

    async def main() -> None:
        status, _, cookie = await while_held("create", "/async/set/a/1", "")
        assert status == 200 and cookie
        assert await while_held("load", "/async/get", cookie) == (
            200,
            '{"a":"1"}\n',
            "",
        )
        await while_held("save", "/async/set/b/2", cookie)
        store.log.clear()
        assert await serve(app, "/async/get", cookie) == (
            200,
            '{"a":"1","b":"2"}\n',
            "",
        )
        assert store.log == ["load"]  # read (renewed later: see _renew_expiry)
        store.log.clear()
        # No cookie: the store is never asked. A cookie but an async view that
        # does not touch the session: opened ahead (off the loop), not saved.
        assert await serve(app, "/async/get") == (200, "{}\n", "")
        assert store.log == []
        await serve(app, "/async/plain", cookie)
        assert store.log == ["load"]

    asyncio.run(main())
    client = ASGIClient(app, app.response_class)
    client.get("/async/set/c/3")
    with client.websocket("/ws") as ws:
        assert ws.receive() == "{'c': '3'}"
    assert store.log[-1] == "load"
    assert store.on_a_loop == []


# -- configuration ------


def test_store_from_config(tmp_path: Path) -> None:
    app = Flask("conf", instance_path=str(tmp_path))
    store = store_from_config(app, "sqlite")
    assert isinstance(store, SQLiteSessionStore)
    assert store.path == str(tmp_path / "sessions.sqlite3")
    store = store_from_config(app, "sqlite:////data/s.db")
    assert isinstance(store, SQLiteSessionStore)
    assert os.path.normpath(store.path) == "/data/s.db"
    assert isinstance(store_from_config(app, "rediss://h:1/0"), RedisSessionStore)
    for bad in ["mysql://x", "sqlite", 42]:
        if bad == "sqlite":
            continue
        with pytest.raises(ValueError, match="names no session store"):
            store_from_config(app, bad)


def test_sqlite_store_is_made_on_first_use_in_wal_mode(tmp_path: Path) -> None:
    # WAL: readers in other worker processes do not wait for a writer.
    app = make_app("sqlite")
    app.instance_path = str(tmp_path / "instance")
    path = tmp_path / "instance" / "sessions.sqlite3"
    client = app.test_client()
    client.get("/plain")
    assert not path.exists()
    client.get("/set/a/1")
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT key FROM kolba_sessions").fetchall() == [("a",)]
    finally:
        db.close()


def test_sqlite_store_files_are_the_users_only(tmp_path: Path) -> None:
    app = make_app("sqlite")
    app.instance_path = str(tmp_path / "instance")
    umask = os.umask(0o022)
    try:
        app.test_client().get("/set/a/1")
    finally:
        os.umask(umask)
    files = sorted((tmp_path / "instance").iterdir())
    assert [f.name for f in files] == [
        "sessions.sqlite3",
        "sessions.sqlite3-shm",
        "sessions.sqlite3-wal",
    ]
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}


def test_a_rediss_url_gives_a_tls_client() -> None:
    store = store_from_config(Flask("tls"), "rediss://cache.example:6380/2")
    assert isinstance(store, RedisSessionStore)
    connection = store.client.connection_pool.make_connection()  # not connected
    assert isinstance(connection, redis.SSLConnection)
    assert (connection.host, connection.port) == ("cache.example", 6380)
    assert connection.db == 2
    # The server's certificate and name are checked; kolba's timeouts hold.
    assert connection.cert_reqs == ssl.CERT_REQUIRED and connection.check_hostname
    assert (connection.socket_connect_timeout, connection.socket_timeout) == (2, 5)
    plain = RedisSessionStore("redis://cache.example:6380/2").client
    assert not isinstance(plain.connection_pool.make_connection(), redis.SSLConnection)


def test_a_rediss_store_speaks_tls_to_a_real_redis(tmp_path: Path) -> None:
    # redis-server with TLS only, its certificate made for "localhost"
    cert, key = make_ssl_devcert(str(tmp_path / "redis"), host="localhost")
    server = RedisServer(tls=(cert, key))
    try:
        url = f"rediss://localhost:{server.port}/0"
        client = make_app(f"{url}?ssl_ca_certs={cert}").test_client()
        client.get("/set/a/1")
        assert client.get("/get").json == {"a": "1"}
        # The certificate is checked: without its CA, the store is down (503).
        assert make_app(url).test_client().get("/set/a/1").status_code == 503
    finally:
        server.stop()


def test_session_transaction_works_with_a_store(store_url: str) -> None:
    app = make_app(store_url)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user"] = "ada"
    assert client.get("/get").json == {"user": "ada"}


def test_cookie_sessions_stay_the_default() -> None:
    app = make_app(None)
    client = app.test_client()
    value = cookie_of(client.get("/set/a/1"))
    assert value and value.startswith("eyJhIjoiMSJ9.")  # the data itself
    assert session_store(app) is None


# -- the notes example on a store ------------------------------------------


def test_notes_example_runs_on_a_store_with_one_setting(
    store_url: str,
    notes_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    csrf_token_in: Any,
) -> None:
    monkeypatch.syspath_prepend(str(notes_dir))
    monkeypatch.setenv("NOTES_SESSION_STORE", store_url)  # the one line
    from notes import create_app

    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    client = app.test_client()

    def post(url: str, data: dict[str, str], page: str) -> Any:
        token = csrf_token_in(client.get(page).text)
        return client.post(url, data={**data, "csrf_token": token})

    account = {"username": "ann", "password": "correct horse"}
    assert post("/auth/register", account, "/auth/register").status_code == 302
    before = client.get_cookie("session")
    assert post("/auth/login", account, "/auth/login").status_code == 302
    after = client.get_cookie("session")
    assert before and after and before.value != after.value  # a new id at login
    assert "<span>ann</span>" in client.get("/").text
    assert len(after.value) == 87  # the signed id only: the data is in the store

    post("/auth/logout", {}, "/")
    assert "<span>ann</span>" not in client.get("/").text
    replay = app.test_client()
    replay.set_cookie("session", after.value)
    assert "<span>ann</span>" not in replay.get("/").text  # logged out for good


@pytest.mark.usefixtures("driver")
def test_reading_whether_the_session_is_new_varies_on_cookie(tmp_path: Path) -> None:
    # session.new tells a returning client from a new one: a shared cache
    # must not serve one's page to the other (Flask marks any use accessed).
    app = make_app(f"sqlite:///{tmp_path}/sessions.db")
    app.add_url_rule("/new", "new", lambda: str(session.new))
    client = app.test_client()
    response = client.get("/new")
    assert (response.text, response.headers["Vary"]) == ("True", "Cookie")
    client.get("/set/a/1")
    response = client.get("/new")
    assert (response.text, response.headers["Vary"]) == ("False", "Cookie")


@pytest.mark.usefixtures("driver")
def test_values_the_json_provider_writes_are_stored(store_url: str) -> None:
    app = make_app(store_url)
    default = app.json.default
    app.json.default = lambda o: sorted(o) if isinstance(o, set) else default(o)

    @app.route("/provider-values")
    def provider_values() -> str:
        session.update(d=Decimal("1.5"), day=date(2020, 1, 1), s={2, 1})
        return "stored"

    client = app.test_client()
    assert client.get("/provider-values").text == "stored"
    assert client.get("/get").json == {
        "d": "1.5",
        "day": "Wed, 01 Jan 2020 00:00:00 GMT",
        "s": [1, 2],
    }


def surrogate_app(store: Any) -> Flask:
    app = Flask("surrogates")
    app.config.update(SECRET_KEY=KEY, SESSION_STORE=store)

    @app.route("/set")
    def set_() -> str:
        session["\ud800"] = 1  # (a lone surrogate: no UTF-8)
        session["\x00lone"] = "\udc00x"  # (a key in the escape's form)
        session["plain"] = "a"
        return "set"

    @app.route("/change")
    def change() -> str:
        session["plain"] = "b"
        return "changed"

    @app.route("/pop")
    def pop() -> str:
        session.pop("\ud800")
        return "popped"

    @app.route("/get")
    def get() -> str:
        return repr(sorted(dict(session).items()))

    return app


def test_keys_no_utf8_can_hold_are_kept_as_by_the_cookie_session(
    store_url: str,
) -> None:
    """A key with a lone surrogate (which JSON writes, and so Flask's cookie
    session keeps) is kept by a store too, not a 500; a key that looks like
    its stored form is not mistaken for one."""
    seen = []
    for store in (None, store_url):
        client = surrogate_app(store).test_client()
        assert client.get("/set").status_code == 200
        first = client.get("/get").get_data(as_text=True)
        client.get("/change")
        changed = client.get("/get").get_data(as_text=True)
        client.get("/pop")
        popped = client.get("/get").get_data(as_text=True)
        seen.append((first, changed, popped))
    assert seen[1] == seen[0]
    assert seen[0][0] == repr(
        sorted({"\ud800": 1, "\x00lone": "\udc00x", "plain": "a"}.items())
    )
    assert seen[0][2] == repr(sorted({"\x00lone": "\udc00x", "plain": "b"}.items()))


def test_a_due_renewal_waits_no_seconds_for_a_writer_that_holds_the_lock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A page that only reads its session, whose expiry renewal is due, while
    another writer (a clean-up, another process) holds SQLite's write lock:
    the renewal is skipped at once (logged), not after the busy timeout's
    10 s; the next read renews it. So is a load's removal of an expired one."""
    path = tmp_path / "s.db"
    app = make_app(f"sqlite:///{path}", PERMANENT_SESSION_LIFETIME=600)
    client = app.test_client()
    client.get("/set/a/1")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("UPDATE kolba_sessions SET expires = ?", (time.time() + 100,))
    other.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        with caplog.at_level(logging.WARNING):
            start = time.perf_counter()
            assert client.get("/get").json == {"a": "1"}
            took = time.perf_counter() - start
    finally:
        other.execute("COMMIT")
    assert took < 2
    assert "failed to renew a session's expiry" in caplog.text
    (expires,) = other.execute("SELECT expires FROM kolba_sessions").fetchone()
    assert expires < time.time() + 101  # (not renewed)
    assert client.get("/get").json == {"a": "1"}
    (expires,) = other.execute("SELECT expires FROM kolba_sessions").fetchone()
    assert expires > time.time() + 590  # renewed once the lock was free
    # an expired one: not loaded, its removal left for later
    other.execute("UPDATE kolba_sessions SET expires = ?", (time.time() - 1,))
    other.execute("BEGIN IMMEDIATE")
    try:
        start = time.perf_counter()
        assert client.get("/get").json == {}
        took = time.perf_counter() - start
    finally:
        other.execute("COMMIT")
    assert took < 2
    assert other.execute("SELECT COUNT(*) FROM kolba_sessions").fetchone() == (1,)
    other.close()


def test_cleanup_removes_expired_sessions_in_short_transactions(
    tmp_path: Path,
) -> None:
    """A batch of sessions per write transaction, so that the requests'
    writes wait for one batch at most, not for the whole clean-up; each
    session is counted once, its keys all removed; a live one stays."""
    store = SQLiteSessionStore(str(tmp_path / "s.db"))
    store._cleanup_batch = 10
    store.create("live", {"a": "1"}, 600)
    for i in range(95):
        store.create(f"old{i}", {"a": "1", "b": "2"}, 600)
    with store._db() as db:
        db.execute("UPDATE kolba_sessions SET expires = 1 WHERE sid != 'live'")
        statements: list[str] = []
        db.set_trace_callback(statements.append)
    assert store.cleanup() == 95
    assert statements.count("COMMIT") == 10  # (9 full batches, then 5)
    with store._db() as db:
        db.set_trace_callback(None)
        rows = db.execute("SELECT sid, key FROM kolba_sessions").fetchall()
    assert rows == [("live", "a")]
    assert store.cleanup() == 0
