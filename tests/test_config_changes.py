"""A setting changed while the app serves holds from the next request on.

An app decides once whether its requests need no host check (no
``TRUSTED_HOSTS``, no subdomain matching), and again when its config says it
changed: each way of changing a kolba ``Config`` must say so, and a config
that cannot (another class, a subclass with its own reading or writing) is
read on every request. Each test runs over both drivers. ``app.config``
itself behaves as Flask's ``Config``.
"""

from __future__ import annotations

import copy
import json
import pickle
import typing as t
from pathlib import Path

import flask
import pytest

import kolba
from kolba import Flask
from kolba.config import Config
from kolba.testing import ASGIClient, KolbaClient

TRUSTED = {"TRUSTED_HOSTS": ["good.test"]}


@pytest.fixture(params=["wsgi", "asgi"])
def driver(request: pytest.FixtureRequest) -> str:
    return t.cast(str, request.param)


def app_with_views() -> Flask:
    app = Flask(__name__)
    app.get("/", endpoint="sync")(lambda: "sync")

    async def in_async() -> str:
        return "async"

    app.get("/async")(in_async)
    app.get("/user/<int:id>", endpoint="user")(lambda id: f"user {id}")
    return app


def statuses(app: Flask, driver: str, host: str) -> set[int]:
    """The statuses of the app's views for a request with this Host."""
    client = (ASGIClient if driver == "asgi" else KolbaClient)(app)
    return {
        client.get(path, headers={"Host": host}).status_code
        for path in ("/", "/async", "/user/7")
    }


def write_pyfile(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


CHANGES: dict[str, t.Callable[[Config, Path], object]] = {
    "item": lambda config, tmp: config.__setitem__("TRUSTED_HOSTS", ["good.test"]),
    "update": lambda config, tmp: config.update(TRUSTED),
    "update keywords": lambda config, tmp: config.update(**TRUSTED),
    "|=": lambda config, tmp: config.__ior__(TRUSTED),
    "setdefault": lambda config, tmp: (
        dict.pop(config, "TRUSTED_HOSTS"),
        config.setdefault("TRUSTED_HOSTS", ["good.test"]),
    ),
    "__init__": lambda config, tmp: config.__init__(tmp, TRUSTED),  # type: ignore[misc]
    "from_mapping": lambda config, tmp: config.from_mapping(TRUSTED),
    "from_object": lambda config, tmp: config.from_object(
        type("Settings", (), {"TRUSTED_HOSTS": ["good.test"]})
    ),
    "from_pyfile": lambda config, tmp: config.from_pyfile(
        write_pyfile(tmp / "settings.py", "TRUSTED_HOSTS = ['good.test']\n")
    ),
    "from_file": lambda config, tmp: config.from_file(
        write_pyfile(tmp / "settings.json", json.dumps(TRUSTED)), json.load
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_trusted_hosts_set_while_serving_hold_from_the_next_request(
    change: str, driver: str, tmp_path: Path
) -> None:
    app = app_with_views()
    assert statuses(app, driver, "bad.test") == {200}
    CHANGES[change](app.config, tmp_path)
    assert statuses(app, driver, "bad.test") == {400}
    assert statuses(app, driver, "good.test") == {200}
    app.config["TRUSTED_HOSTS"] = None
    assert statuses(app, driver, "bad.test") == {200}


def failing_generator() -> t.Iterator[tuple[str, object]]:
    yield "TRUSTED_HOSTS", ["good.test"]
    raise RuntimeError("the rest of the settings failed")


PARTIAL_CHANGES: dict[str, t.Callable[[Config], object]] = {
    "update": lambda config: config.update([*TRUSTED.items(), ("X", 1, 2)]),
    "|=": lambda config: config.__ior__([*TRUSTED.items(), (1,)]),
    "update(generator)": lambda config: config.update(failing_generator()),
}


@pytest.mark.parametrize("change", PARTIAL_CHANGES)
def test_a_change_that_fails_part_way_holds_for_what_it_set(
    change: str, driver: str
) -> None:
    """``update`` sets the items before the one that fails, as Flask's
    config (a dict) does: those hold from the next request (before, the
    app was not told, and a Host not trusted was served)."""
    app = app_with_views()
    assert statuses(app, driver, "bad.test") == {200}
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        PARTIAL_CHANGES[change](app.config)
    assert app.config["TRUSTED_HOSTS"] == ["good.test"]
    assert statuses(app, driver, "bad.test") == {400}


def test_trusted_hosts_from_the_environment_hold_from_the_next_request(
    driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_with_views()
    assert statuses(app, driver, "bad.test") == {200}
    monkeypatch.setenv("KOLBA_TRUSTED_HOSTS", '["good.test"]')
    app.config.from_prefixed_env()
    assert statuses(app, driver, "bad.test") == {400}


@pytest.mark.parametrize(
    "remove",
    [
        lambda config: config.__delitem__("TRUSTED_HOSTS"),
        lambda config: config.pop("TRUSTED_HOSTS"),
    ],
)
def test_trusted_hosts_removed_while_serving_fails_the_request_as_before(
    remove: t.Callable[[Config], object], driver: str
) -> None:
    """Without the setting, each request's read of it fails (the KeyError
    raised to the server, as from Flask), rather than being skipped by the
    decision made before; put back, it holds again."""
    app = app_with_views()
    assert statuses(app, driver, "bad.test") == {200}
    remove(app.config)
    with pytest.raises(KeyError, match="TRUSTED_HOSTS"):
        statuses(app, driver, "bad.test")
    app.config["TRUSTED_HOSTS"] = None
    assert statuses(app, driver, "bad.test") == {200}


@pytest.mark.parametrize("fw", [flask, kolba], ids=["flask", "kolba"])
def test_without_trusted_hosts_a_request_raises_before_its_context(
    fw: t.Any,
) -> None:
    """As Flask's request context reads the key when made, a config that
    lost it has each request raise the KeyError to the WSGI server (its own
    500), before anything of the request runs: no hook, error handler,
    teardown function or log; outside a request the app works."""
    app = fw.Flask(__name__)
    ran: list[str] = []
    app.before_request(lambda: ran.append("before"))
    app.teardown_request(lambda error: ran.append("teardown"))
    app.teardown_appcontext(lambda error: ran.append("appcontext"))
    app.errorhandler(500)(lambda error: (ran.append("500"), ("handled", 500))[1])
    app.errorhandler(KeyError)(lambda error: (ran.append("KeyError"), "handled"))
    app.logger.error = lambda *args, **kwargs: ran.append("logged")
    app.get("/")(lambda: "hello")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    app.config.pop("TRUSTED_HOSTS")
    for _ in range(2):  # (once serving, as before)
        with pytest.raises(KeyError, match="TRUSTED_HOSTS"):
            app(dict(environ), lambda status, headers, exc_info=None: None)
    with pytest.raises(KeyError, match="TRUSTED_HOSTS"):
        app.test_request_context("/")
    with pytest.raises(KeyError, match="TRUSTED_HOSTS"):
        app.test_client().get("/")
    assert ran == []
    with app.app_context():
        assert fw.current_app._get_current_object() is app
    assert ran == ["appcontext"]
    app.config["TRUSTED_HOSTS"] = None
    assert app.test_client().get("/").data == b"hello"


def test_a_config_shared_by_two_apps_tells_both(driver: str) -> None:
    first, second = app_with_views(), app_with_views()
    second.config = first.config
    for app in (first, second):
        assert statuses(app, driver, "bad.test") == {200}
    first.config["TRUSTED_HOSTS"] = ["good.test"]
    for app in (first, second):
        assert statuses(app, driver, "bad.test") == {400}


def test_a_config_left_by_its_app_changes_it_no_more(driver: str) -> None:
    app = app_with_views()
    old = app.config
    app.config = Config(app.root_path, {**old, **TRUSTED})
    assert statuses(app, driver, "bad.test") == {400}
    old["TRUSTED_HOSTS"] = None  # (tells the app, which reads its own)
    assert statuses(app, driver, "bad.test") == {400}
    app.config["TRUSTED_HOSTS"] = None
    assert statuses(app, driver, "bad.test") == {200}


def test_a_config_class_that_reads_its_own_way_is_read_per_request(
    driver: str,
) -> None:
    """A subclass's own __getitem__ may give another value on each call."""
    hosts: list[list[str] | None] = [None]

    class FromOutside(Config):
        def __getitem__(self, key: str) -> t.Any:
            if key == "TRUSTED_HOSTS":
                return hosts[0]
            return super().__getitem__(key)

    app = app_with_views()
    app.config = FromOutside(app.root_path, app.config)
    assert statuses(app, driver, "bad.test") == {200}
    hosts[0] = ["good.test"]
    assert statuses(app, driver, "bad.test") == {400}


def test_a_config_class_with_missing_keys_of_its_own_is_read_per_request(
    driver: str,
) -> None:
    hosts: list[list[str] | None] = [None]

    class Defaults(Config):
        def __missing__(self, key: str) -> t.Any:
            return hosts[0]

    app = app_with_views()
    app.config = Defaults(app.root_path, app.config)
    del app.config["TRUSTED_HOSTS"]
    assert statuses(app, driver, "bad.test") == {200}
    hosts[0] = ["good.test"]
    assert statuses(app, driver, "bad.test") == {400}


def test_a_config_class_with_its_own_init_tells_its_changes(driver: str) -> None:
    class Named(Config):
        def __init__(self, root_path: str, defaults: t.Any, name: str) -> None:
            super().__init__(root_path, defaults)
            self.name = name

    app = app_with_views()
    app.config = Named(app.root_path, app.config, "mine")
    assert statuses(app, driver, "bad.test") == {200}
    app.config.update(TRUSTED)
    assert statuses(app, driver, "bad.test") == {400}


@pytest.mark.parametrize("name", ["update", "pop", "clear", "__delitem__"])
def test_a_config_class_that_changes_its_own_way_is_read_per_request(
    name: str, driver: str
) -> None:
    """A subclass's own method may change it without telling (here, through
    dict's own methods): its settings are read on every request."""

    class Untold(Config):
        pass

    setattr(Untold, name, getattr(dict, name))
    app = app_with_views()
    app.config = Untold(app.root_path, app.config)
    assert statuses(app, driver, "bad.test") == {200}
    dict.__setitem__(app.config, "TRUSTED_HOSTS", ["good.test"])
    assert statuses(app, driver, "bad.test") == {400}


def test_config_patched_on_the_class_is_read_per_request(
    driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Config, "__setitem__", dict.__setitem__)
    app = app_with_views()
    assert statuses(app, driver, "bad.test") == {200}
    app.config["TRUSTED_HOSTS"] = ["good.test"]
    assert statuses(app, driver, "bad.test") == {400}


def test_subdomain_matching_set_while_serving_holds(driver: str) -> None:
    app = app_with_views()
    app.get("/", subdomain="api", endpoint="api")(lambda: "api")
    app.config["SERVER_NAME"] = "example.test"
    client = (ASGIClient if driver == "asgi" else KolbaClient)(app)
    host = {"Host": "api.example.test"}
    assert client.get("/", headers=host).text == "sync"
    app.subdomain_matching = True
    assert client.get("/", headers=host).text == "api"
    app.subdomain_matching = False
    assert client.get("/", headers=host).text == "sync"


def test_copies_and_pickles_of_the_config_are_watched_by_nobody(
    driver: str,
) -> None:
    app = app_with_views()
    assert statuses(app, driver, "bad.test") == {200}
    copies = [copy.copy(app.config), copy.deepcopy(app.config)]
    copies.append(pickle.loads(pickle.dumps(app.config)))
    for copied in copies:
        assert copied == app.config
        assert vars(copied) == {"root_path": app.root_path}
        copied["TRUSTED_HOSTS"] = ["good.test"]
        assert statuses(app, driver, "bad.test") == {200}


def test_an_app_is_freed_while_its_config_lives() -> None:
    app = Flask(__name__)
    config = app.config
    del app
    import gc

    gc.collect()
    assert not list(config._watchers)
    config["X"] = 1  # (tells nobody)


def _steps() -> list[tuple[str, tuple[t.Any, ...], dict[str, t.Any]]]:
    return [
        ("__setitem__", ("A", 1), {}),
        ("update", ({"B": 2},), {"C": 3}),
        ("update", ([("D", 4)],), {}),
        ("update", ([("E",)],), {}),  # (ValueError)
        ("update", (1,), {}),  # (TypeError)
        ("setdefault", ("A", 9), {}),
        ("setdefault", ("F",), {}),
        ("pop", ("B",), {}),
        ("pop", ("B",), {}),  # (KeyError)
        ("pop", ("B", "default"), {}),
        ("__delitem__", ("C",), {}),
        ("__delitem__", ("C",), {}),  # (KeyError)
        ("__ior__", ({"G": 7},), {}),
        ("__ior__", (1,), {}),  # (NotImplemented)
        ("popitem", (), {}),
        ("from_mapping", ({"H": 8, "lower": 0},), {"I": 9}),
        ("get", ("H",), {}),
        ("__contains__", ("I",), {}),
        ("copy", (), {}),
        ("clear", (), {}),
        ("popitem", (), {}),  # (KeyError)
    ]


def test_the_config_changes_as_flasks_does() -> None:
    """Each of dict's ways to change it gives, returns and raises what it
    does on Flask's Config, and leaves the same items."""
    ours = Config("/root", {"Z": 0})
    theirs = flask.Config("/root", {"Z": 0})

    def outcome(config: dict[str, t.Any], name: str, args: t.Any, kw: t.Any) -> t.Any:
        try:
            rv = getattr(config, name)(*args, **kw)
        except Exception as e:
            return type(e), str(e)
        if rv is config:
            return "self"
        return (type(rv) if isinstance(rv, dict) else None, rv)

    for name, args, kw in _steps():
        assert outcome(ours, name, args, kw) == outcome(theirs, name, args, kw), name
        assert list(ours.items()) == list(theirs.items()), name
    assert isinstance(ours, dict)
    assert ours.root_path == theirs.root_path
    ours |= {"J": 1}
    theirs |= {"J": 1}
    assert ours == theirs and ours | {"K": 2} == theirs | {"K": 2}
    assert type(ours | {}) is type(theirs | {}) is dict
