"""URL map settings set after rules were added, as in Flask.

werkzeug compiles a rule when it is added, with the map's settings of that
moment (its domain: the host or the default subdomain; its slash options),
and reads the others when a request is matched (``redirect_defaults``,
``merge_slashes``'s redirect, the request's domain). An app that sets one of
them late gets Flask's answers from kolba too, under both drivers.

Left out: a redirect of a rule on a ``default_subdomain`` (without
``subdomain_matching``), which Flask sends to that subdomain of the request's
host and kolba to the request's host.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable

import flask
import pytest
from werkzeug.exceptions import NotFound

import kolba
import kolba.routing
from kolba.testing import ASGIClient

PATHS = [
    *("/a", "/a/", "/u/3", "/u/x", "/s", "/s/", "/d", "/d/1", "/d/2", "//a", "/b"),
    "/old",
]
HOSTS = ["localhost", "example.com", "www.localhost"]


def routes(fw: t.Any, app: t.Any) -> None:
    """A static rule, a variable, a slash redirect, redirect_to, defaults."""
    app.add_url_rule("/a", "a", lambda: "a")
    app.add_url_rule("/u/<int:i>", "u", lambda i: f"u{i}")
    app.add_url_rule("/s/", "s", lambda: "s")
    app.add_url_rule("/old", "old", redirect_to="/a")

    def d(i: int) -> str:
        return f"d{i}"

    app.add_url_rule("/d", "d", d, defaults={"i": 1})
    app.add_url_rule("/d/<int:i>", "d", d)


def late(name: str, value: object) -> Callable[[t.Any, t.Any], None]:
    def setup(fw: t.Any, app: t.Any) -> None:
        routes(fw, app)
        setattr(app.url_map, name, value)

    return setup


def host_then_rule(fw: t.Any, app: t.Any) -> None:
    routes(fw, app)
    app.url_map.host_matching = True
    app.add_url_rule("/b", "b", lambda: "b", host="example.com")
    app.add_url_rule("/a", "a2", lambda: "a2")


def host_and_back(fw: t.Any, app: t.Any) -> None:
    routes(fw, app)
    app.url_map.host_matching = True
    app.url_map.host_matching = False


def host_before_rules(fw: t.Any, app: t.Any) -> None:
    app.url_map.host_matching = True
    routes(fw, app)
    app.add_url_rule("/b", "b", lambda: "b", host="example.com")


def subdomain_then_rule(fw: t.Any, app: t.Any) -> None:
    routes(fw, app)
    app.url_map.default_subdomain = "www"
    app.add_url_rule("/b", "b", lambda: "b")


def defaults_and_back(fw: t.Any, app: t.Any) -> None:
    routes(fw, app)
    app.url_map.redirect_defaults = False
    app.url_map.redirect_defaults = True


def redirect_to(
    endpoint: str, value: object, view: Callable[[], str] | None = None
) -> Callable[[t.Any, t.Any], None]:
    """A rule's redirect_to set after it was added (werkzeug reads it when
    the rule matches); ``view`` for the endpoint, if it had none."""

    def setup(fw: t.Any, app: t.Any) -> None:
        routes(fw, app)
        for rule in app.url_map.iter_rules(endpoint):
            rule.redirect_to = value
        if view is not None:
            app.view_functions[endpoint] = view

    return setup


CASES: dict[str, Callable[[t.Any, t.Any], None]] = {
    "host_matching": late("host_matching", True),
    "host_matching, then rules": host_then_rule,
    "host_matching on and off": host_and_back,
    "host_matching before the rules": host_before_rules,
    "default_subdomain": late("default_subdomain", "www"),
    "default_subdomain, then a rule": subdomain_then_rule,
    "strict_slashes": late("strict_slashes", False),
    "merge_slashes": late("merge_slashes", False),
    "redirect_defaults": late("redirect_defaults", False),
    "redirect_defaults off and on": defaults_and_back,
    "redirect_to set": redirect_to("a", "/s/"),
    "redirect_to a function": redirect_to("u", lambda adapter, i: f"/d/{i}"),
    "redirect_to unset": redirect_to("old", None, view=lambda: "old"),
    "redirect_to on a rule with defaults": redirect_to("d", "/a"),
}


def answers(
    fw: t.Any, setup: Callable[[t.Any, t.Any], None], asgi: bool
) -> list[t.Any]:
    app = fw.Flask("settings_app")
    app.config.update(TESTING=True, TRUSTED_HOSTS=HOSTS)
    setup(fw, app)
    if asgi:
        app.test_client_class = ASGIClient
    client = app.test_client()
    seen = []
    for host in HOSTS:
        for path in PATHS:
            r = client.get(path, base_url=f"http://{host}")
            seen.append((host, path, r.status_code, r.headers.get("Location"), r.data))
    return seen


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_setting_set_late_answers_as_in_flask(case: str, driver: str) -> None:
    expected = answers(flask, CASES[case], False)
    assert answers(kolba, CASES[case], driver == "asgi") == expected


def test_maps_match_with_the_domain_their_rules_were_added_on() -> None:
    url_map = kolba.routing.Map([kolba.routing.Rule("/a", endpoint="a")])
    url_map.host_matching = True
    url_map.add(kolba.routing.Rule("/b", endpoint="b", host="example.com"))
    assert url_map.match("/b", host="example.com")[0].endpoint == "b"
    with pytest.raises(NotFound):
        url_map.match("/a", host="example.com")
    assert url_map.match("/a", host="")[0].endpoint == "a"  # (werkzeug's too)

    url_map = kolba.routing.Map([kolba.routing.Rule("/a", endpoint="a")])
    url_map.default_subdomain = "www"
    with pytest.raises(NotFound):
        url_map.match("/a")
    assert url_map.match("/a", subdomain="")[0].endpoint == "a"


def urls(fw: t.Any, late: bool) -> list[str]:
    app = fw.Flask("settings_app", static_folder=None, subdomain_matching=True)
    app.config.update(TESTING=True, SERVER_NAME="example.com")
    if not late:
        app.url_map.default_subdomain = "api"
    app.add_url_rule("/a", "a", lambda: "a")
    app.add_url_rule("/main", "main", lambda: "main", subdomain="")
    app.add_url_rule("/www", "www", lambda: "www", subdomain="www")
    if late:
        app.url_map.default_subdomain = "api"
    app.add_url_rule("/b", "b", lambda: "b")
    built = []
    for host in ("example.com", "api.example.com", "www.example.com"):
        with app.test_request_context("/", base_url=f"http://{host}"):
            for endpoint in ("a", "main", "www", "b"):
                built.append(fw.url_for(endpoint))
                built.append(fw.url_for(endpoint, _external=True))
    return built


@pytest.mark.parametrize("late", [False, True])
def test_urls_are_built_on_the_subdomain_a_rule_was_added_on(late: bool) -> None:
    assert urls(kolba, late) == urls(flask, late)
