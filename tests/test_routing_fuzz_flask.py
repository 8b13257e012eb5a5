"""Random apps and requests, answered by Flask and by kolba under both drivers.

Each seed makes the same app on Flask and on kolba: rules of static text and
variables (``string``, ``int``, ``float``, ``path``, ``uuid``, ``any``, with
their options, alone or inside a segment), trailing slashes, per-rule
``strict_slashes`` and ``merge_slashes``, methods, defaults (a rule that
provides another's), ``redirect_to`` (text or a function), subdomains or host
matching, and map settings set before or after the rules. Random requests
(paths made from the rules, then changed; methods; hosts; a query string)
must get the same status, ``Location``, ``Allow`` and body (the endpoint and
its values) from Flask and from kolba's WSGI and ASGI entries; ``url_for``
of random values the same URL or the same error.

Left out, as README says: a rule with no host under host matching, a host
outside ``SERVER_NAME``, a converter's ``ValueError`` other than a
``ValidationError`` (a custom converter's ``int()`` of a word), the redirect of a
rule on a ``default_subdomain`` without ``subdomain_matching``, a rule whose
path starts with ``//`` (``merge_slashes=False``: Flask redirects ``/`` to
``/`` for a rule ``//``); and where Flask fails: an alias whose URL is the
request's (Flask redirects it to itself) or cannot be built (a 500).
"""

from __future__ import annotations

import os
import random
import re
import typing as t
import uuid
from urllib.parse import unquote

import flask
import pytest
from werkzeug.routing import BaseConverter, ValidationError

import kolba
from kolba.testing import ASGIClient

# (FUZZ_SEEDS=2000 runs more of them)
SEEDS = range(int(os.environ.get("FUZZ_SEEDS", "80")))
WORDS = ["a", "b", "ab", "café", "x1", "é"]
UUIDS = ["12345678-1234-5678-1234-567812345678", "ABCDEF01-2345-6789-abcd-ef0123456789"]
CONVERTERS: dict[str, list[str]] = {
    "default": [""],
    "string": [
        "string:",
        "string(minlength=2):",
        "string(length=2):",
        "string(maxlength=1):",
    ],
    "int": ["int:", "int(signed=True):", "int(min=2, max=40):", "int(fixed_digits=3):"],
    "float": ["float:", "float(signed=True):"],
    "path": ["path:"],
    "uuid": ["uuid:"],
    "any": ["any(red, blue):", "any(a, b):"],
    "odd": ["odd:"],
}
# text a request may hold where a variable is
RAW: dict[str, list[str]] = {
    "default": ["ab", "x", "é", "7", "a%2Fb", "%C3%A9"],
    "string": ["ab", "x", "abc", "a b", "a%20b"],
    "int": ["42", "3", "-5", "007", "x", "1.5"],
    "float": ["1.5", "-2.25", "3", "x"],
    "path": ["a/b", "x", "a/b/", "red"],
    "uuid": UUIDS + ["1234"],
    "any": ["red", "blue", "a", "green"],
    "odd": ["3", "4", "x"],
}
# values url_for may be given for a variable
VALUES: dict[str, list[t.Any]] = {
    "default": ["ab", "a/b", "é", 3, "a b"],
    "string": ["ab", "x", "abc"],
    "int": [42, 3, -5, 0, "7", "x"],
    "float": [1.5, -2.25, 3],
    "path": ["a/b", "x", "a/b/"],
    "uuid": [uuid.UUID(UUIDS[0]), UUIDS[1]],
    "any": ["red", "blue", "a", "green"],
    "odd": [3, 4],
}
VARIABLE = re.compile(r"<(?:[^<>]*:)?(\w+)>")
METHODS = [
    None,
    None,
    None,
    ["POST"],
    ["GET", "POST"],
    ["PUT", "GET"],
    ["GET", "OPTIONS"],
]


def view(**kwargs: t.Any) -> str:
    """The endpoint and its values, as both frameworks give them."""
    args = sorted((k, type(v).__name__, str(v)) for k, v in kwargs.items())
    return f"{flask_or_kolba_endpoint()}|{args}"


def flask_or_kolba_endpoint() -> str:
    # (the view runs under one of them: the request of the one serving)
    for fw in (kolba, flask):
        if fw.has_request_context():
            return str(fw.request.endpoint)
    raise AssertionError("no request")


class Odd(BaseConverter):
    """Digits; odd numbers only (a ValidationError for the rest)."""

    regex = r"\d{1,4}"

    def to_python(self, value: str) -> int:
        if int(value) % 2 == 0:
            raise ValidationError()
        return int(value)

    def to_url(self, value: t.Any) -> str:
        if int(value) % 2 == 0:
            raise ValidationError()
        return str(value)


def to_fn(adapter: t.Any, **values: t.Any) -> str:
    """A ``redirect_to`` function: a path naming the values."""
    return "/to/" + "-".join(f"{k}{values[k]}" for k in sorted(values))


class Spec:
    """One random app: its mode, map settings and rules."""

    def __init__(self, seed: int) -> None:
        rnd = self.rnd = random.Random(seed)
        self.mode = rnd.choice(["plain", "plain", "subdomain", "host"])
        self.settings: dict[str, t.Any] = {
            name: not getattr(flask.Flask.url_map_class(), name)
            for name in (
                "strict_slashes",
                "merge_slashes",
                "redirect_defaults",
                "sort_parameters",
            )
            if rnd.random() < 0.25
        }
        if self.mode == "subdomain" and rnd.random() < 0.3:
            self.settings["default_subdomain"] = "api"
        self.late = rnd.random() < 0.3  # the settings set after the rules
        if self.late and self.mode == "plain" and rnd.random() < 0.2:
            self.settings["host_matching"] = True  # (the rules on no host)
        # (rule path, endpoint, kind of each variable, options)
        self.rules: list[tuple[str, str, dict[str, str], dict[str, t.Any]]] = []
        for i in range(rnd.randint(3, 12)):
            self._rule(f"e{i}")

    def _rule(self, endpoint: str) -> None:
        rnd = self.rnd
        kinds: dict[str, str] = {}
        parts = []
        for _ in range(rnd.randint(0, 3)):
            roll = rnd.random()
            if roll < 0.45:
                parts.append(rnd.choice(WORDS[:5]))
            else:
                kind = rnd.choice(list(CONVERTERS))
                name = f"v{len(kinds)}"
                kinds[name] = kind
                var = f"<{rnd.choice(CONVERTERS[kind])}{name}>"
                parts.append(var if roll < 0.9 else f"f{var}.txt")
        path = "/" + "/".join(parts)
        if parts and rnd.random() < 0.3:
            path += "/"
        if rnd.random() < 0.1 and len(path) > 1:
            # (not at the start: see the docstring)
            head, _, tail = path.rpartition("/")
            path = f"{head}//{tail}"
        options: dict[str, t.Any] = {"methods": rnd.choice(METHODS)}
        if rnd.random() < 0.2:
            options["strict_slashes"] = rnd.random() < 0.5
        if rnd.random() < 0.1:
            options["merge_slashes"] = rnd.random() < 0.5
        if rnd.random() < 0.05:
            options["build_only"] = True
        if rnd.random() < 0.05:
            options["provide_automatic_options"] = False
        if self.mode == "subdomain" and rnd.random() < 0.5:
            options["subdomain"] = rnd.choice(["api", "<sub>"])
            if options["subdomain"] == "<sub>":
                kinds["sub"] = "default"
        if self.mode == "host":
            options["host"] = rnd.choice(
                ["a.test", "b.test", "<h>.test", "a.test:8080", "<h>.a.test"]
            )
            if options["host"] == "<h>.test":
                kinds["h"] = "default"
        roll = rnd.random()
        if roll < 0.1:
            # (werkzeug's targets name variables without their converter)
            options["redirect_to"] = "/moved" + VARIABLE.sub(r"<\1>", path)
        elif roll < 0.15:
            options["redirect_to"] = to_fn
        self.rules.append((path, endpoint, kinds, options))
        if kinds and rnd.random() < 0.25:
            # a rule of the same endpoint without one variable, its default
            name = rnd.choice([n for n in kinds if n not in ("sub", "h")] or [""])
            if name:
                fewer = {k: v for k, v in kinds.items() if k != name}
                kind = kinds[name]
                short = "/d" + "".join(
                    f"/<{n}>" for n in fewer if n not in ("sub", "h")
                )
                defaults = {
                    name: VALUES[kind][0] if kind != "uuid" else uuid.UUID(UUIDS[0])
                }
                if kind == "float":
                    defaults[name] = 1.5
                self.rules.append(
                    (
                        short,
                        endpoint,
                        fewer,
                        {**options, "defaults": defaults, "redirect_to": None},
                    )
                )
        elif rnd.random() < 0.15 and options.get("redirect_to") is None:
            # an alias, which redirects to the rule's URL for its values
            alias = "/al" + "".join(
                f"/<{n}>" for n, k in kinds.items() if n not in ("sub", "h")
            )
            self.rules.append((alias, endpoint, kinds, {**options, "alias": True}))

        if (
            self.rules[-1][1] == endpoint
            and self.mode == "plain"
            and rnd.random() < 0.2
        ):
            # (a rule alone on its endpoint) in a blueprint mounted at /bp
            full = "/bp/" + path.lstrip("/")
            self.rules[-1] = (full, "bp." + endpoint, kinds, {**options, "_bp": path})

    def app(self, fw: t.Any) -> t.Any:
        kwargs: dict[str, t.Any] = {"static_folder": None}
        if self.mode == "host":
            kwargs["host_matching"] = True
        if self.mode == "subdomain":
            kwargs["subdomain_matching"] = True
        app = fw.Flask("fuzz_app", **kwargs)
        app.config["TESTING"] = True
        if self.mode == "subdomain":
            app.config["SERVER_NAME"] = "example.com"
        else:
            app.config["TRUSTED_HOSTS"] = ["localhost", ".test"]
        app.url_map.converters["odd"] = Odd
        if not self.late:
            self._set(app)
        bp = fw.Blueprint("bp", __name__, url_prefix="/bp")
        for path, endpoint, _, options in self.rules:
            if "_bp" in options:
                options = dict(options)
                bp.add_url_rule(options.pop("_bp"), endpoint[3:], view, **options)
            else:
                app.add_url_rule(path, endpoint, view, **options)
        app.register_blueprint(bp)
        if self.late:
            self._set(app)
        return app

    def _set(self, app: t.Any) -> None:
        for name, value in self.settings.items():
            setattr(app.url_map, name, value)

    def hosts(self) -> list[str]:
        if self.mode == "subdomain":
            return [
                "example.com",
                "api.example.com",
                "x.example.com",
                "API.example.com",
            ]
        if self.mode == "host":
            return ["a.test", "b.test", "c.test", "B.test", "a.test:8080", "x.a.test"]
        return ["localhost"]

    def request(self) -> tuple[str, str, str]:
        """(method, host, path with maybe a query string)."""
        rnd = self.rnd
        path, _, kinds, _ = rnd.choice(self.rules)
        path = VARIABLE.sub(lambda m: rnd.choice(RAW[kinds[m[1]]]), path)
        roll = rnd.random()
        if roll < 0.15:
            path = path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"
        elif roll < 0.25:
            # (a path "//..." is a URL with a host to the test client: "//"
            # is an empty path)
            head, _, tail = path.rpartition("/")
            path = f"{head}//{tail}"
        elif roll < 0.3:
            path = "/" + rnd.choice(WORDS) + path
        if rnd.random() < 0.2:
            path += "?q=1&r=%C3%A9"
        method = rnd.choice(["GET", "GET", "GET", "POST", "PUT", "HEAD", "OPTIONS"])
        return method, rnd.choice(self.hosts()), path

    def build(self) -> tuple[str, dict[str, t.Any], str]:
        """(endpoint, values, host) for url_for."""
        rnd = self.rnd
        _, endpoint, kinds, _ = rnd.choice(self.rules)
        values = {
            name: rnd.choice(VALUES[kind])
            for name, kind in kinds.items()
            if rnd.random() < 0.9
        }
        if rnd.random() < 0.3:
            values["extra"] = rnd.choice(["1", "é", None])
        if rnd.random() < 0.2:
            values["_external"] = True
            if rnd.random() < 0.3:
                values["_scheme"] = "https"
        if rnd.random() < 0.1:
            values["_anchor"] = "x y"
        if rnd.random() < 0.1:
            values["extra"] = ["1", "2"]
        if rnd.random() < 0.1:
            values["another"] = "0"
        if rnd.random() < 0.2:
            values["_method"] = rnd.choice(["GET", "POST", "PUT"])
        return endpoint, values, rnd.choice(self.hosts())


def serve(spec: Spec, fw: t.Any, asgi: bool, requests: list[t.Any]) -> list[t.Any]:
    app = spec.app(fw)
    if asgi:
        app.test_client_class = ASGIClient
    client = app.test_client()
    seen = []
    for method, host, path in requests:
        try:
            r = client.open(path, method=method, base_url=f"http://{host}")
        except Exception as e:  # noqa: BLE001 -- Flask's own failures are told
            seen.append((method, host, path, "raised", repr(e)))
            continue
        body = (
            r.data
            if r.status_code == 200 and method not in ("HEAD", "OPTIONS")
            else b""
        )
        seen.append(
            (
                method,
                host,
                path,
                r.status_code,
                r.headers.get("Location"),
                sorted(r.headers.get("Allow", "").split(", ")),  # (Flask's: any order)
                body.decode(),
            )
        )
    return seen


def build(spec: Spec, fw: t.Any, builds: list[t.Any]) -> list[t.Any]:
    app = spec.app(fw)
    seen = []
    for endpoint, values, host in builds:
        with app.test_request_context("/", base_url=f"http://{host}"):
            try:
                seen.append(fw.url_for(endpoint, **values))
            except Exception as e:  # noqa: BLE001 -- the kind of error compared
                seen.append(
                    next(
                        c.__name__
                        for c in type(e).__mro__
                        if "werkzeug" in c.__module__ or c.__module__ == "builtins"
                    )
                )
    return seen


def loops(answer: t.Any) -> bool:
    """Whether Flask redirects the request to itself (an alias whose URL is
    the request's: kolba serves it, README says)."""
    method, host, path, _, location, *_ = answer
    return bool(
        location and unquote(location) == unquote(f"http://{host.lower()}{path}")
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_kolba_routes_as_flask(seed: int) -> None:
    spec = Spec(seed)
    requests = [spec.request() for _ in range(40)]
    builds = [spec.build() for _ in range(20)]
    expected = serve(spec, flask, False, requests)
    for asgi in (False, True):
        got = serve(spec, kolba, asgi, requests)
        for want, have in zip(expected, got, strict=True):
            # (Flask failing, as on an alias whose URL cannot be built for
            # the request's method, is no answer to compare with)
            assert have[3] != "raised", have
            assert have == want or want[3] == "raised" or loops(want), (
                asgi,
                spec.rules,
            )
    if "host_matching" in spec.settings:
        return  # (url_for of a rule on no host: see the docstring)
    expected = build(spec, flask, builds)
    got = build(spec, kolba, builds)
    for b, want, have in zip(builds, expected, got, strict=True):
        assert have == want, (b, spec.rules)


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_options_of_an_empty_path_allows_as_flask(driver: str) -> None:
    # (an empty PATH_INFO is matched as "", which a rule "/" without strict
    # slashes takes for any method it allows, but not for the Allow header)
    allowed = []
    for fw in (flask, kolba):
        app = fw.Flask("fuzz_app", static_folder=None)
        app.add_url_rule("/", "root", view, strict_slashes=False)
        if fw is kolba and driver == "asgi":
            app.test_client_class = ASGIClient
        r = app.test_client().open("", method="OPTIONS")
        allowed.append((r.status_code, r.headers.get("Allow")))
    assert allowed[1] == allowed[0] == (200, None)


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_an_alias_whose_url_cannot_be_built_is_served(driver: str) -> None:
    # (Flask: the int converter's ValueError from to_url, a 500)
    app = kolba.Flask("fuzz_app", static_folder=None)
    app.add_url_rule("/n/<int:v>", "n", view)
    app.add_url_rule("/al/<v>", "n", view, alias=True)
    if driver == "asgi":
        app.test_client_class = ASGIClient
    client = app.test_client()
    assert client.get("/al/x").text == "n|[('v', 'str', 'x')]"
    r = client.get("/al/7")
    assert (r.status_code, r.location) == (308, "http://localhost/n/7")


def cross_domain(fw: t.Any, asgi: bool, host_matching: bool) -> list[t.Any]:
    """Redirects to a rule on another subdomain or host: a defaults
    redirect, an alias, an alias to its own rule's canonical form."""
    if host_matching:
        app = fw.Flask("fuzz_app", static_folder=None, host_matching=True)
        app.config["TRUSTED_HOSTS"] = ["a.test", "api.a.test"]
        on: dict[str, t.Any] = {"host": "api.a.test"}
        main: dict[str, t.Any] = {"host": "a.test"}
    else:
        app = fw.Flask("fuzz_app", static_folder=None, subdomain_matching=True)
        app.config["SERVER_NAME"] = "a.test"
        on, main = {"subdomain": "api"}, {}
    app.add_url_rule("/p", "p", view, defaults={"n": 1}, **on)
    app.add_url_rule("/p/<int:n>", "p", view, **main)
    app.add_url_rule("/q/<int:n>", "q", view, **on)
    app.add_url_rule("/al/<int:n>", "q", view, alias=True, **main)
    app.add_url_rule("/s/<int:n>", "s", view, alias=True, **main)
    if asgi:
        app.test_client_class = ASGIClient
    client = app.test_client()
    seen = []
    # (not "/s/3", nor under host matching "/al/3": Flask redirects them to
    # themselves, as werkzeug's adapter builds on its own host first)
    paths = ["/p/1", "/p/2", "/s/03"] + ([] if host_matching else ["/al/3?x=1"])
    for path in paths:
        r = client.get(path, base_url="http://a.test")
        seen.append((path, r.status_code, r.location, r.text))
    return seen


@pytest.mark.parametrize("host_matching", [False, True])
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_redirects_to_another_domain_as_flask(driver: str, host_matching: bool) -> None:
    want = cross_domain(flask, False, host_matching)
    assert cross_domain(kolba, driver == "asgi", host_matching) == want
