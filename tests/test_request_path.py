"""The WSGI request path's shortcuts give what the general path gives.

A view's str goes out without a Response object when nothing after the view
would see one; each test here shows a way a user can see it (a hook, a
session, a signal, a subclass, a response class) and that it is honoured.
"""

from __future__ import annotations

import copy
import pickle
import typing as t

import pytest
from werkzeug.test import EnvironBuilder

from kolba import (
    Config,
    Flask,
    Response,
    after_this_request,
    request,
    request_finished,
    session,
)
from kolba import app as app_module


def wsgi(app: Flask, path: str = "/", method: str = "GET", **kw: t.Any) -> tuple:
    """Status, headers and body as a WSGI server gets them."""
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    environ = EnvironBuilder(path=path, method=method, **kw).get_environ()
    body = app(
        environ, lambda status, headers, exc_info=None: seen.append((status, headers))
    )
    data = b"".join(body)
    getattr(body, "close", lambda: None)()
    return seen[0][0], seen[0][1], data


def text_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "a-test-secret-key-of-some-length"
    app.get("/")(lambda: "Hello, Wörld!")
    return app


@pytest.fixture
def no_response_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the shortcut is not taken (a Response made for the str)."""

    def made(text: str) -> Response:
        raise AssertionError("a Response was made for a plain str")

    monkeypatch.setattr(app_module, "_text_response", made)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_str_goes_out_as_its_response_would(method: str, no_response_object) -> None:
    expected = Response("Hello, Wörld!")
    environ = EnvironBuilder(method=method).get_environ()
    seen: list[t.Any] = []
    body = b"".join(expected(environ, lambda s, h: seen.append((s, h))))
    assert wsgi(text_app(), method=method) == (seen[0][0], seen[0][1], body)


def test_a_str_that_cannot_be_encoded_is_a_500(no_response_object) -> None:
    app = Flask(__name__)
    app.get("/")(lambda: "\udc80")
    status, _, _ = wsgi(app)
    assert status == "500 INTERNAL SERVER ERROR"


def test_an_after_request_hook_added_in_place_later_sees_the_response() -> None:
    app = text_app()
    assert wsgi(app)[0] == "200 OK"  # serving: the shortcut is decided

    def hook(response: Response) -> Response:
        response.headers["X-Hook"] = "1"
        return response

    app.after_request_funcs.setdefault(None, []).append(hook)
    assert ("X-Hook", "1") in wsgi(app)[1]


def test_after_this_request_sees_the_response() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        after_this_request(lambda r: (r.headers.set("X-After", "1"), r)[1])
        return "ok"

    assert ("X-After", "1") in wsgi(app)[1]


def test_a_session_changed_by_the_view_is_saved() -> None:
    app = text_app()

    @app.get("/login")
    def login() -> str:
        session["user"] = "alice"
        return "in"

    headers = dict(wsgi(app, "/login")[1])
    assert headers["Set-Cookie"].startswith("session=")


def test_a_permanent_session_sent_back_is_refreshed() -> None:
    app = text_app()

    @app.get("/login")
    def login() -> str:
        session.permanent = True
        session["user"] = "alice"
        return "in"

    cookie = dict(wsgi(app, "/login")[1])["Set-Cookie"].split(";")[0]
    headers = dict(wsgi(app, "/", headers={"Cookie": cookie})[1])
    assert headers["Set-Cookie"].startswith("session=")


def test_a_request_finished_receiver_gets_the_response() -> None:
    app = text_app()
    got: list[Response] = []

    def receiver(sender: Flask, response: Response, **extra: t.Any) -> None:
        got.append(response)

    request_finished.connect(receiver, app)
    try:
        assert wsgi(app)[2] == "Hello, Wörld!".encode()
    finally:
        request_finished.disconnect(receiver, app)
    assert [r.get_data() for r in got] == ["Hello, Wörld!".encode()]


def test_the_app_response_class_makes_the_response() -> None:
    class Plain(Response):
        default_mimetype = "text/plain"

    app = text_app()
    app.response_class = Plain
    assert ("Content-Type", "text/plain; charset=utf-8") in wsgi(app)[1]


def test_a_subclass_make_response_is_called() -> None:
    class App(Flask):
        def make_response(self, rv: t.Any) -> Response:
            response = super().make_response(rv)
            response.headers["X-Made"] = "1"
            return response

    app = App(__name__)
    app.get("/")(lambda: "ok")
    assert ("X-Made", "1") in wsgi(app)[1]


def test_a_receiver_connected_after_serving_began_is_sent_to(monkeypatch) -> None:
    from kolba import signals

    # the request path skips every signal while none ever had a receiver
    monkeypatch.setattr(signals, "connected", False)
    app = text_app()
    assert wsgi(app)[0] == "200 OK"
    sent: list[str] = []

    def receiver(sender: Flask, **extra: t.Any) -> None:
        sent.append("response" if "response" in extra else "started")

    for signal in (signals.request_started, signals.request_finished):
        signal.connect(receiver, app)
    try:
        assert signals.connected
        wsgi(app)
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.disconnect(receiver, app)
    assert sent == ["started", "response"]


def test_the_matcher_shortcuts_answer_as_the_full_search() -> None:
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import Rule as WerkzeugRule

    from kolba.routing import Map, Rule

    rules = [
        Rule("/", endpoint="get_index", methods=["GET"]),
        Rule("/", endpoint="post_index", methods=["POST", "GET"]),
        Rule("/any", endpoint="any_first"),  # every method, registered first
        Rule("/any", endpoint="put_any", methods=["PUT"]),
        Rule("/put", endpoint="put_only", methods=["PUT"]),
        Rule("/put", endpoint="put_after", methods=["DELETE"]),
        Rule("/put", endpoint="any_after"),
        Rule("/user/<int:id>", endpoint="user", methods=["GET"]),
        Rule("/user/<int:id>", endpoint="user_post", methods=["POST"]),
        Rule("/user/<name>", endpoint="by_name"),
        Rule("/old", endpoint="old", redirect_to="/new"),  # not plain
        Rule("/defaults", endpoint="page", defaults={"n": 1}),
        Rule("/defaults/<int:n>", endpoint="page"),  # redirects to /defaults
        WerkzeugRule("/wz/<int:x>", endpoint="wz"),
    ]
    url_map = Map(rules)

    def answer(match: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        try:
            rule, values = match(*args)
        except HTTPException as e:
            return type(e), getattr(e, "new_url", None)
        return rule.endpoint, values

    paths = ["/", "/any", "/put", "/user/42", "/user/x", "/old", "/defaults"]
    paths += ["/defaults/1", "/defaults/2", "/wz/3", "/nowhere", "/user/42/"]
    for path in paths:
        for method in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"):
            fast = answer(url_map.match, path, method)
            full = answer(url_map._match, path, method, "", None)
            assert fast == full, (path, method)


@pytest.mark.parametrize(
    "change",
    [
        lambda config: config.__setitem__("TRUSTED_HOSTS", ["good.test"]),
        lambda config: config.update(TRUSTED_HOSTS=["good.test"]),
        lambda config: config.from_mapping(TRUSTED_HOSTS=["good.test"]),
        lambda config: config.__ior__({"TRUSTED_HOSTS": ["good.test"]}),
    ],
)
def test_trusted_hosts_set_while_serving_are_checked(change: t.Any) -> None:
    app = text_app()
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"
    change(app.config)
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "400 BAD REQUEST"
    assert wsgi(app, headers={"Host": "good.test"})[0] == "200 OK"
    app.config["TRUSTED_HOSTS"] = None
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"


def test_a_config_set_on_a_serving_app_is_read() -> None:
    app = text_app()
    wsgi(app)
    config = Config(app.root_path, {**app.config, "TRUSTED_HOSTS": ["good.test"]})
    app.config = config
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "400 BAD REQUEST"
    config["TRUSTED_HOSTS"] = None
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"


def test_a_config_that_is_not_kolbas_is_read_on_every_request() -> None:
    class PlainConfig(dict):
        pass

    class App(Flask):
        def make_config(self, instance_relative: bool = False) -> t.Any:
            return PlainConfig(super().make_config(instance_relative))

    app = App(__name__)
    app.get("/")(lambda: "hi")
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"
    app.config["TRUSTED_HOSTS"] = ["good.test"]
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "400 BAD REQUEST"


def test_subdomain_matching_turned_on_while_serving_is_heard() -> None:
    app = text_app()
    app.get("/", subdomain="api", endpoint="api")(lambda: "api")
    app.config["SERVER_NAME"] = "example.test"
    host = {"Host": "api.example.test"}
    assert wsgi(app, headers=host)[2] == "Hello, Wörld!".encode()
    app.subdomain_matching = True
    assert wsgi(app, headers=host)[2] == b"api"


def test_a_copy_of_the_config_is_the_apps_no_more() -> None:
    app = text_app()
    for copied in (copy.copy(app.config), copy.deepcopy(app.config)):
        copied["TRUSTED_HOSTS"] = ["good.test"]
        assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"
    assert pickle.loads(pickle.dumps(app.config)) == app.config


def test_host_matching_turned_on_on_the_map_while_serving_is_heard() -> None:
    """Set on the map after the app was made (as one does to leave out
    static_host), host matching routes by the Host header, as in Flask."""
    app = Flask(__name__)
    app.url_map.host_matching = True
    app.get("/", host="a.test", endpoint="a")(lambda: "a")
    app.get("/", host="b.test", endpoint="b")(lambda: "b")
    assert wsgi(app, headers={"Host": "a.test"})[2] == b"a"
    assert wsgi(app, headers={"Host": "b.test"})[2] == b"b"


def test_trusted_hosts_set_around_the_configs_own_methods_are_checked() -> None:
    """A Config subclass (or code) that writes with dict's own methods still
    has TRUSTED_HOSTS checked: it is read per request."""

    class Direct(Config):
        def __setitem__(self, key: str, value: t.Any) -> None:
            dict.__setitem__(self, key, value)

    app = text_app()
    app.config = Direct(app.root_path, app.config)
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"
    app.config["TRUSTED_HOSTS"] = ["good.test"]
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "400 BAD REQUEST"
    dict.update(app.config, TRUSTED_HOSTS=None)
    assert wsgi(app, headers={"Host": "bad.test"})[0] == "200 OK"


@pytest.mark.parametrize(
    "missing", [("REQUEST_METHOD",), ("PATH_INFO",), ("REQUEST_METHOD", "PATH_INFO")]
)
def test_an_environ_without_method_or_path_gets_their_defaults(
    missing: tuple[str, ...],
) -> None:
    """PEP 3333 lets PATH_INFO be left out (the root); a server that leaves
    out the method gets a GET (Flask raises KeyError)."""
    app = Flask(__name__)
    app.route("/", methods=["GET", "POST"])(lambda: request.method)
    method = b"GET" if "REQUEST_METHOD" in missing else b"POST"
    seen: list[str] = []
    for _ in range(2):
        environ = EnvironBuilder(method="POST").get_environ()
        for key in missing:
            del environ[key]
        body = app(environ, lambda status, headers: seen.append(status))
        assert (seen.pop(), b"".join(body)) == ("200 OK", method)
