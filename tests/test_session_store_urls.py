"""How a ``SESSION_STORE="sqlite:..."`` URL names its file: SQLAlchemy's
spelling, which Flask users know from ``SQLALCHEMY_DATABASE_URI`` (three
slashes and a relative path: in the instance folder, as Flask-SQLAlchemy 3
resolves it; four slashes: an absolute path). Real SQLite files."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from test_session_stores import cookie_of, make_app

from kolba import Flask
from kolba.session_stores import SQLiteSessionStore, store_from_config


def test_three_slashes_and_a_relative_path_is_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # (not where a relative path would land)
    instance = tmp_path / "instance"
    app = make_app("sqlite:///data/sessions.db")
    app.instance_path = str(instance)
    client = app.test_client()
    assert cookie_of(client.get("/set/a/1"))
    assert client.get("/get").json == {"a": "1"}
    # the folders made on first use, in the instance folder only
    path = instance / "data" / "sessions.db"
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("SELECT key FROM kolba_sessions").fetchall() == [("a",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance"]


def test_four_slashes_is_an_absolute_path(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/abs.db")  # (tmp_path starts with /)
    assert f"sqlite:///{tmp_path}".startswith("sqlite:////")
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    client.get("/set/a/1")
    with closing(sqlite3.connect(tmp_path / "abs.db")) as db, db:
        assert db.execute("SELECT key FROM kolba_sessions").fetchall() == [("a",)]
    assert not (tmp_path / "instance").exists()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///sessions.db", "INSTANCE/sessions.db"),
        ("sqlite:///./data/s.db", "INSTANCE/./data/s.db"),
        ("sqlite:////var/lib/app/s.db", "/var/lib/app/s.db"),
    ],
)
def test_store_paths_as_sqlalchemy(tmp_path: Path, url: str, path: str) -> None:
    app = Flask("urls", instance_path=str(tmp_path / "inst"))
    store = store_from_config(app, url)
    assert isinstance(store, SQLiteSessionStore)
    assert store.path == path.replace("INSTANCE", str(tmp_path / "inst"))


@pytest.mark.parametrize(
    ("url", "suggested"),
    [
        ("sqlite://sessions.db", "sqlite:///sessions.db"),
        ("sqlite://", "sqlite:///sessions.db"),
        ("sqlite:///", "sqlite:///sessions.db"),
        ("sqlite:sessions.db", "sqlite:///sessions.db"),
    ],
)
def test_a_url_naming_no_file_says_how_to_spell_one(
    tmp_path: Path, url: str, suggested: str
) -> None:
    app = Flask("urls", instance_path=str(tmp_path))
    with pytest.raises(ValueError) as info:
        store_from_config(app, url)
    message = str(info.value)
    assert f"SESSION_STORE={url!r} names no SQLite file" in message
    assert f"'{suggested}' (three slashes: a path relative to the instance" in message
    assert str(tmp_path) in message
    assert "'sqlite:////ABSOLUTE/PATH.db' (four slashes" in message


def test_query_parameters_are_refused(tmp_path: Path) -> None:
    app = Flask("urls", instance_path=str(tmp_path))
    with pytest.raises(ValueError, match="takes no query parameters"):
        store_from_config(app, "sqlite:///s.db?mode=ro")


def test_a_file_at_the_old_absolute_reading_is_pointed_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # kolba once read sqlite:///tmp/x.db as /tmp/x.db: an app written so
    # would start a new, empty file in its instance folder; it is told.
    old = tmp_path / "old.db"
    SQLiteSessionStore(str(old)).create("s", {"a": '"1"'}, 60)
    app = Flask("urls", instance_path=str(tmp_path / "inst"))
    url = f"sqlite://{old}"  # three slashes, the old way
    with caplog.at_level(logging.WARNING):
        store = store_from_config(app, url)
    assert isinstance(store, SQLiteSessionStore)
    assert store.path == str(tmp_path / "inst") + str(old)
    assert f"write 'sqlite:///{old}' (four slashes)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        store_from_config(app, f"sqlite:///{old}")
        store_from_config(app, "sqlite:///new.db")
    assert caplog.text == ""


@pytest.mark.parametrize("value", ["", "sqlite3", "sqlite://sessions.db"])
def test_a_session_store_naming_no_store_fails_every_request_from_the_first(
    value: str,
) -> None:
    """An empty variable (NOTES_SESSION_STORE=) or a typo fails the first
    request, one that never uses the session included, saying what to write,
    under both drivers: not a site that starts, passes a health check on a
    page without the session, and answers 500 to the rest."""
    from kolba.testing import ASGIClient

    for client_of in (Flask.test_client, ASGIClient):
        app = Flask(__name__)
        app.config.update(SECRET_KEY="k" * 32, SESSION_STORE=value)
        app.add_url_rule("/health", "health", lambda: "ok")
        with pytest.raises(ValueError, match="SESSION_STORE=.* names no"):
            client_of(app).get("/health")
