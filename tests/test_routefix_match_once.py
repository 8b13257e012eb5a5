"""Each request is matched once, and a segment of several variables costs
O(its length) (rev-routing F1).

A rule such as ``/<y>-<m>-<d>.html`` has a segment of three ``string``
variables, whose regex backtracks: on a long segment that it does not match,
its cost grows with the segment's length cubed (a 2 KB path: seconds, in
werkzeug as in kolba before). kolba ran it 3 times per 404 under WSGI and 9
times under ASGI (the matcher's fast paths, then its search, each trying the
same part again; the ASGI driver matching the request up to three times).
Now: the segment is split without a regex (the same values as werkzeug's
greedy regex, compared with Flask below), each part of the matcher is tried
once per request, a converter converts a value once, and the ASGI driver
keeps the router's answer (404, 405, redirect) instead of matching again.
"""

from __future__ import annotations

import re
import typing as t
import uuid

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.routing import Map as WerkzeugMap
from werkzeug.routing import Rule as WerkzeugRule

import kolba
from kolba import routing
from kolba.routing import Map, Rule, _Node
from kolba.sessions import SecureCookieSessionInterface
from kolba.testing import ASGIClient

DRIVERS = ["wsgi", "asgi"]


def client(app: t.Any, driver: str) -> t.Any:
    if driver == "asgi":
        return ASGIClient(app, app.response_class)
    return app.test_client()


def counting_parts(url_map: Map) -> list[str]:
    """Make every part with variables of ``url_map``'s matcher record the
    text it is tried on (in the returned list)."""
    tried: list[str] = []

    def wrap(test: t.Callable[[str], t.Any]) -> t.Callable[[str], t.Any]:
        def counted(text: str) -> t.Any:
            tried.append(text)
            return test(text)

        return counted

    todo: list[_Node] = [url_map._top]
    while todo:
        node = todo.pop()
        node.dynamic[:] = [
            (wrap(test), kind, names, child)
            for test, kind, names, child in node.dynamic
        ]
        todo.extend(node.static.values())
        todo.extend(entry[3] for entry in node.dynamic)
    for head, entry in list(url_map._heads.items()):
        url_map._one(head, entry[0])  # (its entry made with the counted test)
    return tried


def day_app(prefix: str = "") -> kolba.Flask:
    app = kolba.Flask(__name__)

    @app.route(prefix + "/<y>-<m>-<d>.html")
    def day(y: str, m: str, d: str) -> str:
        return f"{y}|{m}|{d}"

    @app.route("/ok")
    def ok() -> str:
        return "ok"

    return app


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("prefix", ["", "/d", "/<v>"])
def test_a_segment_no_part_takes_is_tried_once_per_request(
    driver: str, prefix: str
) -> None:
    # (before: 3 tries under WSGI, 9 under ASGI)
    app = day_app(prefix)
    c = client(app, driver)
    assert c.get("/ok").text == "ok"  # (serving: the ASGI lean path decided)
    tried = counting_parts(app.url_map)
    head = "/d" if prefix == "/d" else "/v" if prefix else ""
    segment = "a-" * 40 + "a.y"
    response = c.get(f"{head}/{segment}")
    assert response.status_code == 404
    assert tried.count(segment) == 1


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_segment_that_matches_is_tried_once(driver: str) -> None:
    app = day_app("/d")
    c = client(app, driver)
    c.get("/ok")
    tried = counting_parts(app.url_map)
    response = c.get("/d/a-b-c-d.html")
    assert response.text == "a-b|c|d"  # (werkzeug's greedy split)
    assert tried == ["a-b-c-d.html"]


class Counted(BaseConverter):
    """Any text; refuses what starts with "bad". Records each value."""

    seen: t.ClassVar[list[str]] = []

    def to_python(self, value: str) -> str:
        self.seen.append(value)
        if value.startswith("bad"):
            raise ValidationError()
        return value


def counted_app(framework: t.Any) -> t.Any:
    app = framework.Flask(__name__)
    app.url_map.converters["counted"] = Counted

    @app.route("/c/<counted:x>")
    def one(x: str) -> str:
        return "one " + x

    @app.route("/p/<counted:x>", methods=["POST"])
    def posted(x: str) -> str:
        return "posted " + x

    @app.route("/t/<counted:a>/<counted:b>")
    def two(a: str, b: str) -> str:
        return f"two {a} {b}"

    @app.route("/s/<counted:a>-<counted:b>")
    def dashed(a: str, b: str) -> str:
        return f"dashed {a} {b}"

    return app


@pytest.mark.parametrize("driver", ["flask", *DRIVERS])
@pytest.mark.parametrize(
    ("method", "path", "status", "values"),
    [
        ("GET", "/c/bad", 404, ["bad"]),
        ("GET", "/c/good", 200, ["good"]),
        ("POST", "/p/bad", 404, ["bad"]),
        ("GET", "/p/bad", 405, []),
        ("GET", "/t/bad/x", 404, ["bad"]),
        ("GET", "/t/a/bad", 404, ["a", "bad"]),
        ("GET", "/s/x-bad", 404, ["x", "bad"]),
        ("GET", "/s/x-y", 200, ["x", "y"]),
    ],
)
def test_a_converter_converts_each_value_once_as_in_flask(
    driver: str, method: str, path: str, status: int, values: list[str]
) -> None:
    # (before: a refused value converted 3 times under WSGI, 9 under ASGI)
    app = counted_app(flask if driver == "flask" else kolba)
    c = app.test_client() if driver == "flask" else client(app, driver)
    c.get("/c/warm")
    Counted.seen.clear()
    assert c.open(path, method=method).status_code == status
    assert Counted.seen == values


class EagerSessions(SecureCookieSessionInterface):
    """Not kolba's own class: its sessions are opened at every request, as
    Flask's (the ASGI driver then matches in _setup, not before)."""


def routed_app(eager: bool) -> kolba.Flask:
    app = kolba.Flask(__name__)
    if eager:
        app.secret_key = "a long enough secret key for the test"
        app.session_interface = EagerSessions()

    @app.route("/dir/")
    def folder() -> str:
        return "dir"

    @app.route("/post", methods=["POST"])
    def post() -> str:
        return "post"

    @app.route("/u/<int:n>")
    def user(n: int) -> str:
        return f"user {n}"

    app.add_url_rule("/old", "old", redirect_to="/dir/")
    return app


@pytest.mark.parametrize("eager", [False, True])
@pytest.mark.parametrize(
    ("path", "status", "header"),
    [
        ("/nope/x", 404, None),
        ("/u/x", 404, None),
        ("/nöpe", 404, None),  # (not ASCII: the driver's lean match skipped)
        ("/dir", 308, ("Location", "http://localhost/dir/")),
        ("/old", 308, ("Location", "http://localhost/dir/")),
        ("/post", 405, ("Allow", "OPTIONS POST")),
        ("/u/3", 200, None),
    ],
)
def test_the_asgi_driver_matches_a_request_once(
    monkeypatch: pytest.MonkeyPatch,
    eager: bool,
    path: str,
    status: int,
    header: tuple[str, str] | None,
) -> None:
    # (before: Map.match 2-3 times for a 404, 405 or redirect; each a search)
    app = routed_app(eager)
    c = ASGIClient(app, app.response_class)
    c.get("/u/1")
    calls: list[str] = []
    search = Map._search

    def counted(self: Map, path: str, *args: t.Any) -> t.Any:
        calls.append(path)
        return search(self, path, *args)

    monkeypatch.setattr(Map, "_search", counted)
    response = c.get(path)
    assert response.status_code == status
    if header is not None:
        assert sorted(response.headers[header[0]].split(", ")) == header[1].split()
    assert len(calls) == (status != 200)
    # the same answer as Flask's
    theirs = flask.Flask(__name__)
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            theirs.add_url_rule(
                rule.rule,
                rule.endpoint,
                app.view_functions.get(rule.endpoint),
                methods=rule.methods,
                redirect_to=rule.redirect_to,
            )
    expected = theirs.test_client().get(path)
    assert expected.status_code == status
    if header is not None:  # (Flask's Allow: in set order)
        assert sorted(expected.headers[header[0]].split(", ")) == header[1].split()


# -- a segment of several string variables, split without a regex ----------


def test_a_segment_of_string_variables_is_not_matched_by_a_regex() -> None:
    # A regex's backtracking makes a long segment that it does not match a
    # CPU hang (see the module's docstring); the split costs O(length).
    url_map = Map([Rule("/<y>-<m>-<d>.html", endpoint="day")])
    ((test, kind, names, child),) = url_map._root.dynamic
    assert not isinstance(getattr(test, "__self__", None), re.Pattern)
    long = "a-" * 3000 + "a.y"
    with pytest.raises(HTTPException) as e:
        url_map.match("/" + long)
    assert e.value.code == 404
    rule, args = url_map.match("/" + "a-" * 3000 + "a.html")
    assert args == {"y": "a-" * 2998 + "a", "m": "a", "d": "a"}


def test_a_segment_of_string_and_number_variables_is_not_matched_by_a_regex() -> None:
    # (the regex backtracks there too, on <a>-<b>-<c>-<int:d> as the cube of
    # the length, and on <a><int:b>, whose variables have nothing between
    # them, as its square; so with a float or a uuid)
    uid = "12345678-abcd-ABCD-0000-123456789abc"
    url_map = Map(
        [
            Rule("/<a>-<b>-<c>-<int:d>", endpoint="four"),
            Rule("/x/<a><int:b>", endpoint="joined"),
            Rule("/f/<a>-<b>-<c>-<float:d>", endpoint="float"),
            Rule("/u/<a>-<b>-<c>-<uuid:d>", endpoint="uuid"),
        ]
    )
    nodes = [url_map._root] + [url_map._root.static[k] for k in "xfu"]
    for node in nodes:
        ((test, kind, names, child),) = node.dynamic
        assert not isinstance(getattr(test, "__self__", None), re.Pattern)
    long = "a-" * 3000 + "a"
    for path in ["/" + long, "/x/" + "1" * 6000 + "a", "/f/" + long, "/u/" + long]:
        with pytest.raises(HTTPException) as e:
            url_map.match(path)
        assert e.value.code == 404
    rule, args = url_map.match("/" + "a-" * 3000 + "12")
    assert args == {"a": "a-" * 2997 + "a", "b": "a", "c": "a", "d": 12}
    assert url_map.match("/x/ab1234")[1] == {"a": "ab123", "b": 4}
    args = url_map.match("/f/a-b-c-d-1.5")[1]
    assert args == {"a": "a-b", "b": "c", "c": "d", "d": 1.5}
    args = url_map.match(f"/u/a-b-c-{uid}")[1]
    assert args == {"a": "a", "b": "b", "c": "c", "d": uuid.UUID(uid)}


def test_a_segment_with_another_converter_keeps_its_regex() -> None:
    # (only variables that take any text, digits, a float or a uuid are split;
    # a string with a length, a custom regex are the regex's; so is a segment
    # whose regex takes O(length) steps: one string and numbers, each after a
    # separator that is no digit)
    url_map = Map(
        [
            Rule("/<a>-<float:b>.html", endpoint="float"),
            Rule("/<string(minlength=2):a>-<b>", endpoint="long"),
            Rule("/<a>-<int:b>.<int:c>", endpoint="int"),
        ]
    )
    for test, _, _, _ in url_map._root.dynamic:
        assert isinstance(test.__self__, re.Pattern)
    assert url_map.match("/x-1.5.html") == (url_map._rules[0], {"a": "x", "b": 1.5})
    assert url_map.match("/xy-z")[1] == {"a": "xy", "b": "z"}
    assert url_map.match("/a-b-1.2")[1] == {"a": "a-b", "b": 1, "c": 2}


PIECES = st.text(alphabet="ab-._~", max_size=3)


def regex_of(pieces: list[str], names: tuple[str, ...]) -> re.Pattern[str]:
    """The segment's regex, as werkzeug writes it for string variables."""
    parts = [re.escape(pieces[0])]
    for name, piece in zip(names, pieces[1:], strict=True):
        parts.append(f"(?P<{name}>[^/]{{1,}}){re.escape(piece)}")
    return re.compile("".join(parts) + r"\Z")


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(PIECES, min_size=3, max_size=6),
    st.text(alphabet="ab-._~/\n", max_size=16),
)
def test_the_split_is_the_regex_match(pieces: list[str], text: str) -> None:
    names = tuple(f"v{i}" for i in range(len(pieces) - 1))
    found = regex_of(pieces, names).match(text)
    expected = None if found is None else found.groupdict()
    assert routing._strings_split(tuple(pieces), names)(text) == expected


UUID_TEXT = "12345678-abcd-ABCD-0000-123456789abc"
KIND_REGEXES = {
    routing._ANY: "[^/]{1,}",
    routing._DIGITS: r"\d+",
    routing._FLOAT: r"\d+\.\d+",
    routing._HEX_UUID: routing.UUIDConverter.regex,
}


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.text(alphabet="a1-.٣", max_size=2), min_size=3, max_size=6),
    st.lists(st.sampled_from(sorted(KIND_REGEXES)), min_size=5, max_size=5),
    st.lists(
        st.sampled_from(["a", "1", "-", ".", "٣", "/", "\n", "1.2", UUID_TEXT]),
        max_size=10,
    ).map("".join),
)
def test_the_runs_split_is_the_regex_match(
    pieces: list[str], kinds: list[int], text: str
) -> None:
    # string variables ([^/]{1,}), int ones (\d+: any decimal digit, as the
    # Arabic-Indic ٣), floats and uuids, some with nothing between them
    names = tuple(f"v{i}" for i in range(len(pieces) - 1))
    kinds = kinds[: len(names)]
    if not any(kinds):  # (a segment of strings is _strings_split's)
        kinds[0] = routing._DIGITS
    parts = [re.escape(pieces[0])]
    for name, kind, piece in zip(names, kinds, pieces[1:], strict=True):
        parts.append(f"(?P<{name}>{KIND_REGEXES[kind]}){re.escape(piece)}")
    found = re.compile("".join(parts) + r"\Z").match(text)
    expected = None if found is None else found.groupdict()
    split = routing._runs_split(tuple(pieces), tuple(kinds), names)
    assert split(text) == expected


@st.composite
def segments_and_texts(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Rules of one segment with 2-4 string, int, float or uuid variables, and
    segments made of their pieces (most have the right shape; many match)."""
    rules = []
    alphabet = set()
    for _ in range(draw(st.integers(1, 3))):
        count = draw(st.integers(2, 4))
        pieces = [draw(PIECES) for _ in range(count + 1)]
        alphabet.update(pieces)
        kinds = [
            draw(st.sampled_from(["", "string:", "int:", "float:", "uuid:"]))
            for _ in range(count)
        ]
        rule = pieces[0] + "".join(
            f"<{kind}v{i}>{piece}"
            for i, (kind, piece) in enumerate(zip(kinds, pieces[1:], strict=True))
        )
        rules.append("/" + rule)
    words = sorted(alphabet | {"a", "b", "-", ".", "x", "1", "23", "4.5", UUID_TEXT})
    texts = [
        "".join(draw(st.lists(st.sampled_from(words), max_size=10)))
        for _ in range(8)
    ]
    return rules, texts


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(segments_and_texts())
def test_segments_of_string_variables_match_as_werkzeug(
    case: tuple[list[str], list[str]],
) -> None:
    rules, texts = case
    ours = Map()
    theirs = WerkzeugMap()
    for i, rule in enumerate(dict.fromkeys(rules)):
        ours.add(Rule(rule, endpoint=f"e{i}"))
        theirs.add(WerkzeugRule(rule, endpoint=f"e{i}"))
    adapter = theirs.bind("localhost")
    for text in texts:
        path = "/" + text

        def answer(match: t.Callable[[], tuple[t.Any, t.Any]]) -> t.Any:
            try:
                endpoint, args = match()
            except HTTPException as e:
                return type(e).__name__, getattr(e, "new_url", None)
            return getattr(endpoint, "endpoint", endpoint), args

        mine = answer(lambda: ours.match(path))  # noqa: B023
        if mine[0] == "RequestRedirect":  # (a path, here; werkzeug's: a URL)
            mine = (mine[0], "http://localhost" + mine[1])
        assert mine == answer(lambda: adapter.match(path)), (rules, path)  # noqa: B023


@pytest.mark.parametrize("driver", DRIVERS)
def test_days_match_as_in_flask(driver: str) -> None:
    paths = [
        "/2024-01-02.html",
        "/a-b-c-d.html",
        "/a--b-.html",
        "/--a.html",
        "/a-b.html",
        "/a-b-c.htm",
        "/-a-b.html",
        "/a-b-.html",
        "/é-ü-%C3%A9.html",
        "/a-b-c.html/",
        "/a%2Fb-c-d.html",
        "/" + "a-" * 50 + "a.html",
        "/" + "a-" * 50 + "a.y",
    ]
    theirs = flask.Flask(__name__)

    @theirs.route("/<y>-<m>-<d>.html")
    def day(y: str, m: str, d: str) -> str:
        return f"{y}|{m}|{d}"

    ours = client(day_app(), driver)
    flask_client = theirs.test_client()
    for path in paths:
        a, b = ours.get(path), flask_client.get(path)
        assert (a.status_code, a.text if a.status_code == 200 else "") == (
            b.status_code,
            b.text if b.status_code == 200 else "",
        ), path


def test_a_host_rule_of_string_variables_is_split_too() -> None:
    url_map = Map(
        [Rule("/", endpoint="e", host="<a>-<b>.example.com")], host_matching=True
    )
    assert url_map.match("/", host="x-y-z.example.com")[1] == {"a": "x-y", "b": "z"}
    with pytest.raises(HTTPException):
        url_map.match("/", host="x.example.com")


def test_the_search_after_a_dead_state_still_backtracks() -> None:
    # The fast path finds no part for "x.y" under /a (the dead state); the
    # search still tries /<p>/x.y, the other way.
    url_map = Map(
        [
            Rule("/a/<b>-<c>.html", endpoint="dash"),
            Rule("/<p>/x.y", endpoint="other"),
        ]
    )
    rule, args = url_map.match("/a/x.y")
    assert (rule.endpoint, args) == ("other", {"p": "a"})
    assert url_map.match("/a/x-y.html")[1] == {"b": "x", "c": "y"}


def test_merged_slashes_are_searched_again() -> None:
    # (the dead state of the first search is not the merged path's)
    url_map = Map([Rule("/a/<b>-<c>.html", endpoint="dash")])
    with pytest.raises(routing.RequestRedirect) as e:
        url_map.match("/a//x-y.html")
    assert e.value.new_url == "/a/x-y.html"
