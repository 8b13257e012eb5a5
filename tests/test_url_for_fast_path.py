"""url_for's fast builders (kolba.routing.Map._builder) give Flask 3.1's URLs:
each test builds the same app with Flask and with kolba and compares what
url_for gives, twice (the second call takes the cached builder), and again
after the app, its map or a class changed."""

from __future__ import annotations

import typing as t
from types import ModuleType

import flask
import pytest
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

import kolba

MODULES = (flask, kolba)


def _urls(
    setup: t.Callable[[ModuleType, t.Any], None],
    calls: t.Callable[[ModuleType], list[t.Any]],
    context: t.Callable[[t.Any], t.Any] = lambda app: app.test_request_context("/"),
) -> list[list[t.Any]]:
    """What ``calls(mod)`` gives in ``context(app)``, twice, for each module."""
    out = []
    for mod in MODULES:
        app = mod.Flask(__name__)
        app.testing = True
        setup(mod, app)
        with context(app):
            out.append([_outcome(calls, mod), _outcome(calls, mod)])
    return out


def _outcome(calls: t.Callable[[ModuleType], list[t.Any]], mod: ModuleType) -> t.Any:
    try:
        return calls(mod)
    except Exception as e:  # (the same error class, by name)
        return type(e).__name__


def _url_for(mod: ModuleType) -> t.Callable[..., str]:
    """``mod.url_for``, which gives the name of the error it raises."""

    def url_for(*args: t.Any, **kwargs: t.Any) -> str:
        try:
            return t.cast(str, mod.url_for(*args, **kwargs))
        except Exception as e:
            return type(e).__name__

    return url_for


def _same(urls: list[list[t.Any]]) -> list[t.Any]:
    (flask_first, flask_again), (kolba_first, kolba_again) = urls
    assert flask_first == flask_again
    assert [kolba_first, kolba_again] == [flask_first, flask_first]
    return t.cast(list[t.Any], kolba_first)


def _routes(mod: ModuleType, app: t.Any) -> None:
    app.add_url_rule("/", "index", str)
    app.add_url_rule("/user/<int:id>", "user", str)
    app.add_url_rule("/post/<slug>/edit", "edit", str)
    app.add_url_rule("/files/<path:name>", "files", str)
    app.add_url_rule("/t/<int:a>/<b>/x", "two", str)
    app.add_url_rule("/<path:p>/x", "lead", str)  # (may build "//": one "/")


def test_values_and_query_strings_as_flask() -> None:
    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [
            u("index"),
            u("index", page=2),
            u("index", b=1, a=2, c="z"),  # (the order given, not sorted)
            u("index", q="a b", r="x&y", s="+", t="é", u="~-._", v="/?:@"),
            u("index", n=None, m=1),  # (None left out)
            u("index", tags=["a", "b"], ids=(1, 2), e=[]),
            u("index", tags=["a", None, "b"]),
            u("index", flag=True, f=1.5, neg=-3, big=10**20),
            u("index", **{"a b": 1, "ü": 2, "": 3}),
            u("user", id=42),
            u("user", id=-1),
            u("user", id=0),
            u("user", id="42"),
            u("user", id=True),
            u("user", id=42, page=2, q="x y"),
            u("user", id=None),
            u("user"),
            u("edit", slug="hello"),
            u("edit", slug="a b/c?d#e%f"),
            u("edit", slug="žluť"),
            u("edit", slug=""),
            u("edit", slug=5),
            u("edit", slug=2.5),
            u("edit", slug="~!$&'()*+,;=:@"),
            u("files", name="a/b c.txt"),
            u("files", name="/abs"),
            u("lead", p="/a"),
            u("lead", p="/a", q=1),
            u("lead", p=""),
            u("two", a=1, b="x"),
            u("two", a=1, b="y z", extra="1"),
            u("two", a="no", b="x"),
            u("two", a=1),
        ]

    _same(_urls(_routes, calls))


def test_a_value_that_needs_no_quoting_as_flask() -> None:
    # a str subclass with its own __str__ is written by the converter
    class Shout(str):
        def __str__(self) -> str:
            return self.upper()

    def calls(mod: ModuleType) -> list[t.Any]:
        return [
            mod.url_for("edit", slug=Shout("abc")),
            mod.url_for("index", q=Shout("abc")),
        ]

    _same(_urls(_routes, calls))


def test_anchor_method_scheme_external_as_flask() -> None:
    def setup(mod: ModuleType, app: t.Any) -> None:
        _routes(mod, app)
        app.add_url_rule("/form", "form", str, methods=["POST"])

    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [
            u("index", _anchor="top part"),
            u("user", id=1, _external=True),
            u("user", id=1, _external=False),
            u("user", id=1, _scheme="https", _external=True),
            u("user", id=1, _method="GET"),
            u("form"),
            u("form", _method="POST"),
            u("form", _method="GET"),
        ]

    _same(_urls(setup, calls))


def test_the_script_root_and_server_name_as_flask() -> None:
    def calls(mod: ModuleType) -> list[t.Any]:
        return [mod.url_for("index"), mod.url_for("user", id=3, _external=True)]

    in_request = _urls(
        _routes, calls, lambda app: app.test_request_context("/", base_url="http://h/app")
    )
    assert _same(in_request) == ["/app/", "http://h/app/user/3"]

    def server(mod: ModuleType, app: t.Any) -> None:
        _routes(mod, app)
        app.config.update(
            SERVER_NAME="example.com:8080",
            APPLICATION_ROOT="/root/",
            PREFERRED_URL_SCHEME="https",
        )

    outside = _urls(server, calls, lambda app: app.app_context())
    assert _same(outside) == [
        "https://example.com:8080/root/",
        "https://example.com:8080/root/user/3",
    ]
    assert _same(_urls(server, calls)) == [
        "/root/",
        "https://example.com:8080/root/user/3",
    ]


def test_url_for_under_an_asgi_root_path() -> None:
    app = kolba.Flask(__name__)
    _routes(kolba, app)

    @app.route("/links")
    def links() -> str:
        return " ".join([kolba.url_for("index"), kolba.url_for("user", id=4)] * 2)

    response = app.test_client().get("/links", environ_base={})  # (WSGI: no root)
    assert response.text == "/ /user/4 / /user/4"
    import asyncio

    sent: list[t.Any] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/mnt/links",
        "raw_path": b"/mnt/links",
        "root_path": "/mnt",
        "query_string": b"",
        "headers": [(b"host", b"example.com")],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }
    asyncio.run(app.asgi_app(scope, receive, send))
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    body = b"".join(m.get("body", b"") for m in bodies)
    assert body == b"/mnt/ /mnt/user/4 /mnt/ /mnt/user/4"


def test_url_defaults_as_flask_even_added_after_a_url_was_built() -> None:
    def calls(mod: ModuleType) -> list[t.Any]:
        app = mod.current_app
        first = mod.url_for("user", id=1)
        app.url_defaults(lambda endpoint, values: values.setdefault("lang", "cs"))
        app.url_default_functions[None].append(
            lambda endpoint, values: values.update(id=7) if "id" in values else None
        )
        rv = [first, mod.url_for("user", id=1), mod.url_for("index")]
        app.url_default_functions.clear()
        return rv

    _same(_urls(_routes, calls))


def test_a_blueprints_url_defaults_and_relative_names_as_flask() -> None:
    def setup(mod: ModuleType, app: t.Any) -> None:
        _routes(mod, app)
        bp = mod.Blueprint("bp", __name__, url_prefix="/<lang>")
        bp.add_url_rule("/page/<int:n>", "page", str)
        bp.add_url_rule("/", "home", str)
        bp.url_defaults(lambda endpoint, values: values.setdefault("lang", "en"))
        app.register_blueprint(bp)
        app.add_url_rule("/home", ".home", str)  # (an app rule named as relative)

    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [u(".page", n=2), u(".home"), u("bp.page", n=3, lang="de"), u("index")]

    _same(_urls(setup, calls, lambda app: app.test_request_context("/en/page/1")))
    _same(_urls(setup, calls))
    urls = []
    for mod in MODULES:  # (".home" built outside a request, then in one)
        app = mod.Flask(__name__)
        app.config["SERVER_NAME"] = "example.com"
        setup(mod, app)
        with app.app_context():
            urls.append([mod.url_for(".home"), mod.url_for(".home")])
        with app.test_request_context("/en/page/1"):
            urls.append([mod.url_for(".home"), mod.url_for(".home")])
    assert urls[2:] == urls[:2]


def test_an_override_of_inject_url_defaults_is_called_as_flask() -> None:
    def setup(mod: ModuleType, app: t.Any) -> None:
        _routes(mod, app)
        app.inject_url_defaults = lambda endpoint, values: values.update(page=9)

    def calls(mod: ModuleType) -> list[t.Any]:
        return [mod.url_for("index"), mod.url_for("user", id=1)]

    assert _same(_urls(setup, calls)) == ["/?page=9", "/user/1?page=9"]


@pytest.mark.parametrize("name", ["url_for", "inject_url_defaults"])
def test_a_method_patched_on_the_class_after_the_app_was_made(name: str) -> None:
    for mod in MODULES:
        app = mod.Flask(__name__)
        _routes(mod, app)
        app.config["SERVER_NAME"] = "example.com"
        with app.test_request_context("/"):
            assert mod.url_for("index") == "/"
            template = app.jinja_env.from_string("{{ url_for('index') }}")
            original = getattr(mod.Flask, name)

            def patched(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
                if name == "url_for":
                    return "/patched"
                args[1]["page"] = 1
                return None

            setattr(mod.Flask, name, patched)
            try:
                expected = "/patched" if name == "url_for" else "/?page=1"
                assert mod.url_for("index") == expected
                assert app.url_for("index") == expected
                # (the template's url_for: the app's as its environment was made)
                assert template.render() == ("/" if name == "url_for" else expected)
            finally:
                setattr(mod.Flask, name, original)
            assert mod.url_for("index") == "/"


def test_a_subclass_override_of_url_for_is_called() -> None:
    for mod in MODULES:

        class App(mod.Flask):  # type: ignore[name-defined,misc]
            def url_for(self, /, endpoint: str, **kwargs: t.Any) -> str:
                return "/own/" + super().url_for(endpoint, **kwargs).lstrip("/")

        app = App(__name__)
        _routes(mod, app)
        with app.test_request_context("/"):
            assert [mod.url_for("user", id=1), mod.url_for("user", id=1)] == [
                "/own/user/1",
                "/own/user/1",
            ]
        app.url_for = lambda endpoint, **kw: "instance"  # type: ignore[method-assign]
        with app.test_request_context("/"):
            assert mod.url_for("index") == "instance"


def test_build_error_handlers_see_what_flask_gives_them() -> None:
    def setup(mod: ModuleType, app: t.Any) -> None:
        _routes(mod, app)
        app.url_build_error_handlers.append(
            lambda error, endpoint, values: f"/fallback/{endpoint}/{sorted(values)}"
        )

    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [
            u("user", id=1),
            u("user"),
            u("user", id="x"),
            u("nothing", a=1),
            u("two", a="x"),  # (a value refused, the next one missing)
            u("two", a="x", b="y"),
        ]

    _same(_urls(setup, calls))


def test_rule_defaults_and_several_rules_as_flask() -> None:
    def setup(mod: ModuleType, app: t.Any) -> None:
        app.add_url_rule("/p/", "page", str, defaults={"page": 1})
        app.add_url_rule("/p/<int:page>", "page", str)
        app.add_url_rule("/d/<int:x>", "default", str, defaults={"y": "z"})
        app.add_url_rule("/s/<int:n>", "single", str, defaults={"n": 1})
        app.add_url_rule("/get", "m", str, methods=["GET"])
        app.add_url_rule("/post", "m", str, methods=["POST"])

    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [
            u("page"),
            u("page", page=1),
            u("page", page=2),
            u("default", x=1),
            u("default", x=1, y="z"),
            u("default", x=1, y="other"),
            u("single"),
            u("single", n=1),
            u("single", n=2),
            u("m"),
            u("m", _method="POST"),
        ]

    _same(_urls(setup, calls))
    _same(_urls(setup, calls, lambda app: app.test_request_context("/", method="POST")))


def test_a_rule_added_after_a_url_was_built_builds_as_flask() -> None:
    urls = []
    for mod in MODULES:
        app = mod.Flask(__name__)
        _routes(mod, app)
        with app.test_request_context("/"):
            first = [mod.url_for("user", id=1, page=2), mod.url_for("index", a=1)]
            # (more variables: tried first, as werkzeug orders them)
            app.add_url_rule("/user/<int:id>/<int:page>", "user", str)
            app.add_url_rule("/late", "index", str, defaults={"a": 1})
            urls.append(
                [*first, mod.url_for("user", id=1, page=2), mod.url_for("index", a=1)]
            )
    assert urls[1] == urls[0] == ["/user/1?page=2", "/?a=1", "/user/1/2", "/late"]


def test_the_maps_settings_changed_after_a_url_was_built() -> None:
    for mod in MODULES:
        app = mod.Flask(__name__)
        _routes(mod, app)
        with app.test_request_context("/"):
            assert mod.url_for("index", b=1, a=2) == "/?b=1&a=2"
            app.url_map.sort_parameters = True
            assert mod.url_for("index", b=1, a=2) == "/?a=2&b=1"
            app.url_map.sort_key = lambda item: -ord(item[0][0])
            assert mod.url_for("index", a=1, b=2) == "/?b=2&a=1"


def test_a_maps_own_build_is_asked() -> None:
    class OwnMap(kolba.routing.Map):
        def build(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            rule, domain, path, query = super().build(*args, **kwargs)
            return rule, domain, path + "own", query

    class App(kolba.Flask):
        url_map_class = OwnMap

    app = App(__name__)
    _routes(kolba, app)
    with app.test_request_context("/"):
        assert [kolba.url_for("user", id=1), kolba.url_for("user", id=1)] == [
            "/user/1own",
            "/user/1own",
        ]


def test_converters_of_ones_own_as_flask() -> None:
    class Upper(BaseConverter):
        def to_url(self, value: t.Any) -> str:
            return str(value).upper()

    class Hex(IntegerConverter):
        def to_url(self, value: t.Any) -> str:
            return format(value, "x")

    class Refuses(BaseConverter):
        def to_url(self, value: t.Any) -> str:
            raise ValidationError()

    def setup(mod: ModuleType, app: t.Any) -> None:
        app.url_map.converters.update(up=Upper, hex=Hex, no=Refuses)
        app.add_url_rule("/u/<up:x>", "up", str)
        app.add_url_rule("/h/<hex:x>", "hex", str)
        app.add_url_rule("/n/<no:x>", "no", str)
        app.add_url_rule("/z/<int(fixed_digits=4):x>", "fixed", str)
        app.add_url_rule("/f/<float:x>", "float", str)
        app.add_url_rule("/a/<any(a, b):x>", "any", str)

    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [
            u("up", x="abc"),
            u("hex", x=255),
            u("no", x="a"),
            u("fixed", x=7),
            u("float", x=1.5),
            u("any", x="a"),
        ]

    _same(_urls(setup, calls))


@pytest.mark.parametrize("on", ["converter", "class"])
def test_a_to_url_set_after_a_url_was_built_is_called_as_flask(on: str) -> None:
    for mod in MODULES:

        class Number(IntegerConverter):
            pass

        class Text(BaseConverter):
            pass

        app = mod.Flask(__name__)
        app.url_map.converters.update(number=Number, text=Text)
        app.add_url_rule("/n/<number:id>", "number", str)
        app.add_url_rule("/t/<text:id>", "text", str)
        with app.test_request_context("/"):
            assert [mod.url_for("number", id=5), mod.url_for("text", id="a")] == [
                "/n/5",
                "/t/a",
            ]
            for endpoint, cls in (("number", Number), ("text", Text)):
                conv = app.url_map._rules_by_endpoint[endpoint][0]._converters["id"]
                to_url = lambda self, value: f"x{value}"  # noqa: E731
                if on == "converter":
                    conv.to_url = to_url.__get__(conv)
                else:
                    cls.to_url = to_url  # type: ignore[method-assign]
            assert [mod.url_for("number", id=5), mod.url_for("text", id="a")] == [
                "/n/x5",
                "/t/xa",
            ]


def test_a_rule_class_of_ones_own_is_asked_whether_it_suits() -> None:
    for mod in MODULES:

        class Rule(mod.Flask.url_rule_class):  # type: ignore[name-defined,misc]
            def suitable_for(self, values: t.Any, method: t.Any = None) -> bool:
                return "ok" in values

        class App(mod.Flask):  # type: ignore[name-defined,misc]
            url_rule_class = Rule

        app = App(__name__)
        app.add_url_rule("/", "index", str)
        app.url_build_error_handlers.append(lambda error, endpoint, values: "/refused")
        with app.test_request_context("/"):
            assert [mod.url_for("index"), mod.url_for("index", ok=1)] == [
                "/refused",
                "/?ok=1",
            ]


def test_subdomains_and_hosts_as_flask() -> None:
    def subdomains(mod: ModuleType, app: t.Any) -> None:
        app.config["SERVER_NAME"] = "example.com"
        app.subdomain_matching = True
        app.url_map.default_subdomain = "www"
        _routes(mod, app)
        app.add_url_rule("/", "api", str, subdomain="api")

    def calls(mod: ModuleType) -> list[t.Any]:
        u = _url_for(mod)
        return [u("index"), u("user", id=1), u("api"), u("api", _external=False)]

    for url in ("http://www.example.com/", "http://api.example.com/"):
        context = lambda app, url=url: app.test_request_context(url)  # noqa: E731
        _same(_urls(subdomains, calls, context))

    def hosts(mod: ModuleType, app: t.Any) -> None:
        app.url_map.host_matching = True
        app.add_url_rule("/", "index", str, host="a.test")
        app.add_url_rule("/u/<int:id>", "user", str, host="b.test")
        app.add_url_rule("/api", "api", str, host="a.test")

    for url in ("http://a.test/", "http://b.test/"):
        context = lambda app, url=url: app.test_request_context(url)  # noqa: E731
        _same(_urls(hosts, calls, context))


def test_a_websocket_rule_is_built_as_ws() -> None:
    app = kolba.Flask(__name__)

    @app.websocket("/ws/<int:id>")
    async def ws(id: int) -> None:
        pass

    with app.test_request_context("/", base_url="https://h"):
        assert [kolba.url_for("ws", id=1, _external=True) for _ in "12"] == [
            "wss://h/ws/1",
            "wss://h/ws/1",
        ]
        assert [kolba.url_for("ws", id=1) for _ in "12"] == ["/ws/1", "/ws/1"]


def test_url_for_in_a_template_as_flask() -> None:
    source = (
        "{{ url_for('index') }} {{ url_for('user', id=42) }}"
        " {{ url_for('edit', slug='a b', page=2) }} {{ url_for('index', _anchor='x') }}"
    )

    def calls(mod: ModuleType) -> list[t.Any]:
        return [mod.render_template_string(source)]

    assert _same(_urls(_routes, calls)) == ["/ /user/42 /post/a%20b/edit?page=2 /#x"]


def test_outside_any_context_the_same_error() -> None:
    for mod in MODULES:
        with pytest.raises(RuntimeError, match="application context"):
            mod.url_for("index")
