"""Server-side session stores: where ``SESSION_STORE`` keeps session data.

The cookie then holds only a signed random id; the values live in the store
as kolba's tagged JSON text (never pickle), one entry per session key, so
that two requests of one user changing different keys keep both changes.

``SESSION_STORE`` takes:

- ``"sqlite"``: ``<instance_path>/sessions.sqlite3`` (one machine; several
  processes, such as gunicorn workers, share it safely);
- ``"sqlite:///RELATIVE/PATH.db"``: that SQLite file in the instance folder,
  ``"sqlite:////ABSOLUTE/PATH.db"`` (four slashes): that one (SQLAlchemy's
  spelling, which ``SQLALCHEMY_DATABASE_URI`` uses too);
- ``"redis://HOST:PORT/DB"`` or ``"rediss://..."``: Redis, for an app on
  several machines (``pip install kolba[redis]``);
- an object implementing :class:`SessionStore`, for any other backend.

The store API is synchronous and thread-safe, so the ASGI driver calls it in
its thread pool and never blocks its event loop (an async view's session is
loaded there ahead, when its cookie comes, and saved there after).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import Headers
from werkzeug.exceptions import ServiceUnavailable

from .sessions import (
    SecureCookieSession,
    SessionInterface,
    _cookie_value,
    _for_signing_keys,
    _opens_lazily_as_defined,
    session_json_serializer,
)

if TYPE_CHECKING:
    from .app import Flask
    from .wrappers import Request, Response

__all__ = [
    "RedisSessionStore",
    "ServerSideSession",
    "StoreSessionInterface",
    "SQLiteSessionStore",
    "SessionStore",
    "SessionStoreUnavailable",
    "StoredSession",
    "store_from_config",
]


class SessionStoreUnavailable(ServiceUnavailable):
    """The store cannot be reached: the request answers 503 (and the error is
    logged) rather than carry on with an empty session that logs users out."""

    description = "Sessions are unavailable for a moment. Please try again."


class StoredSession(dict[str, str]):
    """What a store's ``load`` may return: the values, and when they expire."""

    __slots__ = ("expires",)

    def __init__(self, values: Any, expires: float) -> None:
        super().__init__(values)
        #: When the session expires (a :func:`time.time` timestamp).
        self.expires = expires


@runtime_checkable
class SessionStore(Protocol):
    """What a session store implements. Values are tagged JSON text.

    Every method raises :class:`SessionStoreUnavailable` when the backend
    cannot be reached. ``lifetime`` is in seconds: the record expires that
    long after the last ``create``, ``save`` or ``touch``.
    """

    def load(self, sid: str) -> dict[str, str] | None:
        """The values of a live session; ``None`` if unknown or expired.
        A :class:`StoredSession` tells when it expires too (then a session
        that is only read is renewed when that moves its expiry enough)."""

    def create(self, sid: str, values: Mapping[str, str], lifetime: int) -> None:
        """Store a new session under ``sid`` (a new random id)."""

    def save(
        self,
        sid: str,
        changed: Mapping[str, str],
        deleted: Collection[str],
        lifetime: int,
    ) -> bool:
        """Change a stored session: set ``changed``, remove ``deleted`` (other
        keys stay as they are: a concurrent request may have set them) and
        renew the expiry, in one step. A session that is gone (deleted since
        it was loaded, by a logout or a new id, or expired) is not made again:
        nothing is written. Return whether the session is there after it (not
        when it was gone, nor when ``deleted`` removed its last key)."""

    def delete(self, sid: str) -> bool:
        """Remove the session; return whether it was there (not expired)."""

    def touch(self, sid: str, lifetime: int) -> None:
        """Renew the expiry of a session that did not change (a session
        that is gone stays gone)."""

    def cleanup(self) -> int:
        """Remove every expired session; return how many."""


#: Connections a forked child inherited: its parent's to close (a close in
#: the child could drop the parent's file locks), kept from the collector.
_inherited: list[sqlite3.Connection] = []


class _Connection:
    """A thread's connection to a store's file, closed once the thread is
    gone (Python 3.13 warns of one left to the collector); the store closes
    those still open when it is gone (_close_all)."""

    __slots__ = ("db", "pid", "open")

    def __init__(
        self, db: sqlite3.Connection, open: list[tuple[sqlite3.Connection, int]]
    ) -> None:
        self.db = db
        self.pid = os.getpid()
        self.open = open
        open.append((db, self.pid))

    def __del__(self) -> None:
        if self.pid != os.getpid():
            _inherited.append(self.db)
            return
        self.db.close()
        with suppress(ValueError):
            self.open.remove((self.db, self.pid))


def _close_all(open: list[tuple[sqlite3.Connection, int]]) -> None:
    """Close a store's connections once it is collected: its list keeps them
    reachable until then, so that none is finalized (and warned of) first."""
    pid = os.getpid()
    for db, made_by in open:
        if made_by == pid:
            db.close()
    open.clear()


class SQLiteSessionStore:
    """Sessions in one SQLite file (WAL mode): a row per session key.

    Safe across threads (a connection per thread) and processes (SQLite's
    locking; each write is one short transaction). The file is created on
    first use.
    """

    #: How often (seconds) a thread checks that its connection's file is
    #: still the one at :attr:`path`.
    _check_every = 1.0

    def __init__(self, path: str, logger: logging.Logger | None = None) -> None:
        self.path = path
        #: Where a file deleted or replaced while serving is told (the app's
        #: logger, for SESSION_STORE).
        self.logger = logger or logging.getLogger(__name__)
        self._local = threading.local()
        self._told: tuple[int, int] | None = None
        self._open: list[tuple[sqlite3.Connection, int]] = []
        weakref.finalize(self, _close_all, self._open)

    def _connect(self) -> sqlite3.Connection:
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        # readable by this user only (SQLite gives its -wal and -shm files the
        # same mode): the sessions' data is no other local user's to read
        with suppress(FileExistsError):
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        local = self._local
        stat = os.stat(self.path)  # (before: a file replaced after is seen)
        local.file = (stat.st_dev, stat.st_ino)
        local.checked = time.monotonic()
        db = sqlite3.connect(
            self.path, timeout=10, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS kolba_sessions (sid TEXT NOT NULL,"
            " key TEXT NOT NULL, value TEXT NOT NULL, expires REAL NOT NULL,"
            " PRIMARY KEY (sid, key)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS kolba_sessions_expires"
            " ON kolba_sessions (expires)"
        )
        return db

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (a new one after a fork); SQLite errors
        become :class:`SessionStoreUnavailable`."""
        local = self._local
        try:
            connection = getattr(local, "connection", None)
            if connection is None or connection.pid != os.getpid():
                local.connection = _Connection(self._connect(), self._open)
            elif time.monotonic() - local.checked >= self._check_every:
                self._check_file(local)
            yield local.connection.db
        except (sqlite3.OperationalError, OSError) as e:
            # locked, busy, disk full or failing, read-only, no folder for the
            # file... (the detail is logged with the cause; the page shows none)
            raise SessionStoreUnavailable() from e
        except sqlite3.DatabaseError as e:
            if type(e) not in (sqlite3.DatabaseError, sqlite3.InternalError):
                raise  # kolba's mistake or the caller's: not an outage (a 500)
            raise SessionStoreUnavailable() from e  # a corrupt or foreign file

    def _check_file(self, local: threading.local) -> None:
        """Reopen the file if it was deleted or replaced while serving (a
        clean-up of the instance folder, a restored backup): else this
        process would go on with the old one, unseen, while the processes
        started since use the new one, and a user's requests would find his
        session in one worker and not in another. PERF: one stat (1.7 us) a
        second per thread; a clock read and compare (83 ns) per store call."""
        local.checked = time.monotonic()
        try:
            stat = os.stat(self.path)
            if (stat.st_dev, stat.st_ino) == local.file:
                return
        except FileNotFoundError:
            pass
        with suppress(sqlite3.Error):
            local.connection.db.close()
        local.connection = _Connection(self._connect(), self._open)
        if self._told != local.file:  # (once per process, not per thread)
            self._told = local.file
            self.logger.warning(
                f"The session store's file {self.path} was deleted or replaced"
                f" while the app was serving: process {os.getpid()} opened it"
                " again (the sessions kept in the file before are gone)."
            )

    def load(self, sid: str) -> dict[str, str] | None:
        with self._db() as db:
            rows = db.execute(
                "SELECT key, value, expires FROM kolba_sessions WHERE sid = ?", (sid,)
            ).fetchall()
            if not rows:
                return None
            if rows[0][2] <= time.time():  # expired: removed now, never loaded
                # (if no other writer holds the lock long: else by a later
                # load, a save, or the clean-up)
                with suppress(sqlite3.OperationalError), self._waiting_briefly(db):
                    db.execute("DELETE FROM kolba_sessions WHERE sid = ?", (sid,))
                return None
            return StoredSession(
                {key: value for key, value, _ in rows}, rows[0][2]
            )

    def create(self, sid: str, values: Mapping[str, str], lifetime: int) -> None:
        expires = time.time() + lifetime
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO kolba_sessions VALUES (?, ?, ?, ?)",
                    [(sid, key, value, expires) for key, value in values.items()],
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def save(
        self,
        sid: str,
        changed: Mapping[str, str],
        deleted: Collection[str],
        lifetime: int,
    ) -> bool:
        now = time.time()
        expires = now + lifetime
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Renewed first, if live: inside the write transaction, no
                # logout can come between this check and the writes.
                # PERF: the check is the renewal's UPDATE, no SELECT of its
                # own (with _by_json_key's copy spared: a request reading and
                # changing a session 390,383 -> 374,869 instructions,
                # callgrind; 367,630 before the check).
                if not db.execute(
                    "UPDATE kolba_sessions SET expires = ? WHERE sid = ?"
                    " AND expires > ?",
                    (expires, sid, now),
                ).rowcount:
                    # deleted or expired since it was loaded: not made again
                    # (an expired one's rows go now, as a load removes them)
                    db.execute("DELETE FROM kolba_sessions WHERE sid = ?", (sid,))
                    db.execute("COMMIT")
                    return False
                db.executemany(
                    "DELETE FROM kolba_sessions WHERE sid = ? AND key = ?",
                    [(sid, key) for key in deleted],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO kolba_sessions VALUES (?, ?, ?, ?)",
                    [(sid, key, value, expires) for key, value in changed.items()],
                )
                there = bool(changed) or bool(
                    db.execute(
                        "SELECT 1 FROM kolba_sessions WHERE sid = ? LIMIT 1", (sid,)
                    ).fetchone()
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return there

    def delete(self, sid: str) -> bool:
        with self._db() as db:
            if db.execute(
                "DELETE FROM kolba_sessions WHERE sid = ? AND expires > ?",
                (sid, time.time()),
            ).rowcount:
                return True
            db.execute("DELETE FROM kolba_sessions WHERE sid = ?", (sid,))  # expired
            return False

    #: How long (ms) a renewal of an expiry, or a load's removal of an
    #: expired session, waits for another writer's lock (other writes wait
    #: up to 10 s): past it, it is skipped (a renewal's failure is logged and
    #: the page served), so that a page that only reads its session never
    #: waits seconds behind a long write (a clean-up, another process's).
    _short_wait_ms = 100

    @contextmanager
    def _waiting_briefly(self, db: sqlite3.Connection) -> Iterator[None]:
        db.execute(f"PRAGMA busy_timeout = {self._short_wait_ms}")
        try:
            yield
        finally:
            db.execute("PRAGMA busy_timeout = 10000")  # (connect()'s timeout)

    def touch(self, sid: str, lifetime: int) -> None:
        now = time.time()
        with self._db() as db, self._waiting_briefly(db):
            db.execute(
                # (not one that expired meanwhile: it stays gone)
                "UPDATE kolba_sessions SET expires = ? WHERE sid = ? AND expires > ?",
                (now + lifetime, sid, now),
            )

    #: How many expired sessions one transaction of :meth:`cleanup` removes.
    _cleanup_batch = 1000

    def cleanup(self) -> int:
        """Remove the expired sessions a batch at a time, each batch its own
        short write transaction (~3 ms), then a pause twice as long (5 ms at
        least), in which the requests' writes waiting for the lock get it.
        300k expired sessions, a save every 5 ms meanwhile: the save's worst
        wait 360-440 ms (one transaction for all) -> 8-25 ms; the clean-up
        takes 2.4-4 s instead of 0.4 s."""
        now = time.time()
        count = 0
        with self._db() as db:
            while True:
                start = time.monotonic()
                db.execute("BEGIN IMMEDIATE")
                try:
                    sids = db.execute(
                        "SELECT DISTINCT sid FROM kolba_sessions WHERE expires <= ?"
                        " LIMIT ?",
                        (now, self._cleanup_batch),
                    ).fetchall()
                    db.executemany(
                        "DELETE FROM kolba_sessions WHERE sid = ? AND expires <= ?",
                        [(sid, now) for (sid,) in sids],
                    )
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                count += len(sids)
                if len(sids) < self._cleanup_batch:
                    return count
                time.sleep(max(2 * (time.monotonic() - start), 0.005))


#: RedisSessionStore.save, atomic (a script runs alone): KEYS[1] the session's
#: hash; ARGV: the lifetime, the number of keys deleted, those keys, then the
#: changed keys each followed by its value. A hash that is gone (deleted or
#: expired) is not made again: 0. Else 1, or 0 if the deletes emptied it.
_REDIS_SAVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local deleted = tonumber(ARGV[2])
for i = 3, deleted + 2 do redis.call('HDEL', KEYS[1], ARGV[i]) end
for i = deleted + 3, #ARGV, 2 do
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return redis.call('EXPIRE', KEYS[1], ARGV[1])
"""


class RedisSessionStore:
    """Sessions in Redis: a hash per session (``HSET``/``HDEL`` of the changed
    keys only), expired by Redis itself (``EXPIRE``)."""

    prefix = "kolba:session:"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise RuntimeError(
                f"SESSION_STORE={url!r} needs the redis package:"
                " pip install 'kolba[redis]'."
            ) from None
        self._errors = redis.RedisError
        self._data_error = redis.DataError
        self.url = url
        # over TLS, the server's name is checked also where redis-py's default
        # does not (before 6.0); the URL's own ssl_check_hostname wins
        tls = {"ssl_check_hostname": True} if url.startswith("rediss:") else {}
        self.client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=5,
            **tls,
        )
        self._save_script = self.client.register_script(_REDIS_SAVE)

    @contextmanager
    def _down(self) -> Iterator[None]:
        try:
            yield
        except self._errors as e:
            if isinstance(e, self._data_error):  # a value redis-py cannot send:
                raise  # the caller's mistake, not an outage (a 500)
            # down, hung, refusing writes (out of memory, a read-only
            # replica), a wrong password... (logged with the cause)
            raise SessionStoreUnavailable() from e

    def load(self, sid: str) -> dict[str, str] | None:
        key = self.prefix + sid
        with self._down():
            # PERF: the TTL in the same round trip (a load 50.6 -> 62.9 us,
            # redis-py's side mostly) spares most reads an EXPIRE, its own
            # round trip (a read-only request 192 -> 158 us; see _renew_expiry)
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(key)
            pipe.pttl(key)
            values, ttl = pipe.execute()
        if not values:
            return None
        # (no TTL, -1: a key made by someone else; renewed when read)
        return StoredSession(values, time.time() + ttl / 1000 if ttl >= 0 else 0.0)

    def create(self, sid: str, values: Mapping[str, str], lifetime: int) -> None:
        key = self.prefix + sid
        with self._down():
            pipe = self.client.pipeline(transaction=True)
            # redis annotates the mapping as keyed by all its key types, and a
            # Mapping's key type is invariant
            pipe.hset(key, mapping=dict(values))  # type: ignore[arg-type]
            pipe.expire(key, lifetime)
            pipe.execute()

    def save(
        self,
        sid: str,
        changed: Mapping[str, str],
        deleted: Collection[str],
        lifetime: int,
    ) -> bool:
        args: list[Any] = [lifetime, len(deleted), *deleted]
        for item in changed.items():
            args += item
        with self._down():
            return bool(self._save_script(keys=[self.prefix + sid], args=args))

    def delete(self, sid: str) -> bool:
        with self._down():
            return bool(self.client.delete(self.prefix + sid))

    def touch(self, sid: str, lifetime: int) -> None:
        with self._down():
            self.client.expire(self.prefix + sid, lifetime)

    def cleanup(self) -> int:
        """Nothing to do: Redis removes expired sessions itself."""
        return 0


def store_from_config(app: Flask, value: Any) -> SessionStore:
    """The store that a ``SESSION_STORE`` value names."""
    if isinstance(value, str):
        if value == "sqlite":
            path = os.path.join(app.instance_path, "sessions.sqlite3")
            return SQLiteSessionStore(path, app.logger)
        if value.startswith("sqlite:"):
            return SQLiteSessionStore(_sqlite_path(app, value), app.logger)
        if value.startswith(("redis://", "rediss://")):
            return RedisSessionStore(value)
    elif isinstance(value, SessionStore):
        return value
    elif callable(getattr(value, "load", None)):
        missing = [
            name
            for name in ("load", "create", "save", "delete", "touch", "cleanup")
            if not callable(getattr(value, name, None))
        ]
        raise ValueError(
            f"SESSION_STORE={value!r} is no session store: it has no"
            f" {', '.join(missing)} method (see kolba.session_stores.SessionStore)."
        )
    raise ValueError(
        f"SESSION_STORE={value!r} names no session store: use None (signed"
        ' cookies), "sqlite", "sqlite:///RELATIVE/PATH.db" (in the instance'
        ' folder), "sqlite:////ABSOLUTE/PATH.db", "redis://HOST:PORT/DB",'
        ' "rediss://..." or an object implementing kolba.session_stores.SessionStore.'
    )


def _sqlite_path(app: Flask, url: str) -> str:
    """The file a ``sqlite:`` URL names, spelled as SQLAlchemy (and so
    Flask-SQLAlchemy's ``SQLALCHEMY_DATABASE_URI``) spells it: three slashes
    and a relative path, ``sqlite:///sessions.db``, is a file in the app's
    instance folder (where Flask-SQLAlchemy 3 puts it; the folder is made on
    first use); four slashes, ``sqlite:////var/lib/app/sessions.db``, an
    absolute path."""
    path = url[len("sqlite:///") :]
    if not url.startswith("sqlite:///") or not path:
        # sqlite:// (SQLAlchemy: a database in memory, which other processes
        # and threads would not share) or sqlite://name.db (a host)
        raise ValueError(
            f"SESSION_STORE={url!r} names no SQLite file: write"
            f" 'sqlite:///{url[len('sqlite:') :].lstrip('/') or 'sessions.db'}'"
            " (three slashes: a path relative to the instance folder,"
            f" {app.instance_path}) or 'sqlite:////ABSOLUTE/PATH.db' (four"
            " slashes: an absolute path), as SQLAlchemy spells them."
        )
    if "?" in path:
        raise ValueError(
            f"SESSION_STORE={url!r}: the SQLite store takes no query parameters."
        )
    if os.path.isabs(path):
        return path
    relative = os.path.join(app.instance_path, path)
    if not os.path.exists(relative) and os.path.isfile(os.sep + path):
        # kolba read sqlite:///PATH as /PATH before it followed SQLAlchemy
        app.logger.warning(
            f"SESSION_STORE={url!r} is the file {relative} (three slashes: a"
            " path relative to the instance folder, as in SQLAlchemy), which"
            f" does not exist yet, while {os.sep + path} does: if the sessions"
            f" are there, write 'sqlite:///{os.sep + path}' (four slashes)."
        )
    return relative


#: The key where Flask-Login keeps the user's id: a change of it gives the
#: session a new id.
_USER_KEY = "_user_id"


class ServerSideSession(SecureCookieSession):
    """A session kept in a store; the cookie holds only its signed id."""

    def __init__(
        self,
        initial: Any = None,
        sid: str | None = None,
        stored: dict[str, str] | None = None,
    ) -> None:
        super().__init__(initial)
        #: The id of its record, ``None`` until one is stored.
        self.sid = sid
        #: The values as loaded (tagged JSON): saving writes only what differs.
        self.stored = stored or {}
        self.new = sid is None
        self._renew = False
        #: Whether clear() emptied it: what it holds now, this request set.
        self._cleared = False
        #: Whether its cookie was signed with a fallback key (sent again signed
        #: with the current one).
        self._old_key = False

    @property
    def new(self) -> bool:
        """Whether no stored session came with the request. A read of it
        tells clients apart, so it marks the session accessed."""
        self.accessed = True
        return self._new

    @new.setter
    def new(self, value: bool) -> None:
        self._new = value

    def regenerate(self) -> None:
        """Move the data to a new id when the response goes out and delete
        the old record, so that a copied cookie stops working. Call it at
        login (session-fixation defence)."""
        self._renew = True
        self._changed()

    def clear(self) -> None:
        """Empty the session; the old record is deleted when the response
        goes out (a replayed old cookie then gives an empty session)."""
        super().clear()
        self._renew = self._cleared = True


class _UnavailableSession(ServerSideSession):
    """The session while the store is down: its first use answers 503, and
    logs the store's error (not before: an async view's session is loaded
    ahead under ASGI, and a view that never uses it is served as usual).
    Then it reads as empty (for the 503 handler's page, whose layout may show
    flashed messages), and a write answers 503 again."""

    _failed = False

    def __init__(self, error: BaseException, logger: logging.Logger) -> None:
        super().__init__()
        self._error = error
        self._logger = logger

    @property
    def accessed(self) -> bool:
        return False

    @accessed.setter
    def accessed(self, value: bool) -> None:
        if not self._failed:
            self._unavailable()

    @property
    def modified(self) -> bool:
        return False

    @modified.setter
    def modified(self, value: bool) -> None:
        self._unavailable()

    def _unavailable(self, *args: Any, **kwargs: Any) -> Any:
        error = self._error
        if not self._failed:
            self._failed = True  # (read as empty after, by the 503 page too)
            self._logger.error(
                "The session store failed to load a session",
                exc_info=(type(error), error, error.__traceback__),
            )
        raise SessionStoreUnavailable() from error

    # writes that change nothing of an empty session (a logout's pop) answer
    # 503 all the same: the stored session is kept, it must not seem gone
    __delitem__ = pop = popitem = _unavailable


def _dropped(app: Flask) -> None:
    app.logger.info(
        "A session's changes were dropped: the session was deleted (a logout,"
        " a new id) or expired while the request ran."
    )


def _json_key(key: Any) -> str:
    """A session key as JSON writes an object's key, and so as Flask's cookie
    session keeps it: ``None`` is ``"null"``, ``True`` ``"true"``, ``1``
    ``"1"``; a key JSON cannot write (a tuple, bytes) is its ``TypeError``."""
    if isinstance(key, str):
        return str.__str__(key) if _stored_as_is(key) else _escaped_key(key)
    if key is None or isinstance(key, (bool, int, float)):
        # (json's own spelling: "true", "1", "1.5", "NaN", "Infinity")
        text: str = _KEY_ENCODER.encode({key: 0})
        return text[2 : text.rindex('"')]
    raise TypeError(
        f"keys must be str, int, float, bool or None, not {type(key).__name__}"
        f" (the session key {key!r})"
    )


_KEY_ENCODER = json.JSONEncoder(separators=(",", ":"))

#: What starts the stored form of a key that a store cannot hold as it is (a
#: lone surrogate, "\ud800", is no UTF-8: SQLite and Redis refuse it), then
#: written as JSON (ASCII, "\\ud800"), as the cookie session's JSON keeps it;
#: a key that starts with it is written so too, so that none is read wrongly.
_ESCAPE = "\x00"


def _stored_as_is(key: str) -> bool:
    """Whether the str ``key`` is stored as it is: UTF-8, not escape-like."""
    if key.isascii():  # PERF: the usual key: one C scan, no encode
        return not key.startswith(_ESCAPE)
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate)
        return False
    return True


def _escaped_key(key: str) -> str:
    return _ESCAPE + json.dumps(key)


def _loaded_key(stored: str) -> str:
    """A key as it was set, from its stored form (see :data:`_ESCAPE`)."""
    if stored.startswith(_ESCAPE):
        with suppress(ValueError):
            key = json.loads(stored[1:])
            if isinstance(key, str):
                return key
    return stored


def _by_json_key(session: ServerSideSession) -> dict[str, Any]:
    """The session's values keyed as they are stored (see :func:`_json_key`):
    the session itself when its keys are all strings stored as they are
    (read it with dict's own methods, which do not mark it accessed)."""
    for key in dict.keys(session):
        if type(key) is not str or not _stored_as_is(key):
            return {_json_key(key): value for key, value in dict.items(session)}
    return session  # PERF: the usual session, not copied


# Ids are 32 random bytes in URL-safe base64: 256 bits.
_SID = re.compile(r"[A-Za-z0-9_-]{43}").fullmatch


class StoreSessionInterface(SessionInterface):
    """Sessions in a :class:`SessionStore`, behind a signed random id.

    A tampered, malformed, unknown or expired id gives a new, empty session
    (never the client's id: no session fixation). A request that never
    touches ``session`` never talks to the store (but for the load ahead of
    an async view under ASGI, see :mod:`kolba.asgi`); an empty session that was
    not changed writes nothing and sets no cookie.
    """

    salt = "kolba-session-id"
    serializer = session_json_serializer
    session_class: type[ServerSideSession] = ServerSideSession

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._signing: tuple[Any, Signer] | None = None

    def _signer(self, app: Flask) -> Signer | None:
        salt = self.salt
        return _for_signing_keys(
            self,
            "_signing",
            app,
            # itsdangerous takes str and bytes keys mixed (its annotation: one kind)
            lambda keys: Signer(
                list(keys),  # type: ignore[arg-type]
                salt=salt,
                digest_method=sha256,
            ),
            salt,  # (changed to invalidate every session id)
        )

    def renews_unused_session(self, app: Flask) -> bool:
        return False  # a request that never uses the session: no store call

    def open_session(self, app: Flask, request: Request) -> ServerSideSession | None:
        signer = self._signer(app)
        if signer is None:
            return None
        value = _cookie_value(request, self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            sid = signer.unsign(value).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return self.session_class()
        if not _SID(sid):
            return self.session_class()
        try:
            stored = self.store.load(sid)
        except SessionStoreUnavailable as e:
            return _UnavailableSession(e, app.logger)  # (logged if used)
        if stored is None:
            return self.session_class()
        loads = self.serializer.loads
        data = {}
        for key, text in stored.items():
            try:
                loaded = loads(text)
            except (ValueError, TypeError, KeyError):  # not ours: dropped
                continue
            data[_loaded_key(key) if key.startswith(_ESCAPE) else key] = loaded
        session = self.session_class(data, sid, stored)
        if app.config["SECRET_KEY_FALLBACKS"]:
            # (signed with the current key, the cookie would be the same)
            session._old_key = signer.sign(sid).decode("ascii") != value
        return session

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if type(session) is _UnavailableSession:
            return
        if session.accessed:
            response.vary.add("Cookie")
        try:
            self._save(app, session, response)
        except SessionStoreUnavailable as e:
            app.logger.exception("The session store failed to save a session")
            _answer_503(app, response, e)

    def _save(self, app: Flask, session: ServerSideSession, response: Response) -> None:
        store = self.store
        sid = session.sid
        lifetime = int(app.permanent_session_lifetime.total_seconds())
        if not session:
            if sid is not None:
                if session._renew:
                    # clear() (a logout): the record goes, with what a
                    # concurrent request added to it
                    store.delete(sid)
                elif store.save(sid, {}, list(session.stored), lifetime):
                    # emptied key by key while a concurrent request added a
                    # key: that one stays, and so does the cookie
                    return
                self._cookie(app, response, None)
            return
        changed: dict[str, str] = {}
        deleted: list[str] = []
        if sid is not None and not session._renew and session.accessed:
            # (unread values cannot have changed)
            stored = session.stored
            dumps = self.serializer.dumps
            values = _by_json_key(session)
            for key, value in dict.items(values):
                text = dumps(value)
                if stored.get(key) != text:
                    changed[key] = text
            deleted = [key for key in stored if not dict.__contains__(values, key)]
        if (
            sid is None
            or session._renew
            # a login or a logout by Flask-Login (or an app that keeps its
            # user under the same key): a new id, so that no id planted in
            # the browser is logged in (session fixation)
            or _USER_KEY in changed
            or _USER_KEY in deleted
        ):
            dumps = self.serializer.dumps
            texts = {k: dumps(v) for k, v in dict.items(_by_json_key(session))}
            session.sid = secrets.token_urlsafe(32)
            # the new record first: a store that fails to save it (a 503)
            # keeps the old one, and the data
            store.create(session.sid, texts, lifetime)
            if (
                sid is not None
                and store.delete(sid) is False
                and not session._cleared
            ):
                # The loaded session went (a logout) or expired meanwhile:
                # its data is not made live again under the new id either
                # (what the request set after a clear() is its own: kept).
                store.delete(session.sid)
                _dropped(app)
                return
            self._cookie(app, response, session)
            return
        refresh = app.config["SESSION_REFRESH_EACH_REQUEST"]
        if changed or deleted:
            if store.save(sid, changed, deleted, lifetime) is False:
                # The session went (a logout, a new id: a request of the same
                # user that ended meanwhile) or expired since this request
                # loaded it: its changes are dropped, and no cookie is sent.
                # Written, they would make the revoked id live again with them
                # (a copy of the cookie logged in again); under a new id, the
                # request's data would be a new session logged in as before.
                _dropped(app)
                return
        elif refresh or not session.permanent:
            self._renew_expiry(app, session, lifetime)
        # The id stays: the cookie is sent again only for its expiry, or to
        # be signed with the current key.
        if (
            "_permanent" in changed
            or "_permanent" in deleted
            or (session.permanent and (refresh or session.modified))
            or session._old_key
        ):
            self._cookie(app, response, session)

    def _renew_expiry(
        self, app: Flask, session: ServerSideSession, lifetime: int
    ) -> None:
        """Renew the expiry of a session that was used but not changed: only
        when that moves it by more than 1% of the lifetime (so a session
        that is only read costs a write at most that often; it ends between
        99% and 100% of the lifetime after its last use). A store that
        fails to renew it is logged; the page is served (nothing was lost
        but the renewal)."""
        expires = getattr(session.stored, "expires", None)
        if expires is not None and time.time() + lifetime - expires <= lifetime / 100:
            return
        assert session.sid is not None
        try:
            self.store.touch(session.sid, lifetime)
        except SessionStoreUnavailable:
            app.logger.warning(
                "The session store failed to renew a session's expiry (the"
                " request was answered as usual)",
                exc_info=True,
            )

    def _cookie(
        self, app: Flask, response: Response, session: ServerSideSession | None
    ) -> None:
        """Set the cookie to the session's signed id, or delete it."""
        options: dict[str, Any] = {
            "path": self.get_cookie_path(app),
            "domain": self.get_cookie_domain(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
            "partitioned": self.get_cookie_partitioned(app),
        }
        name = self.get_cookie_name(app)
        response.vary.add("Cookie")
        if session is None:
            response.delete_cookie(name, **options)
            return
        signer = self._signer(app)
        assert signer is not None and session.sid is not None
        response.set_cookie(
            name,
            signer.sign(session.sid).decode("ascii"),
            expires=self.get_expiration_time(app, session),
            **options,
        )


_opens_lazily_as_defined(StoreSessionInterface)


#: The headers of a response that describe its body, its outcome or how to
#: cache it: not kept on the 503 answer that replaces it (_answer_503).
_NOT_KEPT = frozenset(
    name.lower()
    for name in (
        "Content-Type",
        "Content-Length",
        "Content-Encoding",
        "Content-Range",
        "Content-Disposition",
        "Content-Language",
        "Content-Location",
        "Location",
        "Refresh",
        "Set-Cookie",
        "ETag",
        "Last-Modified",
        "Accept-Ranges",
        "Cache-Control",
        "Expires",
    )
)


def _answer_503(app: Flask, response: Response, error: SessionStoreUnavailable) -> None:
    """Turn ``response`` into the app's 503 answer (its error handler's, or
    the page): its data was not saved, so its body, cookies and redirect go;
    the headers the hooks added (security headers, Vary) stay."""
    try:
        page = app.make_response(app.handle_http_exception(error))
    except Exception:
        app.logger.exception("The 503 error handler failed")
        page = app.make_response(error)
    replaced = _NOT_KEPT | {k.lower() for k, _ in page.headers}
    kept = [(k, v) for k, v in response.headers if k.lower() not in replaced]
    response.headers = Headers([*page.headers, *kept])
    response.status = page.status
    old = response.response
    response.response = page.response
    response.direct_passthrough = page.direct_passthrough
    response._on_close.extend(page._on_close)
    close = getattr(old, "close", None)
    if close is not None:  # (a file sent, say: the page replaces it)
        close()
