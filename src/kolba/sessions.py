"""Sessions: the ``session`` object and the interface that loads and saves it.

The default, :class:`SecureCookieSessionInterface`, keeps the whole session in
a cookie signed with the app's ``SECRET_KEY``, in exactly Flask's format, so
users of a Flask app stay logged in when it moves to kolba. Set
``app.session_interface`` to another :class:`SessionInterface` to keep sessions
elsewhere (a database, a cache).

The app opens kolba's own sessions only when a request first touches
``session`` and saves them only if opened (or their cookie came), so a request
that never uses one pays nothing. Another interface (a subclass, or one whose
methods were changed) is opened when the request context is pushed and saved
after every response, as Flask does (see :func:`opens_lazily`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import warnings
import zlib
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable, MutableMapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from itsdangerous import (
    BadData,
    BadPayload,
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from werkzeug.sansio.request import Request as _WzRequest

from .globals import _NO_CTX, _cv_ctx
from .json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values
    from collections.abc import Iterable, Iterator, Mapping

    from .app import Flask
    from .session_stores import SessionStore, StoreSessionInterface
    from .wrappers import Request, Response

__all__ = [
    "DefaultSessionInterface",
    "NullSession",
    "SecretKeyWarning",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
    "session_store",
]


_MISSING: Any = object()  # (no default given)


class SessionMixin(MutableMapping[str, Any]):
    """What every session object offers on top of being a mapping."""

    #: Whether the session was created in this request (not loaded from the
    #: client). Interfaces that know it set it; the cookie session cannot.
    new = False
    #: Whether the session was changed and must be saved. Changes inside a
    #: mutable value (``session["cart"].append(x)``) are not seen: set this
    #: to ``True`` by hand after them.
    modified = True
    #: Whether the session was read or written; if so the response gets
    #: ``Vary: Cookie``. The request context sets it when it hands out a
    #: session that does not note its reads itself (as Flask 3.1.3).
    accessed = False

    @property
    def permanent(self) -> bool:
        """Whether the session outlives the browser session (its ``_permanent`` key).

        A permanent session expires after ``PERMANENT_SESSION_LIFETIME``.
        """
        permanent: bool = self.get("_permanent", False)
        return permanent

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    def regenerate(self) -> None:
        """Give the session a new id, invalidating the old one, and keep its
        data: call it at login. A server-side session (``SESSION_STORE``)
        moves to a new record; a cookie session, which has no id and cannot
        be revoked, is only sent again."""
        self.modified = True


class SecureCookieSession(dict[str, Any], SessionMixin):
    """The session of :class:`SecureCookieSessionInterface`: a dict that notes use.

    Any write sets ``modified`` (and ``accessed``); any read sets ``accessed``.
    Membership tests and iteration count as reads, so a response that depends
    on whether a key is present also gets ``Vary: Cookie``.
    """

    modified = False
    accessed = False

    def __init__(
        self, initial: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
    ) -> None:
        if initial is None:
            super().__init__()
        else:
            super().__init__(initial)

    # Reads.

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def keys(self) -> dict_keys[str, Any]:
        self.accessed = True
        return super().keys()

    def values(self) -> dict_values[str, Any]:
        self.accessed = True
        return super().values()

    def items(self) -> dict_items[str, Any]:
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, Any]:
        self.accessed = True
        return super().copy()

    # Comparing or printing the session reads all of it (``session == {}``,
    # ``str(session)``, ``{{ session }}`` in a template): the page then depends
    # on the cookie, and a shared cache must know it.

    def __eq__(self, other: object) -> bool:
        self.accessed = True
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        self.accessed = True
        return super().__ne__(other)

    __hash__ = None  # type: ignore[assignment]

    # Writes.

    def _changed(self) -> None:
        self.modified = True
        self.accessed = True

    def __setitem__(self, key: str, value: Any) -> None:
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        # A missing key is a KeyError that changes nothing: no cookie.
        if super().__contains__(key):
            self._changed()
        else:
            self.accessed = True
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        # Marked modified even if the key exists, so that
        # ``session.setdefault("cart", []).append(item)`` is saved.
        self._changed()
        return super().setdefault(key, default)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        # Popping a missing key with a default changes nothing: no cookie.
        if super().__contains__(key):
            self._changed()
        else:
            self.accessed = True
        if default is _MISSING:
            return super().pop(key)
        return super().pop(key, default)

    def popitem(self) -> tuple[str, Any]:
        if dict.__len__(self):  # (an empty one: a KeyError, as __delitem__)
            self._changed()
        else:
            self.accessed = True
        return super().popitem()

    def clear(self) -> None:
        self._changed()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().update(*args, **kwargs)

    # mypy finds no __ior__ of a dict subclass compatible with dict's generic
    # __or__ (typeshed's own signature fails too)
    def __ior__(self, other: Any) -> SecureCookieSession:  # type: ignore[override,misc]
        self._changed()
        super().update(other)
        return self

    def __repr__(self) -> str:  # str() and templates come here too
        self.accessed = True
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class NullSession(SecureCookieSession):
    """The session when no secret key is set: reads as empty, refuses writes."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "There is no session to write to: the app has no secret key to sign"
            " the session cookie with. Set app.secret_key (the SECRET_KEY"
            " setting) to a long random value that is kept secret."
        )

    __setitem__ = __delitem__ = setdefault = pop = popitem = clear = update = _fail
    __ior__ = _fail


class SessionInterface:
    """How the app loads and saves sessions; subclass it to store them elsewhere.

    Implement :meth:`open_session` and :meth:`save_session`; the ``get_cookie_*``
    helpers read the ``SESSION_COOKIE_*`` settings. ``open_session`` returning
    ``None`` makes the app use :meth:`make_null_session`.
    """

    #: The session used when :meth:`open_session` returns ``None``.
    null_session_class: type[SessionMixin] = NullSession
    #: Whether the interface stores values with pickle (informational).
    pickle_based = False

    def make_null_session(self, app: Flask) -> SessionMixin:
        """A session that works for reading but cannot be written."""
        return self.null_session_class()

    def renews_unused_session(self, app: Flask) -> bool:
        """Whether a session the request never used is still loaded and saved
        when its cookie comes (``SESSION_REFRESH_EACH_REQUEST``), as Flask
        renews a permanent cookie. Server-side sessions are renewed on use."""
        return True

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is the null session (which is never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Flask) -> str:
        """``SESSION_COOKIE_NAME``."""
        name: str = app.config["SESSION_COOKIE_NAME"]
        return name

    def get_cookie_domain(self, app: Flask) -> str | None:
        """``SESSION_COOKIE_DOMAIN``; ``None`` means the request's host only."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Flask) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        config = app.config
        path: str = config["SESSION_COOKIE_PATH"] or config["APPLICATION_ROOT"]
        return path

    def get_cookie_httponly(self, app: Flask) -> bool:
        """``SESSION_COOKIE_HTTPONLY``: hide the cookie from JavaScript."""
        httponly: bool = app.config["SESSION_COOKIE_HTTPONLY"]
        return httponly

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``: send the cookie over HTTPS only. A cookie
        set in answer to an HTTPS request is secure whatever the setting: a
        browser must not send it back over plain HTTP."""
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        ctx = _cv_ctx.get(_NO_CTX)[1]
        return ctx is not None and ctx.request.scheme in ("https", "wss")

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``SESSION_COOKIE_SAMESITE`` (kolba's default: ``"Lax"``)."""
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (CHIPS)."""
        partitioned: bool = app.config["SESSION_COOKIE_PARTITIONED"]
        return partitioned

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` for a browser session."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Whether to send the cookie: the session changed, or it is permanent
        and ``SESSION_REFRESH_EACH_REQUEST`` renews its expiry on every request.
        """
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Load the session for ``request``; ``None`` means "use a null session"."""
        raise NotImplementedError

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Persist ``session`` and set what ``response`` needs (cookie, ``Vary``)."""
        raise NotImplementedError

    # A method (or setting) of kolba's own interface set on the instance, or
    # deleted from it, after the apps started serving: they decide again
    # whether they open its sessions lazily (opens_lazily); only then.
    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        _instance_changed(self, name)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        _instance_changed(self, name)


class SecretKeyWarning(UserWarning):
    """``SECRET_KEY`` is too short or a well-known placeholder to keep
    sessions from being forged."""


#: Keys that tutorials and templates use: anyone can sign with them.
_PLACEHOLDER_KEYS = frozenset(
    {
        "dev",
        "development",
        "secret",
        "secret-key",
        "secret_key",
        "changeme",
        "change-me",
        "change_me",
        "your-secret-key",
        "test",
        "key",
    }
)


def signing_keys(app: Flask) -> tuple[str | bytes, ...]:
    """The app's keys, oldest first: ``SECRET_KEY_FALLBACKS``, then ``SECRET_KEY``.

    Checked when a signer is built for them (the first request that uses the
    session): fallbacks given as one string, not a list, are a ``TypeError``
    (each character would be a key); a key shorter than 16 bytes or a
    placeholder is a :class:`SecretKeyWarning`, except in ``TESTING`` mode.
    """
    secret_key = app.secret_key
    if not secret_key:
        raise RuntimeError("The app has no SECRET_KEY to sign sessions with.")
    fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
    if isinstance(fallbacks, (str, bytes)):
        raise TypeError(
            "SECRET_KEY_FALLBACKS must be a list of old keys, not a single"
            f" {type(fallbacks).__name__}: write [{fallbacks!r}]."
        )
    if not app.config.get("TESTING"):
        raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if len(raw) < 16 or raw.decode("latin-1").lower() in _PLACEHOLDER_KEYS:
            warnings.warn(
                "SECRET_KEY is shorter than 16 bytes or a well-known"
                " placeholder: anyone who guesses it can forge sessions. Use a"
                " long random value, such as the output of"
                " 'python -c \"import secrets; print(secrets.token_hex())\"'.",
                SecretKeyWarning,
                stacklevel=2,
            )
    return (*fallbacks, secret_key)


_T = TypeVar("_T")


def _for_signing_keys(
    owner: Any,
    attr: str,
    app: Flask,
    build: Callable[[tuple[str | bytes, ...]], _T],
    *params: Any,
) -> _T | None:
    """``build(keys)`` for the app's :func:`signing_keys`, kept on
    ``owner.attr`` until the keys or ``params`` (what else ``build`` reads:
    the salt, serializer, digest... which may be changed on the interface, to
    invalidate every session) change; ``None`` without a secret key."""
    secret_key = app.secret_key
    if not secret_key:
        return None
    keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), secret_key)
    cached = getattr(owner, attr)
    if cached is not None and cached[0] == (keys, params):
        return cached[1]  # type: ignore[no-any-return]
    value = build(signing_keys(app))
    setattr(owner, attr, ((keys, params), value))
    return value


#: The serializer of session cookie values.
session_json_serializer = TaggedJSONSerializer()


def _sha1(string: bytes = b"") -> Any:
    # Looked up when first used, not at import: FIPS builds of Python may lack
    # SHA-1, and an app there must still import kolba to set another digest.
    return hashlib.sha1(string)


_derived_keys: dict[tuple[Any, ...], bytes] = {}


class _KeyCachingSigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving each key once: itsdangerous
    derives it again (one more HMAC) on every sign and every unsign."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is None:
            secret_key = self.secret_keys[-1]
        cache_key = (secret_key, self.salt, self.key_derivation, self.digest_method)
        key = _derived_keys.get(cache_key)
        if key is None:
            if len(_derived_keys) > 64:  # keys rotated many times: start over
                _derived_keys.clear()
            key = _derived_keys[cache_key] = super().derive_key(secret_key)
        return key


def _b64(data: bytes) -> bytes:
    return urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    try:
        return urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    except ValueError:
        raise BadPayload("not base64") from None


class _CookieCodec:
    """Flask's session cookie, as itsdangerous's ``URLSafeTimedSerializer``
    writes it (``payload.timestamp.signature``, HMAC keys derived from the
    salt), byte for byte, with the keyed HMACs built once per key set.

    PERF: itsdangerous builds two signers, derives the key again and starts
    each HMAC from the raw key on every cookie; this does not (a 2-key
    session, callgrind: loads 121,965 -> 49,632 instructions, dumps 198,384
    -> 143,932).
    """

    __slots__ = ("macs", "serializer")

    def __init__(
        self, keys: tuple[str | bytes, ...], salt: str, digest: Any, serializer: Any
    ) -> None:
        salt_bytes = salt.encode()
        self.macs = [  # newest first: the first signs, all verify
            hmac.new(
                hmac.new(
                    k.encode() if isinstance(k, str) else k, salt_bytes, digest
                ).digest(),
                digestmod=digest,
            )
            for k in reversed(keys)
        ]
        self.serializer = serializer

    def _signature(self, mac: Any, value: bytes) -> bytes:
        mac = mac.copy()
        mac.update(value)
        return _b64(mac.digest())

    def dumps(self, obj: Any) -> str:
        data = self.serializer.dumps(obj).encode()
        # PERF: kept compressed only when 2+ bytes shorter, as Flask does; a
        # zlib stream is >= 9 bytes, so 10 bytes or fewer never are: skip
        # zlib.compress: a session {"n": 1} written 301,512 -> 215,045 per request.
        compressed = zlib.compress(data) if len(data) > 10 else data
        if len(compressed) < len(data) - 1:
            payload = b"." + _b64(compressed)
        else:
            payload = _b64(data)
        stamp = _b64(int(time.time()).to_bytes(8, "big").lstrip(b"\x00"))
        value = payload + b"." + stamp
        return (value + b"." + self._signature(self.macs[0], value)).decode()

    def loads(self, cookie: str, max_age: int) -> Any:
        """The value; :class:`itsdangerous.BadData` if forged, old or malformed."""
        try:
            raw = cookie.encode("ascii")
        except UnicodeEncodeError:
            raise BadSignature("not ASCII") from None
        value, _, signature = raw.rpartition(b".")
        if not any(
            hmac.compare_digest(self._signature(mac, value), signature)
            for mac in self.macs
        ):
            raise BadSignature("signature does not match")
        payload, _, stamp = value.rpartition(b".")
        if not payload:
            raise BadSignature("no timestamp")
        age = int(time.time()) - int.from_bytes(_unb64(stamp), "big")
        if age > max_age or age < 0:
            raise SignatureExpired("too old")
        if payload[:1] == b".":
            try:
                data = zlib.decompress(_unb64(payload[1:]))
            except zlib.error:
                raise BadPayload("not zlib") from None
        else:
            data = _unb64(payload)
        try:
            return self.serializer.loads(data.decode())
        except Exception as e:
            raise BadPayload("not a session") from e


_PARSED_COOKIES = _WzRequest.cookies


def _cookie_value(request: Request, name: str) -> str | None:
    """The first cookie ``name`` of the request, as ``request.cookies.get``.

    PERF: without quotes in the header (which could hide a ``;``), the one
    cookie is found by splitting on ``;`` instead of parsing them all (~4 µs).
    A segment werkzeug would skip (blanks inside the value) is skipped too.
    """
    environ = getattr(request, "environ", None)  # a sans-IO request has none
    raw: str | None = None if environ is None else environ.get("HTTP_COOKIE")
    if (
        environ is None
        or (raw and '"' in raw)
        # (the request proxy, given by an extension: its cookies, as Flask)
        or getattr(type(request), "cookies", None) is not _PARSED_COOKIES
        or "cookies" in request.__dict__
    ):
        return request.cookies.get(name)
    if not raw:
        # PERF: no Cookie header: werkzeug would parse nothing into an empty
        # MultiDict; a session read 146,094 -> 93,255 instructions per request.
        return None
    for part in raw.split(";"):
        key, _, value = part.partition("=")
        if key.strip(" \t") == name:
            value = value.strip(" \t")
            if " " not in value and "\t" not in value:
                return value
    return None


def _vary_cookie(response: Response) -> None:
    """Add ``Vary: Cookie``, parsing the header only when it is already set.

    PERF: ``response.vary.add`` parses and rewrites the header (~8 µs), and
    ``"Vary" in headers`` raises a KeyError inside werkzeug when it is absent.
    """
    headers = response.headers
    if headers.getlist("Vary"):
        response.vary.add("Cookie")
    else:
        headers.add("Vary", "Cookie")


class SecureCookieSessionInterface(SessionInterface):
    """Sessions kept in a cookie signed with ``SECRET_KEY`` (Flask's format).

    The values are tagged JSON, readable by the client but not forgeable.
    ``SECRET_KEY_FALLBACKS`` lists old keys that still verify during a key
    rotation; the current key signs. A cookie that is tampered with, malformed
    or older than ``PERMANENT_SESSION_LIFETIME`` gives an empty session.
    """

    salt = "cookie-session"
    digest_method = staticmethod(_sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class: type[SecureCookieSession] = SecureCookieSession

    #: The last serializer built and the keys it was built for.
    _signing: tuple[Any, URLSafeTimedSerializer] | None = None
    #: The same for the codec that open and save use (with the salt, digest
    #: and serializer it was built with).
    _coding: tuple[Any, str, Any, Any, _CookieCodec] | None = None

    def _codec(self, app: Flask) -> Any:
        """What signs and reads cookies: kolba's faster codec of the same
        bytes, unless a subclass builds its own signing serializer or asks
        for another key derivation. Built again when the keys, the salt, the
        digest or the serializer change (a new salt invalidates every
        session, as in Flask, which builds its serializer per request)."""
        if (
            type(self).get_signing_serializer is not _GET_SIGNING_SERIALIZER
            or self.key_derivation != "hmac"
        ):
            return self.get_signing_serializer(app)
        # PERF: _for_signing_keys's check inline, without its call, closure
        # and tuples: _codec 7,536 (keyed by the keys only) -> 6,040 instructions
        secret_key = app.secret_key
        if not secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), secret_key)
        salt, digest, serializer = self.salt, self.digest_method, self.serializer
        cached = self._coding
        if (
            cached is not None
            and cached[0] == keys
            and cached[1] is salt
            and cached[2] is digest
            and cached[3] is serializer
        ):
            return cached[4]
        codec = _CookieCodec(
            signing_keys(app), salt, "sha1" if digest is _sha1 else digest, serializer
        )
        self._coding = (keys, salt, digest, serializer, codec)
        return codec

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The signer for the app's current keys, or ``None`` without a secret key."""
        return _for_signing_keys(
            self,
            "_signing",
            app,
            self._make_serializer,
            self.salt,
            self.serializer,
            self.key_derivation,
            self.digest_method,
        )

    def _make_serializer(self, keys: tuple[str | bytes, ...]) -> URLSafeTimedSerializer:
        digest, derivation = self.digest_method, self.key_derivation
        return URLSafeTimedSerializer(
            # oldest first: itsdangerous signs with the last (and takes str and
            # bytes keys mixed, though its annotation wants one kind)
            list(keys),  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            # PERF: with its key cached and hmac's OpenSSL path (a digest name,
            # not a function): a 2-key session's loads 121,965 -> 101,271
            # instructions, dumps 198,384 -> 178,400.
            signer=_KeyCachingSigner,
            signer_kwargs={
                "key_derivation": derivation,
                # (a name only where hmac takes it: another derivation calls
                # the digest function)
                "digest_method": (
                    "sha1" if digest is _sha1 and derivation == "hmac" else digest
                ),
            },
        )

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        signer = self._codec(app)
        if signer is None:
            return None
        value = _cookie_value(request, self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = signer.loads(value, max_age=max_age)
        except BadData:  # bad signature, expired, or a payload that is not ours
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        partitioned = self.get_cookie_partitioned(app)
        accessed = session.accessed  # before the checks below read the session
        if accessed:  # (before Set-Cookie, as Flask sends them)
            _vary_cookie(response)

        if not session:
            # Emptied in this request: remove the cookie. Never had one: nothing.
            if session.modified:
                response.delete_cookie(
                    name,
                    path=path,
                    domain=domain,
                    secure=secure,
                    samesite=samesite,
                    httponly=httponly,
                    partitioned=partitioned,
                )
                if not accessed:
                    _vary_cookie(response)
            return

        if not self.should_set_cookie(app, session):
            return

        signer = self._codec(app)
        assert signer is not None, "a session with values implies a secret key"
        response.set_cookie(
            name,
            signer.dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            path=path,
            domain=domain,
            secure=secure,
            samesite=samesite,
            httponly=httponly,
            partitioned=partitioned,
        )
        if not accessed:  # (refreshed unread: after Set-Cookie, as Flask)
            _vary_cookie(response)


_GET_SIGNING_SERIALIZER = SecureCookieSessionInterface.get_signing_serializer

#: kolba's own interface classes, whose sessions are opened on first use,
#: with their attributes as defined (a change since makes them Flask's way).
_LAZY_CLASSES: dict[type[SessionInterface], dict[str, Any]] = {}


def _opens_lazily_as_defined(cls: type[SessionInterface]) -> None:
    """Record ``cls`` (one of kolba's own interfaces) for :func:`opens_lazily`."""
    _LAZY_CLASSES[cls] = {
        name: getattr(cls, name) for name in dir(cls) if not name.startswith("__")
    }


def _instance_changed(interface: SessionInterface, name: str) -> None:
    own = _LAZY_CLASSES.get(type(interface))
    if own is not None and name in own and not name.startswith("_"):
        from .app import _serving_decide_again  # (kolba.app imports this module)

        _serving_decide_again()


def opens_lazily(interface: SessionInterface) -> bool:
    """Whether the app may open ``interface``'s sessions on first use and save
    them only when used: it is an instance of kolba's own class, with every
    method as kolba defines it. Any other interface (a subclass too) is
    opened at every request and saved after every response, as in Flask: its
    methods may count calls or set headers (decided as the app starts serving,
    and again when one is set on the interface or deleted from it; not for a
    method patched on kolba's class after that)."""
    own = _LAZY_CLASSES.get(type(interface))
    if own is None:
        return False
    if any(not name.startswith("_") and name in own for name in vars(interface)):
        return False  # a method set on the instance
    return all(getattr(type(interface), name) is value for name, value in own.items())


_STORE_KEY = "kolba.session_store"  # app.extensions: (SESSION_STORE, interface)


class DefaultSessionInterface(SecureCookieSessionInterface):
    """The app's default: signed cookie sessions while ``SESSION_STORE`` is
    ``None``, else a server-side store (see :mod:`kolba.session_stores`)."""

    def _store_interface(self, app: Flask) -> StoreSessionInterface:
        value = app.config["SESSION_STORE"]
        cached = app.extensions.get(_STORE_KEY)
        if cached is None or cached[0] is not value:
            from .session_stores import StoreSessionInterface, store_from_config

            interface = StoreSessionInterface(store_from_config(app, value))
            cached = app.extensions[_STORE_KEY] = (value, interface)
        interface = cached[1]
        return interface

    def renews_unused_session(self, app: Flask) -> bool:
        return app.config["SESSION_STORE"] is None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.config["SESSION_STORE"] is None:
            return super().open_session(app, request)
        return self._store_interface(app).open_session(app, request)

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        if app.config["SESSION_STORE"] is None:
            super().save_session(app, session, response)
        else:
            self._store_interface(app).save_session(app, session, response)


_opens_lazily_as_defined(SecureCookieSessionInterface)
_opens_lazily_as_defined(DefaultSessionInterface)


def session_store(app: Flask) -> SessionStore | None:
    """The store the app keeps sessions in, or ``None`` (cookie sessions)."""
    interface: SessionInterface = app.session_interface
    if isinstance(interface, DefaultSessionInterface):
        if app.config["SESSION_STORE"] is None:
            return None
        interface = interface._store_interface(app)
    store: SessionStore | None = getattr(interface, "store", None)
    return store
