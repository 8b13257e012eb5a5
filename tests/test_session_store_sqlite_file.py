"""The SQLite file of a session store deleted or replaced while the app
serves (a clean-up of the instance folder, a restored backup): every worker
process opens the file at the path again within a second, and says so, rather
than some going on with the old file unseen (real SQLite files; each store
object stands for a worker process, with its own connections)."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from kolba import Flask
from kolba.session_stores import SQLiteSessionStore, store_from_config


def remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_a_deleted_file_is_made_again_by_every_worker(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sessions.db"
    first, second = (SQLiteSessionStore(str(path)) for _ in range(2))
    first.create("before", {"a": '"1"'}, 60)
    assert second.load("before") == {"a": '"1"'}
    remove(path)
    time.sleep(1.1)  # (each checks its file at most once a second)
    with caplog.at_level(logging.WARNING):
        first.create("after", {"b": '"2"'}, 60)
    assert path.exists()  # made again, not written to the deleted one
    # a worker started since (gunicorn replaced one) and the old ones agree
    started_since = SQLiteSessionStore(str(path))
    assert started_since.load("after") == {"b": '"2"'}
    assert second.load("after") == {"b": '"2"'}
    assert second.load("before") is None  # (gone with the file)
    told = [r for r in caplog.records if "was deleted or replaced" in r.message]
    assert [r.name for r in told] == ["kolba.session_stores"] * 2  # one each
    assert told[0].levelno == logging.WARNING
    assert told[0].message.startswith(f"The session store's file {path} was")
    assert f"process {os.getpid()} opened it again" in told[0].message


def test_the_store_of_an_app_logs_to_its_logger(tmp_path: Path) -> None:
    app = Flask("file", instance_path=str(tmp_path))
    store = store_from_config(app, "sqlite")
    assert isinstance(store, SQLiteSessionStore) and store.logger is app.logger


def test_a_replaced_file_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SQLiteSessionStore(str(path))
    store.create("old", {"a": '"1"'}, 60)
    backup = SQLiteSessionStore(str(tmp_path / "backup.db"))
    backup.create("restored", {"r": '"1"'}, 60)
    # (all in the file; a with on the connection alone would not close it)
    with closing(sqlite3.connect(tmp_path / "backup.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(tmp_path / "backup.db", path)
    time.sleep(1.1)
    assert store.load("restored") == {"r": '"1"'}
    assert store.load("old") is None



def _connection_of_a_thread(store: SQLiteSessionStore) -> sqlite3.Connection:
    """The connection a thread used for the store, once that thread has ended."""
    seen: list[sqlite3.Connection] = []

    def work() -> None:
        store.create("sid", {"a": '"1"'}, 60)
        with store._db() as db:
            seen.append(db)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return seen[0]


def test_a_threads_connection_is_closed_when_the_thread_ends(tmp_path: Path) -> None:
    # (left to the collector, an open one is a ResourceWarning on Python 3.13)
    store = SQLiteSessionStore(str(tmp_path / "s.db"))
    db = _connection_of_a_thread(store)
    gc.collect()
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        db.execute("SELECT 1")
    assert store.load("sid") == {"a": '"1"'}  # (this thread's own connection)


def test_the_connections_are_closed_when_the_store_is_gone(tmp_path: Path) -> None:
    store = SQLiteSessionStore(str(tmp_path / "s.db"))
    store.create("sid", {"a": '"1"'}, 60)
    with store._db() as db:
        pass
    del store
    gc.collect()
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        db.execute("SELECT 1")
