"""Renewing the expiry of a session that a request only reads (real SQLite
file, real Redis): done only when it moves the expiry by more than 1% of the
lifetime, and a store failing to do it is logged, the page served."""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import redis
from test_session_stores import (  # noqa: F401
    RedisServer,
    cookie_of,
    make_app,
    redis_server,
    store_url,
)

from kolba.session_stores import SQLiteSessionStore
from kolba.sessions import session_store


def expiry(store_url: str, app: Any, cookie: str) -> float:  # noqa: F811
    """When the stored session expires, as the store keeps it."""
    sid = cookie.rpartition(".")[0]
    if store_url.startswith("sqlite"):
        path = session_store(app).path  # type: ignore[union-attr]
        with closing(sqlite3.connect(path)) as db:  # (a with on it alone: no close)
            (expires,) = db.execute(
                "SELECT DISTINCT expires FROM kolba_sessions WHERE sid = ?", (sid,)
            ).fetchone()
        return float(expires)
    client = redis.Redis.from_url(store_url)
    try:
        return time.time() + client.pttl(f"kolba:session:{sid}") / 1000
    finally:
        client.close()


def test_reads_renew_the_expiry_only_when_it_moves_enough(
    store_url: str,  # noqa: F811
) -> None:
    # 1% of 100 s: reads within 1 s of the write leave the expiry alone (the
    # three reads take ~0.15 s: 20 s, 0.2 s, failed once on a loaded machine)
    app = make_app(store_url, PERMANENT_SESSION_LIFETIME=100)
    client = app.test_client()
    start = time.monotonic()
    cookie = cookie_of(client.get("/set/a/1"))
    assert cookie
    written = expiry(store_url, app, cookie)
    for _ in range(3):
        time.sleep(0.05)
        assert client.get("/get").json == {"a": "1"}
    if time.monotonic() - start < 0.9:  # (else the renewal is due: moved)
        assert abs(expiry(store_url, app, cookie) - written) < 0.05  # not moved
    time.sleep(1.1)
    assert client.get("/get").json == {"a": "1"}
    assert expiry(store_url, app, cookie) - written > 1.05  # renewed


class PlainDictStore:
    """A store whose load says nothing of the expiry (a plain dict)."""

    def __init__(self, path: str) -> None:
        self.inner = SQLiteSessionStore(path)
        self.touched = 0

    def load(self, sid: str) -> dict[str, str] | None:
        stored = self.inner.load(sid)
        return None if stored is None else dict(stored)

    def create(self, *args: Any) -> None:
        self.inner.create(*args)

    def save(self, *args: Any) -> bool:
        return self.inner.save(*args)

    def delete(self, sid: str) -> None:
        self.inner.delete(sid)

    def touch(self, sid: str, lifetime: int) -> None:
        self.touched += 1
        self.inner.touch(sid, lifetime)

    def cleanup(self) -> int:
        return self.inner.cleanup()


def test_a_store_that_does_not_tell_the_expiry_is_renewed_on_each_read(
    tmp_path: Path,
) -> None:
    store = PlainDictStore(str(tmp_path / "s.db"))
    client = make_app(store).test_client()
    client.get("/set/a/1")
    for _ in range(3):
        client.get("/get")
    assert store.touched == 3


def test_a_locked_sqlite_file_at_renewal_serves_the_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.db"
    app = make_app(f"sqlite:///{path}", PERMANENT_SESSION_LIFETIME=2)
    client = app.test_client()
    client.get("/set/a/1")
    # (this thread's connection, made by the request above: wait 0.2 s for
    # the lock, not 10)
    store = session_store(app)
    store._local.connection.db.execute("PRAGMA busy_timeout = 200")  # type: ignore[union-attr]
    time.sleep(0.1)  # a renewal is due
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with caplog.at_level(logging.WARNING):
            response = client.get("/get")
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert (response.status_code, response.json) == (200, {"a": "1"})
    assert "failed to renew a session's expiry" in caplog.text
    assert "database is locked" in caplog.text
    assert client.get("/get").json == {"a": "1"}  # (the lock released)


def test_redis_refusing_writes_at_renewal_serves_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # CLIENT PAUSE WRITE: what a Redis failover does for its duration; reads
    # are served, writes wait (here past the store's socket timeout)
    server = RedisServer()
    try:
        app = make_app(
            f"{server.url}?socket_timeout=0.5", PERMANENT_SESSION_LIFETIME=2
        )
        client = app.test_client()
        client.get("/set/a/1")
        time.sleep(0.1)  # a renewal is due
        control = redis.Redis(port=server.port)
        control.client_pause(1500, all=False)  # writes only
        with caplog.at_level(logging.WARNING):
            started = time.monotonic()
            response = client.get("/get")
            took = time.monotonic() - started
        control.close()
        assert (response.status_code, response.json) == (200, {"a": "1"})
        assert took < 1.4  # (the socket timeout, not the pause)
        assert "failed to renew a session's expiry" in caplog.text
        assert "Timeout" in caplog.text
    finally:
        server.stop()
