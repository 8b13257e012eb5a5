"""An external URL built from the client's Host header where nothing vouches
for it (neither TRUSTED_HOSTS nor SERVER_NAME) is logged once, through the
app's logger, naming both settings; Flask builds the same URLs silently."""

from __future__ import annotations

import logging
from typing import Any

import flask
import pytest

import kolba
from kolba import Flask, request, url_for

pytestmark = pytest.mark.usefixtures("driver")

FORGED = {"Host": "attacker.example"}


def make_app(fw: Any = kolba, **config: Any) -> Any:
    """A production app (no debug, no testing) building URLs in several ways."""
    app = fw.Flask("host_app")
    app.config.update(config)

    @app.route("/reset")
    def reset() -> str:
        return fw.url_for("reset", token="t", _external=True)

    @app.route("/relative")
    def relative() -> str:
        return fw.url_for("reset") + fw.request.path + fw.request.host

    @app.route("/url/<name>")
    def url(name: str) -> str:
        return str(getattr(fw.request, name))

    @app.route("/slash/")
    def slash() -> str:
        return ""

    return app


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The app's warnings of a Host (not the once-a-process one of the real
    Flask imported beside it, logged by whichever test runs first)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "host_app" and "real Flask" not in r.getMessage()
    ]


@pytest.mark.parametrize(
    "path", ["/reset", "/url/url", "/url/base_url", "/url/url_root", "/url/host_url"]
)
def test_a_url_from_the_host_header_is_logged_once(
    caplog: pytest.LogCaptureFixture, path: str
) -> None:
    app = make_app()
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        first = client.get(path, headers=FORGED)
        client.get(path, headers=FORGED)
        client.get("/reset", headers={"Host": "other.example"})
    assert "attacker.example" in first.text  # (the URL is Flask's)
    fapp = make_app(flask)
    assert first.text == fapp.test_client().get(path, headers=FORGED).text
    [message] = logged(caplog)
    assert "'attacker.example'" in message
    assert "TRUSTED_HOSTS" in message
    assert "SERVER_NAME" in message
    assert "request.url" in message  # (a read of it makes one too: not a link)
    record = [r for r in caplog.records if r.getMessage() == message][0]
    assert record.levelno == logging.WARNING


def test_a_slash_redirect_to_the_host_header_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/slash", headers=FORGED)
    assert response.location == "http://attacker.example/slash/"
    assert len(logged(caplog)) == 1


def test_requests_that_build_no_external_url_log_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().get("/relative", headers=FORGED)
    assert response.text == "/reset/relativeattacker.example"
    assert logged(caplog) == []


@pytest.mark.parametrize(
    "config",
    [
        {"TESTING": True},
        {"DEBUG": True},
        {"TRUSTED_HOSTS": ["attacker.example"]},
        {"SERVER_NAME": "attacker.example"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_vouched_host_or_a_test_app_logs_nothing(
    caplog: pytest.LogCaptureFixture, config: dict[str, Any]
) -> None:
    app = make_app(**config)
    with caplog.at_level(logging.DEBUG):
        for path in ("/reset", "/url/url", "/slash"):
            assert app.test_client().get(path, headers=FORGED).status_code < 400
    assert logged(caplog) == []


def test_trusted_hosts_on_the_request_class_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class TrustingRequest(kolba.Request):
        trusted_hosts = ["attacker.example"]

    app = make_app()
    app.request_class = TrustingRequest
    with caplog.at_level(logging.DEBUG):
        assert app.test_client().get("/reset", headers=FORGED).status_code == 200
    assert logged(caplog) == []


def test_a_trusted_hosts_setting_is_a_400_for_another_host() -> None:
    """The README's recipe: the forged Host gets no page at all."""
    app = make_app(TRUSTED_HOSTS=["example.com"])
    client = app.test_client()
    assert client.get("/reset", headers=FORGED).status_code == 400
    good = client.get("/reset", headers={"Host": "example.com"})
    assert good.text == "http://example.com/reset?token=t"


def test_outside_a_request_the_server_name_builds_and_nothing_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(SERVER_NAME="example.com")
    with caplog.at_level(logging.DEBUG), app.app_context():
        assert url_for("reset", token="t") == "http://example.com/reset?token=t"
    with caplog.at_level(logging.DEBUG), app.test_request_context("/"):
        assert request.url == "http://example.com/"
    assert logged(caplog) == []


def test_each_app_logs_once() -> None:
    apps: list[Flask] = [make_app(), make_app()]
    for app in apps:
        app.test_client().get("/reset", headers=FORGED)
    assert all(app._request_host_noted for app in apps)
