"""The public API of kolba's rules, map and URL adapter against werkzeug's.

Sitemap generators and API doc tools (flask-restx, apispec, flask-smorest)
read rules and build URLs through werkzeug's API: for the same rules, kolba's
``Rule``, ``Map`` and ``MapAdapter`` answer as werkzeug's do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import werkzeug.routing as wz
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

import kolba
import kolba.routing as kr

_MAPS = [{}, {"default_subdomain": "www"}]


class Even(wz.BaseConverter):
    """Builds even numbers only (a ValidationError for the rest)."""

    regex = r"\d+"

    def to_url(self, value: Any) -> str:
        if int(value) % 2:
            raise wz.ValidationError()
        return str(value)


def _rules(mod: Any) -> list[Any]:
    rule = mod.Rule
    return [
        rule("/", endpoint="index"),
        rule("/user/<int:id>", endpoint="user", methods=["GET", "POST"]),
        rule("/page/<int:n>", endpoint="page", defaults={"n": 1}),
        rule("/page/", endpoint="page", defaults={"n": 1}),
        rule("/f/<path:p>", endpoint="f"),
        rule("/s/<x>", endpoint="s", subdomain="api"),
        rule("/u", endpoint="u", subdomain="<name>"),
        rule("/even/<even:n>", endpoint="even"),
        rule("/ws", endpoint="ws", websocket=True),
    ]


def _map(mod: Any, **options: Any) -> Any:
    return mod.Map(_rules(mod), converters={"even": Even}, **options)


def _both(func: Callable[[Any], Any]) -> tuple[Any, Any]:
    """What ``func`` gives with werkzeug's routing module and kolba's (an
    exception by its type, kolba's by werkzeug's that it extends)."""
    results = []
    for mod in (wz, kr):
        try:
            results.append(func(mod))
        except Exception as e:  # noqa: BLE001 -- compared by type
            # (kolba's own exceptions by the werkzeug class they extend)
            kind = type(e).__mro__
            results.append(
                next(c for c in kind if not c.__module__.startswith("kolba"))
            )
    return results[0], results[1]


def _same(func: Callable[[Any], Any]) -> Any:
    theirs, ours = _both(func)
    assert ours == theirs
    return ours


@pytest.mark.parametrize("options", _MAPS)
@pytest.mark.parametrize("append_unknown", [True, False])
@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("index", {}),
        ("user", {"id": 4, "q": [1, None, 2], "z": None, "t": ("a b", "é")}),
        ("page", {"n": 1, "q": "x"}),
        ("page", {"n": 7}),  # (the default wins, as werkzeug's builder)
        ("s", {"x": "a/b", "q": 1}),
        ("u", {"name": "bob"}),
        ("even", {"n": 4}),
        ("even", {"n": 3}),  # (refused: None)
        ("ws", {}),
    ],
)
def test_rule_build(
    options: dict[str, Any], append_unknown: bool, endpoint: str, values: Any
) -> None:
    # werkzeug: (domain part, path and query string), or None
    built = _same(
        lambda mod: [
            r.build(values, append_unknown=append_unknown)
            for r in _map(mod, **options).iter_rules(endpoint)
        ]
    )
    assert all(b is None or isinstance(b, tuple) for b in built)


def test_rule_build_without_append_unknown_argument() -> None:
    assert _same(
        lambda mod: _map(mod).iter_rules("user").__next__().build({"id": 3, "a": 1})
    ) == ("", "/user/3?a=1")


@pytest.mark.parametrize(
    "options",
    [
        *_MAPS,
        {"host_matching": True},
        {"host_matching": True, "default_subdomain": "www"},
    ],
)
def test_subdomain_and_host_of_rules(options: dict[str, Any]) -> None:
    def domains(mod: Any) -> Any:
        m = mod.Map(
            [
                mod.Rule("/", endpoint="a"),
                mod.Rule("/b", endpoint="b", subdomain="api"),
                mod.Rule("/c", endpoint="c", subdomain=""),
                mod.Rule("/d", endpoint="d", host="h.example"),
            ],
            **options,
        )
        rules = list(m.iter_rules())
        return [(r.subdomain, r.host, r.empty().subdomain) for r in rules]

    _same(domains)
    assert kr.Rule("/").subdomain is None  # (until it is in a map, as werkzeug's)


@pytest.mark.parametrize("options", _MAPS)
def test_repr_of_rules(options: dict[str, Any]) -> None:
    def reprs(mod: Any) -> Any:
        unbound = mod.Rule("/x", endpoint="x")
        return [repr(unbound)] + [repr(r) for r in _map(mod, **options).iter_rules()]

    shown = _same(reprs)
    assert shown[0] == "<Rule (unbound)>"
    prefix = f"{options['default_subdomain']}|" if options else ""
    assert f"<Rule '{prefix}/page/<n>' -> page>" in shown
    assert "<Rule 'api|/s/<x>' -> s>" in shown


def test_repr_of_an_app_rule() -> None:
    app = kolba.Flask(__name__)
    app.add_url_rule("/p/<int:id>", "p", lambda id: "", methods=["POST"])
    rule = next(app.url_map.iter_rules("p"))
    assert repr(rule) == f"<Rule '/p/<id>' ({', '.join(rule.methods)}) -> p>"


def test_iter_rules_of_an_unknown_endpoint_is_a_key_error() -> None:
    assert _same(lambda mod: list(_map(mod).iter_rules("nope"))) is KeyError
    app = kolba.Flask(__name__)
    app.add_url_rule("/index", "index", lambda: "")
    with pytest.raises(KeyError):
        app.url_map.iter_rules("nope")
    with app.test_request_context(), pytest.raises(kolba.routing.BuildError) as info:
        kolba.url_for("indx")
    assert "Did you mean 'index'" in str(info.value)  # (still suggested)


def _redirect_of(adapter: Any, path: str) -> str:
    with pytest.raises(wz.RequestRedirect) as info:
        adapter.match(path)
    return info.value.new_url


def test_redirect_to_function_gets_the_url_adapter() -> None:
    def target(adapter: Any, id: int) -> str:
        return adapter.build("post", {"id": id + 1}, force_external=True)

    def url(mod: Any) -> str:
        m = mod.Map(
            [
                mod.Rule("/old/<int:id>", endpoint="old", redirect_to=target),
                mod.Rule("/post/<int:id>", endpoint="post"),
            ]
        )
        return _redirect_of(m.bind("h.example", "/app"), "/old/4")

    assert _same(url) == "http://h.example/app/post/5"


def test_redirect_to_function_gets_the_app_url_adapter() -> None:
    seen = []

    def target(adapter: Any, id: int) -> str:
        seen.append(type(adapter))
        return adapter.build("post", {"id": id + 1})

    locations = []
    for mod in (kolba, __import__("flask")):
        app = mod.Flask(__name__)
        app.add_url_rule("/old/<int:id>", "old", redirect_to=target)
        app.add_url_rule("/post/<int:id>", "post", lambda id: str(id))
        locations.append(app.test_client().get("/old/4").location)
    assert locations[0] == locations[1] == "http://localhost/post/5"
    assert seen == [kr.MapAdapter, wz.MapAdapter]


_ADAPTERS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {}),
    ({}, {"subdomain": "api"}),
    ({"default_subdomain": "www"}, {}),
    ({"default_subdomain": "www"}, {"subdomain": "api"}),
]


@pytest.mark.parametrize(("options", "bind"), _ADAPTERS)
@pytest.mark.parametrize(
    ("endpoint", "values", "build"),
    [
        ("index", {}, {}),
        ("user", {"id": 3, "q": "a b"}, {"force_external": True}),
        ("user", {"id": 3}, {"url_scheme": "https"}),
        ("user", {"id": 3, "q": 1}, {"append_unknown": False}),
        ("user", {"id": 3}, {"method": "POST"}),
        ("user", MultiDict([("id", 3), ("q", 1), ("q", 2)]), {}),
        ("s", {"x": 1}, {}),
        ("s", {"x": 1}, {"url_scheme": "https"}),
        ("u", {"name": "bob"}, {}),
        ("ws", {}, {}),
        ("ws", {}, {"url_scheme": "https"}),
        ("user", {}, {}),  # (a BuildError)
    ],
)
def test_adapter_build(
    options: dict[str, Any],
    bind: dict[str, Any],
    endpoint: str,
    values: Any,
    build: dict[str, Any],
) -> None:
    _same(
        lambda mod: (
            _map(mod, **options)
            .bind("h.example", "/app/", **bind)
            .build(endpoint, values, **build)
        )
    )


@pytest.mark.parametrize(("options", "bind"), _ADAPTERS)
def test_adapter_queries(options: dict[str, Any], bind: dict[str, Any]) -> None:
    def answers(mod: Any) -> Any:
        m = _map(mod, **options)
        a = m.bind("h.example", **bind)
        rule, args = a.match("/user/3", return_rule=True)
        return (
            (rule.rule, args),
            [a.test(p) for p in ("/user/3", "/nope", "/page/1", "/f/a/b")],
            sorted(a.allowed_methods("/user/3")),
            list(a.allowed_methods("/nope")),
            [a.get_host(d) for d in (None, "", "x")],
            a.dispatch(lambda e, v: (e, v), "/user/3"),
            a.dispatch(lambda e, v: (e, v), "/page/1").location,
            m.is_endpoint_expecting("user", "id"),
            m.is_endpoint_expecting("user", "x"),
            [r.endpoint for r in m.iter_rules()],
            [
                r.provides_defaults_for(o)
                for r in m.iter_rules()
                for o in m.iter_rules()
            ],
            [r.suitable_for({"id": 1}, "POST") for r in m.iter_rules()],
            [
                type(r.get_converter("v", "int", (), {})).__name__
                for r in m.iter_rules()
            ],
            [list(r.get_rules(m)) == [r] for r in m.iter_rules()],
            [
                (r.rule, r.endpoint, r.methods, r.arguments, r.defaults, r.host)
                for r in m.iter_rules()
            ],
            [
                (r.strict_slashes, r.merge_slashes, r.redirect_to, r.alias)
                for r in m.iter_rules()
            ],
            [(r.build_only, r.websocket, r.is_leaf) for r in m.iter_rules()],
        )

    _same(answers)


def _hosts(mod: Any) -> Any:
    return mod.Map(
        [
            mod.Rule("/p", endpoint="p", host="a.example"),
            mod.Rule("/p", endpoint="p", host="b.example"),
            mod.Rule("/q", endpoint="q"),
        ],
        host_matching=True,
    )


@pytest.mark.parametrize("host", ["a.example", "b.example", "c.example"])
def test_adapter_build_prefers_a_rule_on_its_host(host: str) -> None:
    assert _same(lambda mod: _hosts(mod).bind(host).build("p")) == (
        "/p" if host != "c.example" else "http://a.example/p"  # (else the first)
    )


def test_url_for_prefers_a_rule_on_the_request_host() -> None:
    urls = []
    for mod in (kolba, __import__("flask")):
        app = mod.Flask(__name__, host_matching=True, static_host="a.example")
        app.add_url_rule("/p", "p", str, host="a.example")
        app.add_url_rule("/p", "p", str, host="b.example")
        app.config["SERVER_NAME"] = "b.example"
        found = []
        for host in ("a.example", "B.EXAMPLE", "c.example"):
            with app.test_request_context("/", base_url=f"http://{host}"):
                found.append(mod.url_for("p"))
        with app.app_context():  # (outside a request: SERVER_NAME's host)
            found.append(mod.url_for("p"))
        urls.append(found)
    assert urls[0] == urls[1]
    assert urls[0] == ["/p", "/p", "http://a.example/p", "http://b.example/p"]


@pytest.mark.parametrize(
    "sorting",
    [{}, {"sort_parameters": True}, {"sort_parameters": True, "sort_key": str}],
)
def test_sorted_query_parameters(sorting: dict[str, Any]) -> None:
    values = {"id": 1, "b": [3, 1], "a": "x", "c": 2, "z": None}
    _same(
        lambda mod: (
            _map(mod, **sorting).bind("h").build("user", values),
            next(_map(mod, **sorting).iter_rules("user")).build(values),
        )
    )


def test_url_for_with_sorted_parameters() -> None:
    urls = []
    for mod in (kolba, __import__("flask")):
        app = mod.Flask(__name__)
        app.add_url_rule("/p", "p", str)
        app.url_map.sort_parameters = True
        with app.test_request_context():
            urls.append(mod.url_for("p", z=1, a=[2, 1], m="x"))
            app.url_map.sort_parameters = False
            urls.append(mod.url_for("p", z=1, a=[2, 1]))
    assert urls[:2] == urls[2:] == ["/p?a=1&a=2&m=x&z=1", "/p?z=1&a=2&a=1"]


def test_map_takes_werkzeugs_positional_arguments() -> None:
    def options(mod: Any) -> Any:
        m = mod.Map([], "www", False, False, False, {"even": Even}, True, str, True)
        return (
            m.default_subdomain,
            m.strict_slashes,
            m.merge_slashes,
            m.redirect_defaults,
            m.converters["even"],
            m.sort_parameters,
            m.sort_key,
            m.host_matching,
        )

    _same(options)


def test_is_endpoint_expecting_an_unknown_endpoint_is_a_key_error() -> None:
    assert _same(lambda mod: _map(mod).is_endpoint_expecting("nope", "x")) is KeyError


def _by_method(mod: Any, host_matching: bool) -> Any:
    c = "c.example" if host_matching else None
    return mod.Map(
        [
            mod.Rule("/p", endpoint="e", methods=["POST"], host=c),
            mod.Rule("/g", endpoint="e", methods=["GET"], host=c),
            mod.Rule("/h", endpoint="e", methods=["PUT"], host=c),
            mod.Rule("/p/<x>", endpoint="e", methods=["POST"], host="b.example"),
            mod.Rule("/g/<x>", endpoint="e", methods=["GET"], host="a.example"),
        ],
        host_matching=host_matching,
    )


@pytest.mark.parametrize("default_method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("values", [{}, {"x": 1}])
@pytest.mark.parametrize("host", ["a.example", "b.example", "c.example"])
@pytest.mark.parametrize("host_matching", [False, True])
def test_adapter_build_tries_its_default_method_first(
    default_method: str, values: dict[str, Any], host: str, host_matching: bool
) -> None:
    # (werkzeug: the adapter's default method, then any rule)
    assert _same(
        lambda mod: (
            _by_method(mod, host_matching)
            .bind(host, default_method=default_method)
            .build("e", values)
        )
    )


@pytest.mark.parametrize(
    "value", [{3}, {"a b", "c"}, frozenset({"x"}), (1, None), set(), b"b"]
)
def test_build_of_a_set_in_the_query_string(value: Any) -> None:
    # (werkzeug: a set is one parameter per item, as a list)
    def urls(mod: Any) -> Any:
        m = _map(mod)
        built = m.bind("h").build("user", {"id": 1, "q": value})
        return sorted(built.split("&")), next(m.iter_rules("user")).build(
            {"q": value, "id": 2}
        )

    _same(urls)


def test_url_for_of_a_set() -> None:
    urls = []
    for mod in (kolba, __import__("flask")):
        app = mod.Flask(__name__)
        app.add_url_rule("/p", "p", str)
        with app.test_request_context():
            urls.append(mod.url_for("p", q={"only"}))
    assert urls == ["/p?q=only", "/p?q=only"]


def _refreshed(mod: Any, change: Callable[[Any], None]) -> Any:
    rule = mod.Rule("/a/<int:x>", endpoint="a")
    m = mod.Map([rule, mod.Rule("/z", endpoint="z")], default_subdomain="www")
    adapter = m.bind("h.example", subdomain="www")
    adapter.match("/a/1")
    change(rule)
    rule.refresh()
    built = []
    for values in ({"x": 1}, {"x": "b c"}, {"x": 1, "y": 5}):
        try:
            built.append(adapter.build("a", values))
        except wz.BuildError:
            built.append(None)
    return built, rule.arguments, rule.subdomain, repr(rule)


def _set(**attributes: Any) -> Callable[[Any], None]:
    return lambda rule: rule.__dict__.update(attributes)


@pytest.mark.parametrize(
    "change",
    [
        _set(rule="/c/<x>"),
        _set(rule="/a/<int:x>/"),
        _set(rule="/<int:x>/<y>"),
        _set(defaults={"y": 2}),
        _set(methods={"POST"}),
        _set(subdomain="api"),
        _set(),
    ],
)
def test_refresh_builds_the_changed_rule(change: Callable[[Any], None]) -> None:
    _same(lambda mod: _refreshed(mod, change))


def test_refresh_matches_the_changed_rule() -> None:
    # (werkzeug's matcher keeps the path the rule had when added, with the
    # new converters; kolba matches the rule as it is now)
    for rule in (
        kr.Rule("/a/<int:x>", endpoint="a"),
        wz.Rule("/a/<int:x>", endpoint="a"),
    ):
        m = kr.Map([rule, kr.Rule("/z", endpoint="z")])
        adapter = m.bind("h")
        assert adapter.match("/a/1") == ("a", {"x": 1})
        rule.rule = "/c/<x>/"
        rule.methods = {"POST", "GET"}
        rule.refresh()
        assert adapter.match("/c/1/", "POST") == ("a", {"x": "1"})
        assert adapter.build("a", {"x": 2}) == "/c/2/"
        with pytest.raises(wz.RequestRedirect):
            adapter.match("/c/1")
        with pytest.raises(NotFound):
            adapter.match("/a/1")
        with pytest.raises(MethodNotAllowed):
            adapter.match("/c/1/", "PUT")
        assert adapter.match("/z") == ("z", {})


def test_refresh_of_an_app_rule() -> None:
    app = kolba.Flask(__name__)

    @app.route("/old/<int:n>")
    def view(n: int) -> str:
        return f"n={n!r}"

    client = app.test_client()
    assert client.get("/old/3").text == "n=3"
    rule = next(app.url_map.iter_rules("view"))
    rule.rule = "/new/<n>"
    rule.refresh()
    assert client.get("/new/3").text == "n='3'"
    assert client.get("/old/3").status_code == 404
    with app.test_request_context():
        assert kolba.url_for("view", n=4) == "/new/4"


def test_refresh_keeps_asking_a_match_set_on_the_map() -> None:
    from unittest import mock

    app = kolba.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "index")
    client = app.test_client()
    real = app.url_map.match
    with mock.patch.object(app.url_map, "match", side_effect=real) as spy:
        next(app.url_map.iter_rules("index")).refresh()
        assert client.get("/").text == "index"
    assert spy.call_count == 1
    assert client.get("/").text == "index"


def _slashes(mod: Any) -> Any:
    return mod.Map(
        [
            mod.Rule("/<path:p>/x", endpoint="p"),
            mod.Rule("/<v>", endpoint="v"),
            mod.Rule("//kept//", endpoint="kept", merge_slashes=False),
            mod.Rule("/h/<v>", endpoint="h", host="<v>.example"),
        ],
        host_matching=mod is wz and False,
    )


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [("p", {"p": ""}), ("p", {"p": "/a"}), ("v", {"v": ""}), ("kept", {})],
)
@pytest.mark.parametrize("script_name", ["/", "/app", "/app/"])
@pytest.mark.parametrize("force_external", [False, True])
def test_adapter_build_makes_one_leading_slash(
    endpoint: str, values: dict[str, Any], script_name: str, force_external: bool
) -> None:
    # (werkzeug's adapter strips the built path's leading slashes)
    url = _same(
        lambda mod: (
            _slashes(mod)
            .bind("h.example", script_name)
            .build(endpoint, values, force_external=force_external)
        )
    )
    assert "//" not in url.partition("h.example")[2].rstrip("/")


def test_url_for_makes_one_leading_slash() -> None:
    urls = []
    for mod in (kolba, __import__("flask")):
        app = mod.Flask(__name__)
        app.add_url_rule("/<path:p>/x", "p", str)
        app.add_url_rule("//kept//", "kept", str, merge_slashes=False)
        with app.test_request_context():
            urls.append(
                (
                    mod.url_for("p", p=""),
                    mod.url_for("p", p="/a"),
                    mod.url_for("kept"),
                    mod.url_for("kept", _external=True),
                )
            )
    assert urls[0] == urls[1]
    assert urls[0][:3] == ("/x", "/a/x", "/kept//")


def _websocket_only(mod: Any) -> Any:
    return mod.Map(
        [
            mod.Rule("/ws/<int(fixed_digits=2):n>", endpoint="ws", websocket=True),
            mod.Rule("/ws/<n>", endpoint="x", subdomain="<sub>"),
            mod.Rule("/a/b", endpoint="ab", websocket=True),
        ]
    )


@pytest.mark.parametrize("websocket", [False, True])
@pytest.mark.parametrize("path", ["/ws/12", "/ws/1", "/a//b", "/a/b", "/ws/123"])
def test_adapter_match_of_a_websocket_rule(websocket: bool, path: str) -> None:
    # (werkzeug: a plain request that only WebSocket rules take, after a
    # slash merge or with a refused value too, is WebsocketMismatch)
    _same(
        lambda mod: (
            _websocket_only(mod).bind("h.example").match(path, websocket=websocket)
        )
    )


@pytest.mark.parametrize(
    ("rule", "defaults"),
    [
        ("/<any(a, b):v>", {"v": "c"}),
        ("/<even:n>", {"n": 3}),
        ("/<int:n>", {"n": "x"}),
        ("/<int:n>", {"n": 2}),
        ("/<any(a, b):v>", {"v": "b", "w": "c"}),
    ],
)
def test_a_default_that_its_converter_refuses(rule: str, defaults: Any) -> None:
    # (werkzeug: the converter's error when the rule is added)
    _same(
        lambda mod: (
            _map(mod).add(mod.Rule(rule, endpoint="d", defaults=defaults)),
            _map(mod).bind("h").build("index", {}),
        )
    )


def test_sorted_query_parameters_on_another_host() -> None:
    def url(mod: Any) -> Any:
        m = mod.Map(
            [
                mod.Rule("/<v>", endpoint="e", host="a.example"),
                mod.Rule("/", endpoint="e", host="b.example"),
            ],
            host_matching=True,
            sort_parameters=True,
        )
        return m.bind("b.example").build("e", {"v": 1, "z": 2, "a": [3, 0]})

    assert _same(url) == "/?a=0&a=3&v=1&z=2"


def _aliases(mod: Any) -> Any:
    return mod.Map(
        [
            mod.Rule("/old/<int:n>", endpoint="page", alias=True),
            mod.Rule("/page/<int:n>", endpoint="page"),
            mod.Rule("/old-ws", endpoint="ws", alias=True),
            mod.Rule("/ws", endpoint="ws", websocket=True),
        ]
    )


@pytest.mark.parametrize("url_scheme", ["http", "https", "ws", "wss"])
@pytest.mark.parametrize("path", ["/old/3", "/old-ws"])
@pytest.mark.parametrize("query_args", [None, "a=1", {"b": "c d"}])
def test_alias_redirect_url(url_scheme: str, path: str, query_args: Any) -> None:
    # (werkzeug: the endpoint's URL built external, a WebSocket rule's with
    # ws:// or wss://, then the query string)
    def location(mod: Any) -> str:
        adapter = _aliases(mod).bind("h.example", "/app", url_scheme=url_scheme)
        return _redirect_of(adapter, path)

    _same(lambda mod: (location(mod), _redirect_query(mod, path, query_args)))


def _redirect_query(mod: Any, path: str, query_args: Any) -> str:
    adapter = _aliases(mod).bind("h.example", query_args="x=1")
    with pytest.raises(wz.RequestRedirect) as info:
        adapter.match(path, query_args=query_args)
    return info.value.new_url


@pytest.mark.parametrize(
    ("options", "bind", "path"),
    [
        ({"host_matching": True}, {"server_name": "b.example"}, "/"),
        ({}, {"server_name": "h.example", "subdomain": "api"}, "/"),
    ],
)
def test_defaults_redirect_to_the_domain_of_the_rule_that_has_them(
    options: dict[str, Any], bind: dict[str, Any], path: str
) -> None:
    # (werkzeug: the redirect goes to the host or subdomain of the rule that
    # provides the defaults)
    host = options.get("host_matching")

    def location(mod: Any) -> Any:
        m = mod.Map(
            [
                mod.Rule("/", endpoint="e", defaults={"p": 1}, host="a.example"),
                mod.Rule("/", endpoint="e", defaults={"p": 1}, host="b.example"),
                mod.Rule("/s/", endpoint="s", defaults={"n": 1}),
                mod.Rule("/s/<int:n>", endpoint="s", subdomain="<sub>"),
            ]
            if host
            else [
                mod.Rule("/", endpoint="e", defaults={"p": 1}, subdomain="www"),
                mod.Rule("/", endpoint="e", defaults={"p": 1}, subdomain="api"),
                mod.Rule("/s", endpoint="s", defaults={"n": 1}),
                mod.Rule("/s/", endpoint="s", defaults={"n": 1}, subdomain="<sub>"),
            ],
            **options,
        )
        try:
            return m.bind(**bind).match(path)
        except wz.RequestRedirect as e:
            return e.new_url

    assert "://" in _same(location)


def test_build_of_a_rule_without_host_under_host_matching() -> None:
    # (README: werkzeug builds a URL with an empty host; kolba a path)
    def built(mod: Any) -> Any:
        m = mod.Map([mod.Rule("/g", endpoint="g")], host_matching=True)
        return m.bind("a.example").build("g"), m.bind("").match("/g")

    theirs, ours = _both(built)
    assert theirs == ("http:///g", ("g", {}))
    assert ours == ("/g", ("g", {}))
    app = kolba.Flask(__name__, host_matching=True, static_host="a.example")
    app.add_url_rule("/g", "g", str)
    assert app.test_client().get("/g", base_url="http://a.example").status_code == 404
    with app.test_request_context("/", base_url="http://a.example"):
        assert kolba.url_for("g") == "/g"
