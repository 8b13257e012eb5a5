"""Random maps and requests, answered by werkzeug's routing and kolba's.

Each seed makes a map (static parts, every converter with its options, a
custom converter whose ``to_python`` refuses values, trailing slashes, double
slashes, methods, defaults, subdomains or hosts, WebSocket rules, aliases,
``redirect_to``, ``build_only``; the map's slash, defaults and sorting
options) and a series of requests and builds against both. They must give
the same answers: the endpoint or rule and its values, or the exception with
its ``new_url`` or ``valid_methods``; ``allowed_methods()`` and ``test()``;
the URL built, or the error.

Left out, as README says: an alias whose canonical URL is the request's
or cannot be built (kolba serves it where werkzeug redirects or fails).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import werkzeug.routing as wz
from werkzeug.exceptions import HTTPException

import kolba.routing as kr


class Odd(wz.BaseConverter):
    """Digits; odd numbers only (a ValidationError for the rest)."""

    regex = r"\d{1,4}"

    def to_python(self, value: str) -> int:
        if int(value) % 2 == 0:
            raise wz.ValidationError()
        return int(value)

    def to_url(self, value: Any) -> str:
        if int(value) % 2 == 0:
            raise wz.ValidationError()
        return str(value)


class Lower(wz.BaseConverter):
    """Lower-case words joined by dashes; heavier than a string."""

    regex = "[a-z]+(?:-[a-z]+)*"
    weight = 150


class Dotted(wz.BaseConverter):
    """A ``.txt`` path: takes slashes (not part isolating)."""

    regex = r"[a-z/]+\.txt"
    part_isolating = False


CONVERTERS = {"odd": Odd, "lower": Lower, "dotted": Dotted}
STATICS = ["a", "b", "user", "x.y", "café", "a b", "-", "v1"]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
VALUES: dict[str, list[Any]] = {
    "int": [0, 1, 5, 7, 42, 100, -3, 12345, "ab", "007", "-0"],
    "float": [1.5, 0.0, -2.25, 10.0, "3", "x", "1.5"],
    "path": ["a/b", "x", "a/b/", "a%2Fb", "é/ü", "..", ""],
    "uuid": [
        "12345678-1234-1234-1234-123456789abc",
        "12345678-1234-1234-1234-123456789ABC",
        "nope",
    ],
    "any": ["a", "b", "x", "y z", "user", "c"],
    "string": ["ab", "abc", "a", "abcd", "é", "a b", "a/b"],
    "default": ["ab", "a b", "é", "x.y", "a/b", "a?b", "%41", "user"],
    "odd": [1, 2, 3, 77, 88, "x"],
    "lower": ["ab", "a-b", "A", "ab-", "user"],
    "dotted": ["a.txt", "a/b.txt", "a/b", "a/b.txt/"],
}


def _converter(rnd: random.Random) -> tuple[str, str]:
    """(converter as written in a rule, the kind of its values)"""
    kind = rnd.choice([*VALUES, "int"])
    if kind == "int":
        args = [
            arg
            for arg, chance in (
                ("signed=True", 0.3),
                (f"fixed_digits={rnd.choice([2, 3])}", 0.3),
                (f"min={rnd.choice([0, 1, 5])}", 0.3),
                (f"max={rnd.choice([10, 99])}", 0.3),
            )
            if rnd.random() < chance
        ]
        return "int" + (f"({', '.join(args)})" if args else ""), kind
    options = {
        "float": ["float", "float(signed=True)", "float(min=1.0, max=9.5)"],
        "any": ["any(a, b)", "any(x, 'y z', b)", "any(user, v1)"],
        "string": [
            "string(length=2)",
            "string(minlength=3)",
            "string(maxlength=2)",
            "string(minlength=1, maxlength=3)",
        ],
    }
    return rnd.choice(options.get(kind, [kind])), kind


def _rules(rnd: random.Random, host_matching: bool) -> list[dict[str, Any]]:
    """Rule specs: the rule text, its options, the kinds of its variables."""
    specs = []
    for _ in range(rnd.randint(1, 9)):
        parts = []
        kinds = {}
        for j in range(rnd.randint(0, 3)):
            if rnd.random() < 0.5:
                parts.append(rnd.choice(STATICS))
                continue
            conv, kinds[f"v{j}"] = _converter(rnd)
            part = f"<{conv}:v{j}>"
            parts.append(
                part if rnd.random() < 0.8 else rnd.choice(STATICS) + "-" + part
            )
        path = "/" + "/".join(parts)
        if parts and rnd.random() < 0.3:
            path += "/"
        if rnd.random() < 0.05:
            path = path.replace("/", "//", 1)
        opts: dict[str, Any] = {"endpoint": rnd.choice(["e0", "e1", "e2", "e3", "e4"])}
        if rnd.random() < 0.4:
            opts["methods"] = rnd.sample(METHODS[:4], rnd.randint(1, 2))
        if rnd.random() < 0.2 and kinds:
            name = rnd.choice(sorted(kinds))
            opts["defaults"] = {name: rnd.choice(VALUES[kinds[name]])}
        elif rnd.random() < 0.1:
            opts["defaults"] = {"d": rnd.choice([1, "x"])}
        for flag, chance in (("strict_slashes", 0.15), ("merge_slashes", 0.1)):
            if rnd.random() < chance:
                opts[flag] = rnd.choice([True, False])
        if host_matching:
            opts["host"] = rnd.choice(["h.example", "o.example", "<sub>.example"])
        elif rnd.random() < 0.3:
            opts["subdomain"] = rnd.choice(["api", "", "<sub>", "www"])
        if "<sub>" in (opts.get("host") or opts.get("subdomain") or ""):
            kinds["sub"] = "lower"
        if rnd.random() < 0.08:
            opts["websocket"] = True
            opts.pop("methods", None)
        if rnd.random() < 0.05:
            opts["redirect_to"] = rnd.choice(
                ["/target", "/t/<v0>" if "v0" in kinds else "/t"]
            )
        for flag, chance in (("alias", 0.05), ("build_only", 0.04)):
            if rnd.random() < chance:
                opts[flag] = True
        specs.append({"path": path, "opts": opts, "kinds": kinds})
    return specs


def _request_path(rnd: random.Random, spec: dict[str, Any]) -> str:
    """A path for a rule, with values of its kinds, maybe changed a little."""

    def put(m: re.Match[str]) -> str:
        return str(rnd.choice(VALUES[spec["kinds"][m["name"]]]))

    path = re.sub(r"<(?:[^:<>]+:)?(?P<name>\w+)>", put, spec["path"])
    change: list[Callable[[str], str]] = [
        lambda p: p + "/",
        lambda p: p.rstrip("/") if p != "/" else "",
        lambda p: p.replace("/", "//"),
        lambda p: "//" + p,
        lambda p: p + "/x",
        str.upper,
    ]
    return rnd.choice(change)(path) if rnd.random() < 0.5 else path


def _outcome(func: Callable[[], Any]) -> Any:
    """What ``func`` gives: its value, or its exception (kolba's by the
    werkzeug class it extends) with the redirect URL or allowed methods."""
    try:
        value = func()
    except wz.RequestRedirect as e:
        return "redirect", e.new_url
    except (HTTPException, LookupError, ValueError, wz.BuildError) as e:
        kind = next(c for c in type(e).__mro__ if not c.__module__.startswith("kolba"))
        return kind.__name__, sorted(getattr(e, "valid_methods", None) or ())
    if isinstance(value, tuple) and isinstance(value[0], wz.Rule):
        rule = value[0]
        return rule.rule, rule.endpoint, sorted(rule.methods or ()), value[1]
    return value


def _answers(
    adapter: Any,
    path: str,
    match: dict[str, Any],
    endpoint: str,
    values: dict[str, Any],
    build: dict[str, Any],
) -> tuple[Any, ...]:
    """An adapter's answers to a request for ``path`` and a build."""
    return (
        _outcome(lambda: adapter.match(path, **match)),
        _outcome(lambda: sorted(adapter.allowed_methods(path))),
        _outcome(lambda: adapter.test(path, match["method"])),
        _outcome(lambda: adapter.build(endpoint, values, **build)),
    )


def _check(seed: int, requests: int = 40) -> None:
    rnd = random.Random(seed)
    host_matching = rnd.random() < 0.2
    options: dict[str, Any] = {"converters": CONVERTERS}
    if host_matching:
        options["host_matching"] = True
    elif rnd.random() < 0.3:
        options["default_subdomain"] = rnd.choice(["www", "api"])
    for flag in ("strict_slashes", "merge_slashes", "redirect_defaults"):
        if rnd.random() < 0.2:
            options[flag] = False
    if rnd.random() < 0.2:
        options["sort_parameters"] = True
    specs = _rules(rnd, host_matching)
    late = rnd.random() < 0.3  # (the options set after the rules are added)

    def make(mod: Any) -> Any:
        rules = [mod.Rule(s["path"], **s["opts"]) for s in specs]
        if not late:
            return mod.Map(rules, **options)
        # (host_matching from the start: a rule added before it builds a URL
        # on no host in werkzeug, on the adapter's in kolba, README says)
        url_map = mod.Map(rules, converters=CONVERTERS, host_matching=host_matching)
        for name, value in options.items():
            setattr(url_map, name, value)
        return url_map

    theirs, ours = _outcome(lambda: make(wz)), _outcome(lambda: make(kr))
    if isinstance(theirs, tuple) or isinstance(ours, tuple):  # (an error)
        # (both refuse the map; the errors' types may differ: werkzeug's
        # duplicate variable is the SyntaxError of its code generation)
        assert isinstance(theirs, tuple) and isinstance(ours, tuple), specs
        return
    aliases = any(s["opts"].get("alias") for s in specs)
    for _ in range(requests):
        path = _request_path(rnd, rnd.choice(specs))
        method = rnd.choice(METHODS)
        server = "h.example"
        bind: dict[str, Any] = {}
        if host_matching:
            server = rnd.choice(["h.example", "o.example", "ab.example", "z"])
        else:
            bind["subdomain"] = rnd.choice([None, "api", "www", "ab", ""])
        bind["script_name"] = rnd.choice([None, "/app", "/app/"])
        bind["url_scheme"] = rnd.choice(["http", "https", "ws"])
        match = {
            "method": method,
            "return_rule": rnd.random() < 0.3,
            "websocket": rnd.random() < 0.1,
            "query_args": rnd.choice([None, "q=1", {"a": "b c"}]),
        }
        spec = rnd.choice(specs)
        values = {
            k: rnd.choice(VALUES[kind])
            for k, kind in spec["kinds"].items()
            if rnd.random() < 0.9
        }
        if rnd.random() < 0.3:
            values["q"] = rnd.choice([1, [1, 2], None, "a b", (3,), {4}])
        if rnd.random() < 0.2:
            values["d"] = rnd.choice([1, "x", 2])
        endpoint = spec["opts"]["endpoint"] if rnd.random() < 0.9 else "nope"
        build = {
            "method": rnd.choice([None, None, "GET", "POST", "PUT"]),
            "force_external": rnd.random() < 0.2,
            "append_unknown": rnd.random() < 0.8,
            "url_scheme": rnd.choice([None, None, "https", "ws"]),
        }
        answers = [
            _answers(m.bind(server, **bind), path, match, endpoint, values, build)
            for m in (theirs, ours)
        ]
        if aliases and _to_itself(answers[0][0], bind, path):
            # (README: an alias whose URL is the request's is served)
            answers[0] = (answers[1][0], *answers[0][1:])
        if aliases and answers[0][0][0] == "ValueError":
            # (README: an alias whose URL cannot be built is served: werkzeug
            # fails wherever it matches the path)
            answers[0] = tuple(
                our if isinstance(their, tuple) and their[0] == "ValueError" else their
                for their, our in zip(answers[0], answers[1], strict=True)
            )
        assert answers[1] == answers[0], (specs, options, server, bind, path, match)


def _to_itself(answer: Any, bind: dict[str, Any], path: str) -> bool:
    """Whether werkzeug's answer is a redirect to the request's own path."""
    if answer[0] != "redirect":
        return False
    own = (bind["script_name"] or "").rstrip("/") + "/" + path.lstrip("/")
    return bool(unquote(urlsplit(answer[1]).path) == own)


@pytest.mark.parametrize("first", range(0, 400, 20))
def test_kolba_answers_as_werkzeug(first: int) -> None:
    for seed in range(first, first + 20):
        _check(seed)
