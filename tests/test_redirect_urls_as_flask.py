"""The Location of the router's redirects, as Flask 3.1 sends it: the same
app is served by Flask and by kolba (over WSGI and ASGI) and the answers are
compared. ``redirect_to``'s target is a link from the app's root URL (a
relative one joins it, an absolute one stays) with no query string added, as
werkzeug's adapter makes it; the redirect of a URL with a rule's default
value and the trailing-slash redirect keep the query string."""

from __future__ import annotations

import typing as t

import flask
import pytest
from werkzeug.routing import Map as WerkzeugMap
from werkzeug.routing import RequestRedirect as WerkzeugRedirect
from werkzeug.routing import Rule as WerkzeugRule
from werkzeug.test import Client

import kolba
from kolba.routing import Map, RequestRedirect, Rule
from kolba.testing import asgi_as_wsgi


def _app(module: t.Any) -> t.Any:
    app = module.Flask(__name__)
    app.add_url_rule("/old", "old", redirect_to="/elsewhere")
    app.add_url_rule("/rel/a", "rel", redirect_to="elsewhere")
    app.add_url_rule("/abs", "abs", redirect_to="http://other.example/x")
    app.add_url_rule("/to/<int:n>", "to", redirect_to="/n/<n>")
    app.add_url_rule("/fn/<int:n>", "fn", redirect_to=lambda _, n: f"n/{n}")

    def page(n: int) -> str:
        return str(n)

    app.add_url_rule("/page/", "page", page, defaults={"n": 1})
    app.add_url_rule("/page/<int:n>", "page", page)
    app.add_url_rule("/dir/", "dir", lambda: "dir")
    return app


_CASES = [
    "/old",
    "/old?q=1",
    "/rel/a?q=1",
    "/abs?q=1",
    "/to/5?q=1",
    "/fn/3?q=1",
    "/page/1?q=1",
    "/dir?q=1",
]


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
@pytest.mark.parametrize("root", ["", "/app"])
@pytest.mark.parametrize("url", _CASES)
def test_redirect_location_as_flask(url: str, root: str, driver: str) -> None:
    base = f"http://example.test{root}/"
    expected = _app(flask).test_client().get(url, base_url=base)
    ours = _app(kolba)
    got = Client(asgi_as_wsgi(ours) if driver == "asgi" else ours).get(
        url, base_url=base
    )
    assert expected.status_code == 308
    assert (got.status_code, got.headers["Location"]) == (
        expected.status_code,
        expected.headers["Location"],
    )


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
@pytest.mark.parametrize("query", ["c=é", "a=1&b=%20x&c=ü", "s=a b", "x=\x01"])
def test_a_raw_query_string_kept_by_a_redirect_as_flask(
    query: str, driver: str
) -> None:
    # bytes a lenient server passes as they came (UTF-8 é), percent-encoded
    # as they are, not read as latin-1 first
    expected = _app(flask).test_client().get(f"/dir?{query}")
    ours = _app(kolba)
    got = Client(asgi_as_wsgi(ours) if driver == "asgi" else ours).get(f"/dir?{query}")
    assert (got.status_code, got.headers["Location"]) == (
        expected.status_code,
        expected.headers["Location"],
    )


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
@pytest.mark.parametrize("script_name", ["@evil.test", ".evil.test", ":8080", "sub"])
@pytest.mark.parametrize("url", ["/dir?q=1", "/page/1", "/old"])
def test_a_mount_point_without_its_slash_stays_in_the_path(
    url: str, script_name: str, driver: str
) -> None:
    # (as a proxy's unchecked X-Forwarded-Prefix gives it through ProxyFix:
    # spliced after the host it would lead to another one, evil.test). It is
    # the mount point with its slash, as Flask's router redirects have it
    # (Flask's redirect_to splices it after the host: /old)
    expected = _app(flask).test_client().get(
        url, environ_overrides={"SCRIPT_NAME": "/" + script_name}
    )
    ours = _app(kolba)
    got = Client(asgi_as_wsgi(ours) if driver == "asgi" else ours).get(
        url, environ_overrides={"SCRIPT_NAME": script_name}
    )
    assert got.headers["Location"].startswith("http://localhost/")
    assert (got.status_code, got.headers["Location"]) == (
        expected.status_code,
        expected.headers["Location"],
    )
    if url != "/old":
        flasks = _app(flask).test_client().get(
            url, environ_overrides={"SCRIPT_NAME": script_name}
        )
        assert flasks.headers["Location"] == got.headers["Location"]


@pytest.mark.parametrize("url", _CASES)
def test_url_adapter_redirect_as_werkzeug(url: str) -> None:
    path, _, query = url.partition("?")
    rules = [
        (r.rule, r.endpoint, r.redirect_to, r.defaults)
        for r in _app(kolba).url_map.iter_rules()
        if r.endpoint != "static"
    ]

    def target(map_class: t.Any, rule_class: t.Any) -> str:
        url_map = map_class(
            [
                rule_class(s, endpoint=e, redirect_to=to, defaults=d)
                for s, e, to, d in rules
            ]
        )
        adapter = url_map.bind("example.test", "/app", query_args=query)
        with pytest.raises(WerkzeugRedirect) as e:
            adapter.match(path)
        return t.cast(str, e.value.new_url)

    assert target(Map, Rule) == target(WerkzeugMap, WerkzeugRule)


def test_a_redirect_is_kolbas_request_redirect() -> None:
    with pytest.raises(RequestRedirect):
        Map([Rule("/a", endpoint="a", redirect_to="b")]).match("/a")
