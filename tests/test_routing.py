"""Unit tests of kolba's router: matching, converters, redirects, building."""

from __future__ import annotations

import gc
import sys
import types
import uuid
from typing import Any

import pytest
import werkzeug.routing
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_routing_order import Even  # (the one even-number converter of both)
from werkzeug.exceptions import MethodNotAllowed, NotFound

from kolba import Flask, url_for
from kolba.routing import (
    DEFAULT_CONVERTERS,
    BaseConverter,
    BuildError,
    Map,
    RequestRedirect,
    Rule,
    ValidationError,
)

pytestmark = pytest.mark.usefixtures("driver")


def make(*specs: str | tuple[str, dict[str, Any]], **map_options: Any) -> Map:
    """A map whose rules are named after their rule string."""
    rules = []
    for spec in specs:
        string, options = (spec, {}) if isinstance(spec, str) else spec
        rules.append(Rule(string, endpoint=options.pop("endpoint", string), **options))
    return Map(rules, **map_options)


def endpoint(m: Map, path: str, method: str = "GET", **kw: Any) -> Any:
    return m.match(path, method, **kw)[0].endpoint


def redirect_of(m: Map, path: str, method: str = "GET", **kw: Any) -> str:
    with pytest.raises(RequestRedirect) as info:
        m.match(path, method, **kw)
    assert info.value.code == 308
    return info.value.new_url


# -- the quickstart ------------------------------------------------------------


def test_seed_example() -> None:
    m = Map(
        [
            Rule("/", endpoint="index"),
            Rule("/login", endpoint="login"),
            Rule("/user/<username>", endpoint="profile"),
        ]
    )
    assert m.match("/")[0].endpoint == "index"
    rule, args = m.match("/user/bob")
    assert (rule.endpoint, args) == ("profile", {"username": "bob"})
    assert m.build("index", {})[2:] == ("/", "")
    assert m.build("login", {})[2:] == ("/login", "")
    assert m.build("login", {"next": "/"})[2:] == ("/login", "next=/")
    assert m.build("profile", {"username": "John Doe"})[2] == "/user/John%20Doe"


# -- converters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("/<int:v>", "/42", 42),
        ("/<int:v>", "/007", 7),
        ("/<int:v>", "/-1", None),
        ("/<int:v>", "/+1", None),
        ("/<int:v>", "/1.5", None),
        ("/<int(signed=True):v>", "/-1", -1),
        ("/<int(signed=True):v>", "/+1", None),
        ("/<int(fixed_digits=4):v>", "/0042", 42),
        ("/<int(fixed_digits=4):v>", "/42", None),
        ("/<int(fixed_digits=4):v>", "/00042", None),
        ("/<int(min=1, max=9):v>", "/0", None),
        ("/<int(min=1, max=9):v>", "/9", 9),
        ("/<int(min=1, max=9):v>", "/10", None),
        ("/<float:v>", "/1.5", 1.5),
        ("/<float:v>", "/1", None),
        ("/<float:v>", "/-1.5", None),
        ("/<float(signed=True):v>", "/-1.5", -1.5),
        ("/<float(max=2.0):v>", "/2.5", None),
        ("/<any(a, b, 'c d'):v>", "/a", "a"),
        ("/<any(a, b, 'c d'):v>", "/c d", "c d"),
        ("/<any(a, b, 'c d'):v>", "/ab", None),
        ("/<string(length=2):v>", "/ab", "ab"),
        ("/<string(length=2):v>", "/abc", None),
        ("/<string(minlength=2, maxlength=3):v>", "/a", None),
        ("/<string(minlength=2, maxlength=3):v>", "/abc", "abc"),
        ("/<string(minlength=2, maxlength=3):v>", "/abcd", None),
        ("/<v>", "/a b", "a b"),
        ("/x/<path:v>", "/x/a/b/c", "a/b/c"),
        ("/x/<path:v>", "/x/", None),
    ],
)
def test_converters(rule: str, path: str, expected: Any) -> None:
    m = make(rule)
    if expected is None:
        with pytest.raises(NotFound):
            m.match(path)
    else:
        value = m.match(path)[1]["v"]
        assert value == expected
        assert type(value) is type(expected)


def test_uuid_converter() -> None:
    m = make("/<uuid:v>")
    text = "12345678-90ab-cdef-ABCD-1234567890ab"
    assert m.match("/" + text)[1]["v"] == uuid.UUID(text)
    for bad in ("/1234567890abcdefabcd1234567890ab", "/12345678-90ab-cdef-abcd-12345"):
        with pytest.raises(NotFound):
            m.match(bad)
    assert m.build("/<uuid:v>", {"v": uuid.UUID(text)})[2] == "/" + text.lower()


def test_default_converters_registry_is_per_map() -> None:
    assert set(DEFAULT_CONVERTERS) >= {"string", "int", "float", "path", "uuid", "any"}
    m = Map()
    m.converters["custom"] = BaseConverter
    assert "custom" not in DEFAULT_CONVERTERS
    assert "custom" not in Map().converters


class ListConverter(BaseConverter):
    """Comma-separated words; rejects empty items."""

    def to_python(self, value: str) -> list[str]:
        items = value.split(",")
        if not all(items):
            raise ValidationError()
        return items

    def to_url(self, value: list[str]) -> str:
        return ",".join(super(ListConverter, self).to_url(v) for v in value)


def test_custom_converter() -> None:
    m = Map(converters={"list": ListConverter})
    m.add(Rule("/tags/<list:tags>", endpoint="tags"))
    assert m.match("/tags/a,b")[1] == {"tags": ["a", "b"]}
    with pytest.raises(NotFound):
        m.match("/tags/a,,b")
    assert m.build("tags", {"tags": ["x y", "z"]})[2] == "/tags/x%20y,z"


def test_custom_converter_registered_after_creation_with_args() -> None:
    class Prefixed(BaseConverter):
        def __init__(self, map: Map, prefix: str) -> None:
            super().__init__(map)
            self.regex = f"{prefix}[0-9]+"

    m = Map()
    m.converters["pre"] = Prefixed
    m.add(Rule("/<pre(x):code>", endpoint="code"))
    assert m.match("/x12")[1] == {"code": "x12"}
    with pytest.raises(NotFound):
        m.match("/y12")


def test_werkzeug_converter_subclass() -> None:
    class Upper(werkzeug.routing.BaseConverter):
        regex = "[A-Z]+"

        def to_python(self, value: str) -> str:
            return value.lower()

        def to_url(self, value: str) -> str:
            return value.upper()

    m = Map(converters={"upper": Upper})
    m.add(Rule("/<upper:word>", endpoint="w"))
    assert m.match("/ABC")[1] == {"word": "abc"}
    with pytest.raises(NotFound):
        m.match("/abc")
    assert m.build("w", {"word": "hi"})[2] == "/HI"


def test_validation_error_ends_the_match() -> None:
    # werkzeug converts a rule's values once the search has found the rule: a
    # converter's refusal is a 404 then, not a try of the next candidate.
    m = Map(converters={"even": Even})
    m.add(Rule("/n/<even:n>", endpoint="even"))
    m.add(Rule("/n/<int:n>", endpoint="int"))
    m.add(Rule("/m/<even:n>", endpoint="m-even", methods=["POST"]))
    m.add(Rule("/m/<int:n>", endpoint="m-int"))
    assert m.match("/n/4")[1] == {"n": 4}
    assert endpoint(m, "/n/4") == "even"
    with pytest.raises(NotFound):
        m.match("/n/3")
    assert endpoint(m, "/m/3") == "m-int"  # (/m/<even:n> refused the method)
    with pytest.raises(NotFound):
        m.match("/m/3", "POST")


def test_a_refusal_after_a_rule_refused_the_method_is_a_405() -> None:
    m = make(("/k/<int:n>", {"methods": ["POST"]}), "/k/<int(min=5):n>")
    assert endpoint(m, "/k/7") == "/k/<int(min=5):n>"
    with pytest.raises(MethodNotAllowed) as info:
        m.match("/k/3")
    assert info.value.valid_methods == ["POST"]


def test_a_refusal_of_a_rule_sharing_a_part_ends_the_match() -> None:
    # int(min=5) and int have one regex and one weight: one part, whose first
    # rule is the first added; its refusal is a 404.
    m = make("/<int(min=5):a>", "/<int:b>")
    assert m.match("/7")[1] == {"a": 7}
    with pytest.raises(NotFound):
        m.match("/3")


def test_non_isolating_custom_converter_spans_segments() -> None:
    class Slashy(BaseConverter):
        regex = "[a-z]+/[a-z]+"

    assert Slashy.part_isolating is False
    m = Map(converters={"slashy": Slashy})
    m.add(Rule("/s/<slashy:v>/end", endpoint="s"))
    assert m.match("/s/ab/cd/end")[1] == {"v": "ab/cd"}


def test_path_converter_with_suffix_and_slash_redirect() -> None:
    m = make("/f/<path:p>/edit", "/dir/<path:p>/")
    assert m.match("/f/a/b/edit")[1] == {"p": "a/b"}
    with pytest.raises(NotFound):
        m.match("/f/a/b")
    assert m.match("/dir/a/b/")[1] == {"p": "a/b"}
    assert redirect_of(m, "/dir/a/b") == "/dir/a/b/"


def test_mixed_static_and_variables_in_a_segment() -> None:
    m = make("/file/<name>.<ext>", "/v<int:n>", "/<page>")
    assert m.match("/file/report.tar.gz")[1] == {"name": "report.tar", "ext": "gz"}
    assert m.match("/v12")[1] == {"n": 12}
    assert endpoint(m, "/vx") == "/<page>"
    with pytest.raises(NotFound):
        m.match("/file/report")


# -- priority ------------------------------------------------------------------


def test_static_beats_converter_whatever_the_order() -> None:
    m = make("/user/<name>", "/user/new")
    assert endpoint(m, "/user/new") == "/user/new"
    assert endpoint(m, "/user/bob") == "/user/<name>"


def test_backtracking_from_static_branch() -> None:
    m = make("/a/<x>/b", "/a/c/<y>")
    assert m.match("/a/c/b")[0].rule == "/a/c/<y>"
    assert m.match("/a/c/d")[1] == {"y": "d"}
    assert m.match("/a/z/b")[1] == {"x": "z"}
    m = make("/a/<x>/b", "/a/c/d")
    assert m.match("/a/c/b")[1] == {"x": "c"}


def test_converter_weight_then_registration_order() -> None:
    # werkzeug's weights: int and float 50, string, any and uuid 100, path 200
    m = make("/<name>", "/<path:p>", "/<int:n>", "/<uuid:u>")
    assert endpoint(m, "/42") == "/<int:n>"
    assert endpoint(m, "/12345678-1234-1234-1234-123456789012") == "/<name>"
    assert endpoint(m, "/bob") == "/<name>"
    assert endpoint(m, "/a/b") == "/<path:p>"
    m = make("/<a>", ("/<b>", {"endpoint": "second"}))
    assert endpoint(m, "/x") == "/<a>"
    m = make("/<uuid:u>", "/<name>")
    assert endpoint(m, "/12345678-1234-1234-1234-123456789012") == "/<uuid:u>"


def test_static_match_falls_back_to_dynamic_on_method() -> None:
    m = make(("/x/new", {"methods": ["POST"]}), "/x/<name>")
    assert endpoint(m, "/x/new", "GET") == "/x/<name>"
    assert endpoint(m, "/x/new", "POST") == "/x/new"


# -- errors --------------------------------------------------------------------


def test_not_found() -> None:
    m = make("/", "/a/<int:n>")
    for path in ("/nope", "/a", "/a/x", "/a/1/2", "/a/1/"):
        with pytest.raises(NotFound):
            m.match(path)
    assert redirect_of(m, "") == "/"  # an empty PATH_INFO: to the root, as werkzeug


def test_method_not_allowed_lists_valid_methods() -> None:
    m = make(
        ("/r", {"methods": ["GET"]}),
        ("/r", {"methods": ["POST", "delete"], "endpoint": "other"}),
        ("/d/<int:n>", {"methods": ["PUT"]}),
    )
    with pytest.raises(MethodNotAllowed) as info:
        m.match("/r", "PATCH")
    assert info.value.valid_methods == ["DELETE", "GET", "HEAD", "POST"]
    assert endpoint(m, "/r", "DELETE") == "other"
    assert endpoint(m, "/r", "HEAD") == "/r"
    with pytest.raises(MethodNotAllowed) as info:
        m.match("/d/1", "GET")
    assert info.value.valid_methods == ["PUT"]
    with pytest.raises(NotFound):
        m.match("/d/x", "PUT")


def test_methods_none_means_any() -> None:
    m = make("/any")
    assert m.match("/any", "BREW")[0].methods is None


def test_method_mismatch_does_not_hide_other_match() -> None:
    m = make(("/<int:n>", {"methods": ["POST"]}), "/<name>")
    assert m.match("/1", "GET")[1] == {"name": "1"}


# -- slashes -------------------------------------------------------------------


def test_trailing_slash_redirect_and_404() -> None:
    m = make("/dir/", "/file", "/u/<name>/")
    assert redirect_of(m, "/dir") == "/dir/"
    assert redirect_of(m, "/u/bob") == "/u/bob/"
    assert endpoint(m, "/dir/") == "/dir/"
    with pytest.raises(NotFound):
        m.match("/file/")


def test_redirect_path_is_percent_encoded() -> None:
    m = make("/ä b/")
    assert redirect_of(m, "/ä b") == "/%C3%A4%20b/"


def test_slash_redirect_wins_over_converter() -> None:
    m = make("/<name>", "/about/")
    assert redirect_of(m, "/about") == "/about/"


def test_strict_slashes_false_on_rule_and_map() -> None:
    m = make(("/a", {"strict_slashes": False}), ("/b/", {"strict_slashes": False}))
    assert endpoint(m, "/a") == endpoint(m, "/a/") == "/a"
    assert endpoint(m, "/b") == endpoint(m, "/b/") == "/b/"
    m = make("/a", "/b/<int:n>/", strict_slashes=False)
    assert endpoint(m, "/a/") == "/a"
    assert m.match("/b/1")[1] == {"n": 1}
    assert m.match("/a/")[0].strict_slashes is False


def test_merge_slashes() -> None:
    m = make("/a/b", "/p/<path:p>", ("/keep/it", {"merge_slashes": False}))
    assert redirect_of(m, "/a//b") == "/a/b"
    assert m.match("/p/x//y")[1] == {"p": "x//y"}
    with pytest.raises(NotFound):
        m.match("/keep//it")
    m = make("/a/b", merge_slashes=False)
    with pytest.raises(NotFound):
        m.match("/a//b")


# -- redirects and defaults ----------------------------------------------------


def test_redirect_to_string_and_callable() -> None:
    m = make(
        ("/old/<int:id>", {"redirect_to": "/new/<id>"}),
        ("/wiki/<name>", {"redirect_to": lambda adapter, name: f"/w/{name.upper()}"}),
        ("/out", {"redirect_to": "https://example.com/x"}),
    )
    assert redirect_of(m, "/old/7") == "/new/7"
    assert redirect_of(m, "/wiki/flask") == "/w/FLASK"
    assert redirect_of(m, "/out") == "https://example.com/x"


def test_defaults_fill_missing_values() -> None:
    m = make(
        ("/page/", {"defaults": {"n": 1}, "endpoint": "page"}),
        ("/page/<int:n>", {"endpoint": "page"}),
        ("/lang/<code>", {"defaults": {"fmt": "html"}}),
    )
    assert m.match("/page/")[1] == {"n": 1}
    assert m.match("/page/5")[1] == {"n": 5}
    assert m.match("/lang/ru")[1] == {"code": "ru", "fmt": "html"}
    assert m.match("/page/")[0].arguments == {"n"}


def test_url_equal_to_defaults_redirects_to_canonical_rule() -> None:
    m = make(
        ("/page/", {"defaults": {"n": 1}, "endpoint": "page"}),
        ("/page/<int:n>", {"endpoint": "page"}),
    )
    assert redirect_of(m, "/page/1") == "/page/"


def test_match_returns_fresh_dicts() -> None:
    m = make(("/", {"defaults": {"a": 1}}))
    m.match("/")[1]["a"] = 2
    assert m.match("/")[1] == {"a": 1}


# -- host and subdomain --------------------------------------------------------


def test_subdomain_matching() -> None:
    m = make(
        "/",
        ("/", {"subdomain": "api", "endpoint": "api"}),
        ("/me", {"subdomain": "<user>", "endpoint": "user"}),
        default_subdomain="www",
    )
    assert endpoint(m, "/", subdomain="www") == "/"
    assert endpoint(m, "/", subdomain="api") == "api"
    assert m.match("/me", subdomain="bob")[1] == {"user": "bob"}
    with pytest.raises(NotFound):
        m.match("/", subdomain="bob")
    # None: subdomain matching is off, rules' subdomains are ignored.
    assert endpoint(m, "/") == "/"
    assert endpoint(m, "/me") == "user"


def test_host_matching() -> None:
    m = make(
        ("/", {"host": "example.com", "endpoint": "main"}),
        ("/", {"host": "<user>.example.com", "endpoint": "user"}),
        host_matching=True,
    )
    assert endpoint(m, "/", host="example.com") == "main"
    assert endpoint(m, "/", host="EXAMPLE.com") == "main"
    assert m.match("/", host="bob.example.com")[1] == {"user": "bob"}
    with pytest.raises(NotFound):
        m.match("/", host="other.org")
    assert m.build("user", {"user": "al"})[1:] == ("al.example.com", "/", "")
    assert m.build("main", {})[1] == "example.com"


def test_build_subdomain() -> None:
    m = make(("/u", {"subdomain": "<user>", "endpoint": "u"}), "/")
    assert m.build("u", {"user": "bob"})[1:] == ("bob", "/u", "")
    assert m.build("/", {})[1] is None


# -- building ------------------------------------------------------------------


def test_build_encoding_and_query() -> None:
    m = make("/user/<name>", "/привет", "/d/<int(fixed_digits=3):n>", "/p/<path:p>")
    assert m.build("/user/<name>", {"name": "é/ü?#%&"})[2] == (
        "/user/%C3%A9/%C3%BC%3F%23%25&"
    )
    assert m.build("/привет", {})[2] == "/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82"
    assert m.build("/d/<int(fixed_digits=3):n>", {"n": 7})[2] == "/d/007"
    assert m.build("/p/<path:p>", {"p": "a b/c"})[2] == "/p/a%20b/c"
    query = m.build("/привет", {"q": "a b+c&é", "l": [1, 2], "t": (3,), "n": None})[3]
    assert query == "q=a+b%2Bc%26%C3%A9&l=1&l=2&t=3"


def test_build_matches_werkzeug() -> None:
    strings = ["/login", "/user/<username>", "/d/<int(fixed_digits=3):n>"]
    ours = Map([Rule(s, endpoint=s) for s in strings])
    theirs = werkzeug.routing.Map(
        [werkzeug.routing.Rule(s, endpoint=s) for s in strings]
    ).bind("localhost")
    cases = [
        ("/login", {"next": "/a b?c=d&e", "s": "!$'()*,/:;?@~#[]"}),
        ("/user/<username>", {"username": "Jöhn Doe/+%", "x": True}),
        ("/d/<int(fixed_digits=3):n>", {"n": 42, "list": ["a", "b"]}),
    ]
    for name, values in cases:
        _, _, path, query = ours.build(name, values)
        assert path + ("?" + query if query else "") == theirs.build(name, values)


def test_build_defaults_and_method() -> None:
    m = make(
        ("/all/", {"defaults": {"page": 1}, "endpoint": "all"}),
        ("/all/page/<int:page>", {"endpoint": "all"}),
        ("/m-post", {"methods": ["POST"], "endpoint": "m"}),
        ("/m-get", {"methods": ["GET"], "endpoint": "m"}),
    )
    assert m.build("all", {})[2:] == ("/all/", "")
    assert m.build("all", {"page": 1})[2:] == ("/all/", "")
    assert m.build("all", {"page": 2})[2:] == ("/all/page/2", "")
    assert m.build("m", {})[2] == "/m-get"
    assert m.build("m", {}, "POST")[2] == "/m-post"
    with pytest.raises(BuildError) as info:
        m.build("m", {}, "PUT")
    assert "'m'" in str(info.value) and "'PUT'" in str(info.value)


def test_build_errors() -> None:
    m = make(("/user/<name>/<int:n>", {"endpoint": "profile"}), "/login")
    with pytest.raises(BuildError) as info:
        m.build("profile", {"name": "x"})
    assert isinstance(info.value, werkzeug.routing.BuildError)
    assert "'profile'" in str(info.value) and "['n']" in str(info.value)
    with pytest.raises(BuildError, match="missing values"):
        m.build("profile", {"name": "x", "n": None})
    with pytest.raises(BuildError) as info:
        m.build("/logn", {})
    assert "no such endpoint" in str(info.value) and "'/login'" in str(info.value)
    with pytest.raises(BuildError) as info:
        m.build("zzzzzz", {})
    assert "Did you mean" not in str(info.value)


def test_a_build_error_for_a_method_no_rule_takes_names_the_methods() -> None:
    m = make(
        ("/p/<int:id>", {"endpoint": "p", "methods": ["POST"]}),
        ("/p/<int:id>/edit", {"endpoint": "p", "methods": ["PUT"]}),
    )
    with pytest.raises(BuildError) as info:
        m.build("p", {"id": 1}, "GET")
    assert info.value.allowed_methods == ["POST", "PUT"]
    assert "Did you mean to use methods ['POST', 'PUT']?" in str(info.value)
    with pytest.raises(BuildError) as info:  # a method taken: the missing value
        m.build("p", {}, "POST")
    assert info.value.allowed_methods == [] and "missing values ['id']" in str(
        info.value
    )
    app = Flask(__name__)
    app.post("/q")(lambda: "")
    with app.test_request_context(), pytest.raises(BuildError) as info:
        url_for("<lambda>", _method="GET")
    assert "methods ['OPTIONS', 'POST']" in str(info.value)  # (as Flask's)


def test_build_skips_rule_whose_converter_refuses() -> None:
    class Picky(BaseConverter):
        def to_url(self, value: Any) -> str:
            if value == "bad":
                raise ValidationError()
            return str(value)

    m = Map(converters={"picky": Picky})
    m.add(Rule("/a/<picky:v>", endpoint="e"))
    m.add(Rule("/b/<v>", endpoint="e"))
    assert m.build("e", {"v": "ok"})[2] == "/a/ok"
    assert m.build("e", {"v": "bad"})[2] == "/b/bad"


def test_build_only_rules_build_but_never_match() -> None:
    m = make(("/static/<path:f>", {"build_only": True}))
    assert m.build("/static/<path:f>", {"f": "a.css"})[2] == "/static/a.css"
    with pytest.raises(NotFound):
        m.match("/static/a.css")


# -- rules ---------------------------------------------------------------------


def test_rule_attributes() -> None:
    rule = Rule(
        "/u/<int:id>/",
        endpoint="u",
        methods=["get", "post"],
        defaults={"x": 1},
        redirect_to="/v/<id>",
    )
    assert rule.methods == {"GET", "HEAD", "POST"}
    assert rule.provide_automatic_options is False
    assert rule.map is None
    m = Map([rule])
    assert rule.map is m
    assert rule.arguments == {"id", "x"}
    assert rule.is_leaf is False and Rule("/a").is_leaf is True
    assert rule.strict_slashes is True
    # werkzeug's: variables by name, methods in the set's order
    assert repr(rule) == f"<Rule '/u/<id>/' ({', '.join(rule.methods)}) -> u>"
    assert list(m.iter_rules()) == list(m) == [rule]
    assert list(m.iter_rules("u")) == [rule]
    with pytest.raises(KeyError):
        m.iter_rules("other")


@pytest.mark.parametrize(
    ("string", "error", "words"),
    [
        ("no-slash", ValueError, "slash"),
        ("/a/<int:id", ValueError, "malformed"),
        ("/a/<>", ValueError, "malformed"),
        ("/a/<1x>", ValueError, "malformed"),
        ("/a/<x>/<int:x>", ValueError, "repeats"),
        ("/a/<nope:x>", LookupError, "nope"),
        ("/a/<int(fixed_digits=):x>", ValueError, "argument"),
        ("/a/<int(bogus=1):x>", TypeError, "bogus"),
    ],
)
def test_malformed_rules(string: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words) as info:
        Map([Rule(string, endpoint="e")])
    if error is not TypeError and string.startswith("/"):
        assert repr(string) in str(info.value)


def test_rule_cannot_join_two_maps() -> None:
    rule = Rule("/x", endpoint="x")
    Map([rule])
    with pytest.raises(ValueError, match="already"):
        Map([rule])


def test_non_ascii_paths() -> None:
    m = make("/привет/<name>", "/café")
    assert m.match("/привет/мир")[1] == {"name": "мир"}
    assert endpoint(m, "/café") == "/café"
    assert m.build("/привет/<name>", {"name": "мир"})[2] == (
        "/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82/%D0%BC%D0%B8%D1%80"
    )


def test_matches_werkzeug_on_a_mixed_table() -> None:
    strings = [
        "/",
        "/user/new",
        "/user/<name>",
        "/a/<x>/b",
        "/a/c/<y>",
        "/n/<int:i>",
        "/n/<name>",
        "/dir/",
        "/p/<path:p>/edit",
        "/v<int:n>",
    ]
    ours = Map([Rule(s, endpoint=s) for s in strings])
    theirs = werkzeug.routing.Map(
        [werkzeug.routing.Rule(s, endpoint=s) for s in strings]
    ).bind("h")

    def outcome(match: Any, path: str) -> Any:
        try:
            rule, args = match(path)
        except werkzeug.routing.RequestRedirect as e:
            return "redirect", e.new_url.removeprefix("http://h")
        except NotFound:
            return "404"
        return getattr(rule, "rule", rule), args

    paths = ["/", "/user/new", "/user/x", "/a/c/b", "/a/z/b", "/n/5", "/n/x", "/dir"]
    paths += ["/p/a/b/edit", "/p/a", "/v3", "/vx", "/user/x/", "/nothing"]
    for path in paths:
        ours_outcome = outcome(ours.match, path)
        theirs_outcome = outcome(lambda p: theirs.match(p, return_rule=True), path)
        assert ours_outcome == theirs_outcome, path


# -- performance ---------------------------------------------------------------


def opcodes_of_match(m: Map, path: str) -> int:
    """The Python opcodes one ``m.match(path)`` executes: a count that load on
    the machine does not move, unlike a timing."""
    m.match(path)  # (anything built on first use is built)
    count = 0

    def trace(frame: types.FrameType, event: str, arg: object) -> Any:
        nonlocal count
        frame.f_trace_opcodes = True
        if event == "opcode":
            count += 1
        return trace

    # (no collection in between: it may run other tests' finalizers, whose
    # opcodes counted too, once in the whole suite)
    gc.collect()
    gc.disable()
    try:
        # twice, the second count kept: Python 3.12 sends no opcode event the
        # first time a process traces opcodes (0 counted, then 36 for "/")
        for _ in range(2):
            count = 0
            sys.settrace(trace)
            try:
                m.match(path)
            finally:
                sys.settrace(None)
    finally:
        gc.enable()
    return count


def test_match_cost_does_not_grow_with_rule_count() -> None:
    common = ["/", "/user/<int:id>", "/<name>/end"]
    small = make(*common)
    big = Map()
    for i in range(1000):
        big.add(Rule(f"/r{i}/<int:x>", endpoint=f"r{i}"))
        big.add(Rule(f"/static{i}", endpoint=f"s{i}"))
        big.add(Rule(f"/<name>/x{i}", endpoint=f"x{i}"))
    for string in common:
        big.add(Rule(string, endpoint=string))
    assert big.match("/static999")[0].endpoint == "s999"
    assert big.match("/r999/5")[1] == {"x": 5}
    assert big.match("/bob/end")[0].endpoint == "/<name>/end"
    for path in ("/", "/user/42", "/bob/end"):
        # the same steps: no rule of the 3,000 others is looked at
        assert opcodes_of_match(big, path) == opcodes_of_match(small, path)


def _outcome(call: Any) -> Any:
    """What a match gives: the rule and arguments, or the error's class."""
    try:
        rule, args = call()
    except (NotFound, MethodNotAllowed, RequestRedirect) as e:
        return type(e), getattr(e, "new_url", None)
    return rule.rule, sorted(rule.methods or ()), args


_SEGMENTS = ["a", "b", "5", "<int:n>", "<x>", "<int(min=3):m>", "<path:p>", ""]


@given(
    rules=st.lists(
        st.tuples(
            st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=3),
            st.sampled_from([("GET",), ("POST",), None]),
            st.booleans(),
        ),
        max_size=8,
    ),
    path=st.lists(st.sampled_from(["a", "b", "5", "42", "-1", "x", ""]), max_size=4),
    method=st.sampled_from(["GET", "POST"]),
    slash=st.booleans(),  # (a path without one: the search strips them)
)
@example(  # a static segment's slash redirect outranks a converter
    rules=[(["a", "5", ""], ("GET",), False), (["a", "<int:n>"], ("GET",), False)],
    path=["a", "5"],
    method="GET",
    slash=True,
)
@settings(max_examples=400)
def test_the_fast_match_finds_what_the_search_finds(
    rules: list[tuple[list[str], tuple[str, ...] | None, bool]],
    path: list[str],
    method: str,
    slash: bool,
) -> None:
    # Map.match's shortcuts (a static path's node, the node of a path whose
    # segments but the last are static, the first choice at each segment)
    # answer as the full depth-first search (Map._match) does.
    m = Map()
    seen = set()
    for segments, methods, with_defaults in rules:
        string = "/" + "/".join(segments)
        names = [s.split(":")[-1].split(">")[0] for s in segments if "<" in s]
        if string in seen or len(set(names)) < len(names):
            continue  # (one rule per string; no variable named twice)
        seen.add(string)
        defaults = {"d": 1} if with_defaults else None
        m.add(Rule(string, endpoint=string, methods=methods, defaults=defaults))
    url = "/" * slash + "/".join(path)
    assert _outcome(lambda: m.match(url, method)) == _outcome(
        lambda: m._match(url, method, "", None)
    )
