"""``request``: the incoming request, each attribute computed when first used."""

from __future__ import annotations

import base64
import gzip
import io
import typing as t
from datetime import datetime, timezone

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.test import create_environ

from kolba import Flask, render_template_string, request
from kolba.testing import KolbaClient
from kolba.wrappers import Request

pytestmark = pytest.mark.usefixtures("driver")


class ExplodingInput:
    """A ``wsgi.input`` that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = readinto = read


def post_environ(**overrides: object) -> dict[str, object]:
    environ = create_environ(
        "/submit", method="POST", content_type="application/x-www-form-urlencoded"
    )
    environ.update({"CONTENT_LENGTH": "5", "wsgi.input": ExplodingInput()})
    environ.update(overrides)
    return environ


# URL parts -------------------------------------------------------------------


def test_url_parts(app: Flask) -> None:
    with app.test_request_context(
        "/a/b?x=1&y=%C3%A9", base_url="https://example.com:8443/root"
    ):
        assert request.method == "GET"
        assert request.path == "/a/b"
        assert request.full_path == "/a/b?x=1&y=%C3%A9"
        assert request.script_root == "/root"
        assert request.root_path == "/root"
        assert request.url == "https://example.com:8443/root/a/b?x=1&y=é"
        assert request.base_url == "https://example.com:8443/root/a/b"
        assert request.url_root == "https://example.com:8443/root/"
        assert request.host_url == "https://example.com:8443/"
        assert request.host == "example.com:8443"
        assert request.scheme == "https"
        assert request.is_secure is True
        assert request.query_string == b"x=1&y=%C3%A9"


def test_plain_http_request(app: Flask) -> None:
    with app.test_request_context("/"):
        assert request.scheme == "http"
        assert request.is_secure is False
        assert request.host == "localhost"
        assert request.full_path == "/?"
        assert request.script_root == ""


def test_seed_test_request_context(app: Flask) -> None:
    """The seed's "Контекстные локальные данные" sample, as written."""
    with app.test_request_context("/hello", method="POST"):
        assert request.path == "/hello"
        assert request.method == "POST"


def test_seed_request_context_with_an_environ(app: Flask) -> None:
    environ = create_environ("/hello", method="POST")
    with app.request_context(environ):
        assert request.method == "POST"
        assert request.environ is environ


def test_method_is_upper_case(app: Flask) -> None:
    with app.request_context(create_environ("/", method="post")):
        assert request.method == "POST"


def test_remote_addr_and_access_route(app: Flask) -> None:
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "1.2.3.4, 5.6.7.8"},
    ):
        assert request.remote_addr == "10.0.0.1"
        assert list(request.access_route) == ["1.2.3.4", "5.6.7.8"]
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert list(request.access_route) == ["10.0.0.1"]


def test_percent_encoded_and_non_ascii_paths(app: Flask, client: KolbaClient) -> None:
    @app.route("/p/<name>")
    def show(name: str) -> str:
        return f"{name}|{request.path}|{request.url}"

    rv = client.get("/p/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82?q=1")
    assert rv.text == "привет|/p/привет|http://localhost/p/привет?q=1"
    rv = client.get("/p/a%20b")
    assert rv.text == "a b|/p/a b|http://localhost/p/a%20b"


def test_script_name_is_the_root(app: Flask, client: KolbaClient) -> None:
    @app.route("/page")
    def page() -> str:
        return f"{request.script_root}|{request.path}|{request.url_root}"

    rv = client.get("/page", environ_overrides={"SCRIPT_NAME": "/app"})
    assert rv.text == "/app|/page|http://localhost/app/"
    assert client.get("/page", "http://localhost/app/").text == rv.text


# query string, form, files, cookies, headers -----------------------------------


def test_args_form_values(app: Flask) -> None:
    with app.test_request_context(
        "/?x=1&x=2&q=%C3%A9", method="POST", data={"name": "Ann", "x": "3"}
    ):
        assert request.args.getlist("x") == ["1", "2"]
        assert request.args["q"] == "é"
        assert request.args.get("key", "") == ""
        assert request.form["name"] == "Ann"
        assert request.values.getlist("x") == ["1", "2", "3"]
        assert request.values["name"] == "Ann"


def test_get_request_values_ignore_the_body(app: Flask) -> None:
    """As Flask: on GET, ``values`` is the query string only."""
    with app.test_request_context("/?a=1", method="GET", data={"b": "2"}):
        assert request.values.to_dict() == {"a": "1"}


def test_files(app: Flask) -> None:
    with app.test_request_context(
        method="POST", data={"f": "v", "up": (io.BytesIO(b"hi"), "a.txt")}
    ):
        upload = request.files["up"]
        assert isinstance(upload, FileStorage)
        assert upload.filename == "a.txt"
        assert upload.read() == b"hi"
        assert request.form.to_dict() == {"f": "v"}
        assert request.mimetype == "multipart/form-data"
        assert "boundary" in request.mimetype_params
        assert request.content_type.startswith("multipart/form-data; boundary=")


def test_cookies_and_headers(app: Flask) -> None:
    with app.test_request_context(
        headers={"Cookie": "a=1; b=2", "X-Custom": "yes", "User-Agent": "Curl/8.0"}
    ):
        assert request.cookies.to_dict() == {"a": "1", "b": "2"}
        assert request.headers["X-Custom"] == "yes"
        assert request.headers.get("x-custom") == "yes"
        assert request.user_agent.string == "Curl/8.0"


def test_http_header_parsers(app: Flask) -> None:
    with app.test_request_context(
        headers={
            "Authorization": "Basic dXNlcjpwYXNz",
            "Accept": "text/html;q=0.9, application/json",
            "If-None-Match": '"abc"',
            "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
            "Range": "bytes=0-4",
        }
    ):
        assert request.authorization is not None
        assert request.authorization.username == "user"
        assert request.authorization.password == "pass"
        assert request.accept_mimetypes.best == "application/json"
        assert request.accept_mimetypes["text/html"] == 0.9
        assert '"abc"' not in request.if_none_match  # ETags hold unquoted tags
        assert "abc" in request.if_none_match
        assert request.if_modified_since == datetime(
            2015, 10, 21, 7, 28, tzinfo=timezone.utc
        )
        assert request.range is not None
        assert request.range.ranges == [(0, 5)]


def test_absent_headers(app: Flask) -> None:
    with app.test_request_context():
        assert request.authorization is None
        assert request.if_modified_since is None
        assert request.range is None
        assert not request.if_none_match
        assert request.content_length is None
        assert request.mimetype == ""


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Basic \xe9",  # not ASCII: werkzeug's parser raises ValueError (a 500)
        "Basic dXNlcjpw\xe9",
        "Basic !!!",  # not base64
        "Basic dXNlcjpwYXN",  # a cut credential (bad padding)
        basic(b"\xe9t\xe9:pass"),  # base64 of Latin-1, not UTF-8
    ],
)
def test_a_malformed_basic_authorization_is_none(
    app: Flask, client: KolbaClient, header: str
) -> None:
    """As werkzeug answers for a credential that is not base64 of UTF-8: no
    credentials (an app asks for them again with a 401), never a 500."""

    @app.route("/")
    def index() -> str:
        return repr(request.authorization)

    response = client.get("/", headers={"Authorization": header})
    assert (response.status_code, response.text) == (200, "None")


def test_a_utf8_basic_authorization_is_read(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> list[str | None]:
        auth = request.authorization
        assert auth is not None
        return [auth.type, auth.username, auth.password]

    header = basic("\u00e9t\u00e9:p\u00e4ss".encode())
    assert client.get("/", headers={"Authorization": header}).json == [
        "basic",
        "\u00e9t\u00e9",
        "p\u00e4ss",
    ]


# body ------------------------------------------------------------------------


def test_data_and_get_data(app: Flask) -> None:
    with app.test_request_context(
        method="POST", data=b"raw body", content_type="text/plain"
    ):
        assert request.content_length == 8
        assert request.mimetype == "text/plain"
        assert request.get_data() == b"raw body"
        assert request.get_data(as_text=True) == "raw body"
        assert request.data == b"raw body"


def test_stream_reads_the_body_once(app: Flask) -> None:
    with app.test_request_context(
        method="POST", data=b"payload", content_type="text/plain"
    ):
        assert request.stream.read() == b"payload"
        assert request.stream.read() == b""


def test_json(app: Flask) -> None:
    with app.test_request_context(method="POST", json={"k": [1, 2]}):
        assert request.is_json
        assert request.mimetype == "application/json"
        assert request.json == {"k": [1, 2]}
        assert request.get_json() is request.get_json()


class Gunzipping(Request):
    """A request class that overrides the body getters, as apps do to
    decompress a body or wrap its JSON."""

    def get_data(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        raw = super().get_data(*args, **{**kwargs, "as_text": False})
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return raw.decode() if kwargs.get("as_text") else raw

    def get_json(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return {"wrapped": super().get_json(*args, **kwargs)}


@pytest.mark.parametrize("is_async", [False, True])
def test_data_and_json_go_through_a_subclass_override(
    app: Flask, client: KolbaClient, is_async: bool
) -> None:
    """``request.data`` and ``request.json`` call ``get_data`` and ``get_json``
    as Flask's do, so a subclass's override holds for them too."""
    app.request_class = Gunzipping

    def data() -> str:
        return repr([request.data, request.get_data()])

    def json() -> t.Any:
        return [request.json, request.get_json()]

    async def async_data() -> str:
        return data()

    async def async_json() -> t.Any:
        return json()

    app.add_url_rule("/d", "d", async_data if is_async else data, methods=["POST"])
    app.add_url_rule("/j", "j", async_json if is_async else json, methods=["POST"])
    response = client.post(
        "/d", data=gzip.compress(b"hello"), headers={"Content-Encoding": "gzip"}
    )
    assert response.text == "[b'hello', b'hello']"
    assert client.post("/j", json=[1]).json == [{"wrapped": [1]}] * 2
    assert Request._own_body_getters and not Gunzipping._own_body_getters


def test_json_suffix_types_are_json(app: Flask) -> None:
    with app.test_request_context(
        method="POST", data=b"[1]", content_type="application/vnd.api+json"
    ):
        assert request.is_json
        assert request.get_json() == [1]


def test_get_json_force_silent_cache(app: Flask) -> None:
    with app.test_request_context(
        method="POST", data=b'{"a": 1}', content_type="text/plain"
    ):
        assert not request.is_json
        assert request.get_json(silent=True) is None
        assert request.get_json(force=True) == {"a": 1}
    with app.test_request_context(
        method="POST", data=b"{bad", content_type="application/json"
    ):
        assert request.get_json(silent=True) is None
    with app.test_request_context(method="POST", json=[1]):
        request.get_data()
        first = request.get_json(cache=False)
        assert first == [1]
        assert request.get_json(cache=False) is not first


def test_json_uses_the_app_provider(app: Flask) -> None:
    class Provider(type(app.json)):  # type: ignore[misc]
        def loads(self, s: str | bytes, **kwargs: object) -> object:
            return {"parsed by": "provider"}

    app.json = Provider(app)
    with app.test_request_context(method="POST", json={"a": 1}):
        assert request.json == {"parsed by": "provider"}


def test_max_content_length_mirrors_the_config(app: Flask) -> None:
    with app.test_request_context():
        assert request.max_content_length is None
        app.config["MAX_CONTENT_LENGTH"] = 100
        assert request.max_content_length == 100
        request.max_content_length = 5
        assert request.max_content_length == 5
    assert Request(create_environ()).max_content_length is None


# routing results -------------------------------------------------------------


def test_routing_attributes(app: Flask, client: KolbaClient) -> None:
    @app.route("/item/<int:n>")
    def item(n: int) -> dict[str, object]:
        rule = request.url_rule
        assert rule is not None
        return {
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "rule": str(rule),
            "blueprint": request.blueprint,
        }

    assert client.get("/item/3").json == {
        "endpoint": "item",
        "view_args": {"n": 3},
        "rule": "/item/<int:n>",
        "blueprint": None,
    }


def test_unmatched_request_has_no_rule(app: Flask) -> None:
    with app.test_request_context("/nowhere"):
        assert request.url_rule is None
        assert request.endpoint is None
        assert request.view_args is None
        assert request.blueprint is None


# laziness --------------------------------------------------------------------


def test_constructing_a_request_reads_nothing() -> None:
    req = Request(post_environ())
    assert req.method == "POST"
    assert req.path == "/submit"
    assert set(vars(req)) <= {"environ", "shallow", "method", "path"}


def test_form_is_not_parsed_unless_used(
    app: Flask, client: KolbaClient, driver: str
) -> None:
    @app.route("/submit", methods=["POST"])
    def submit() -> str:
        return f"{request.method} {request.path} {request.args.get('q')}"

    environ = post_environ(QUERY_STRING="q=1")
    if driver != "wsgi":
        # Under ASGI a sync view's body is received before it runs (so that
        # no thread waits for the client): a body that is no form, unparsed.
        environ["CONTENT_TYPE"] = "multipart/form-data; boundary=xx"
        environ["wsgi.input"] = io.BytesIO(b"--xx\r\nnot a part")
    rv = client.open(environ_overrides=environ, path="/submit", method="POST")
    assert rv.text == "POST /submit 1"


def test_using_form_reads_the_body(app: Flask) -> None:
    with app.request_context(post_environ()), pytest.raises(AssertionError):
        request.form  # noqa: B018


def test_shallow_request_refuses_to_read() -> None:
    req = Request(post_environ(), shallow=True)
    with pytest.raises(RuntimeError, match="shallow"):
        req.stream  # noqa: B018


# bad input is a 4xx ----------------------------------------------------------


@pytest.fixture
def echo(app: Flask) -> Flask:
    """Views that use the form, the JSON and the raw body."""

    @app.route("/form", methods=["POST"])
    def form() -> str:
        return request.form["missing"]

    @app.route("/json", methods=["POST"])
    def json_view() -> str:
        return repr(request.json)

    @app.route("/data", methods=["POST"])
    def data() -> bytes:
        return request.get_data()

    @app.route("/form-dict", methods=["POST"])
    def form_dict() -> dict[str, str]:
        return request.form.to_dict()

    return app


def test_missing_form_key_is_a_key_error(app: Flask) -> None:
    with app.test_request_context(method="POST", data={"a": "1"}):
        with pytest.raises(KeyError) as info:
            request.form["missing"]
        assert isinstance(info.value, BadRequestKeyError)


def test_missing_form_key_is_400(echo: Flask, client: KolbaClient) -> None:
    rv = client.post("/form", data={"a": "1"})
    assert rv.status_code == 400
    assert "Bad Request" in rv.text
    assert "missing" not in rv.text


def test_missing_form_key_is_named_in_debug_mode(echo: Flask) -> None:
    echo.config.update(DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False)
    rv = echo.test_client().post("/form", data={"a": "1"})
    assert rv.status_code == 400
    assert "KeyError: &#39;missing&#39;" in rv.text


def test_invalid_json_is_400(echo: Flask, client: KolbaClient) -> None:
    rv = client.post("/json", data="{bad", content_type="application/json")
    assert rv.status_code == 400


def test_too_deeply_nested_json_is_400(echo: Flask, client: KolbaClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    rv = client.post("/json", data=body, content_type="application/json")
    assert rv.status_code == 400


def test_non_json_body_is_415(echo: Flask, client: KolbaClient) -> None:
    rv = client.post("/json", data="x=1")
    assert rv.status_code == 415


def test_content_length_over_the_limit_is_413(echo: Flask, client: KolbaClient) -> None:
    echo.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/data", data="x" * 20).status_code == 413
    assert client.post("/form-dict", data={"a": "x" * 20}).status_code == 413
    assert client.post("/data", data="x" * 10).data == b"x" * 10


def test_over_the_limit_is_413_without_reading_the_body(
    echo: Flask, client: KolbaClient
) -> None:
    echo.config["MAX_CONTENT_LENGTH"] = 10
    environ = {"CONTENT_LENGTH": "1000000", "wsgi.input": ExplodingInput()}
    rv = client.post("/data", environ_overrides=environ)
    assert rv.status_code == 413


def test_form_field_over_max_form_memory_size_is_413(
    echo: Flask, client: KolbaClient
) -> None:
    echo.config["MAX_FORM_MEMORY_SIZE"] = 10
    assert client.post("/form-dict", data={"a": "x" * 20}).status_code == 413
    upload = (io.BytesIO(b"x"), "a.txt")
    rv = client.post("/form-dict", data={"a": "x" * 20, "up": upload})
    assert rv.status_code == 413
    assert client.post("/form-dict", data={"a": "x" * 5}).json == {"a": "xxxxx"}


def test_an_urlencoded_body_keeps_limits_set_on_the_request_or_its_class(
    app: Flask,
) -> None:
    class Small(Request):
        @property
        def max_form_memory_size(self) -> int:  # type: ignore[override]
            return 10

    @app.post("/")
    def form() -> str:
        if "limit" in request.args:
            request.max_content_length = 10
        return request.form.get("a", "")

    client = app.test_client()
    assert client.post("/", data={"a": "x" * 20}).status_code == 200
    assert client.post("/?limit", data={"a": "x" * 20}).status_code == 413
    app.request_class = Small
    assert client.post("/", data={"a": "x" * 20}).status_code == 413
    assert client.post("/", data={"a": "x" * 5}).get_data() == b"xxxxx"


def test_more_multipart_parts_than_max_form_parts_is_413(
    echo: Flask, client: KolbaClient
) -> None:
    echo.config["MAX_FORM_PARTS"] = 3
    fields = {"a": "1", "b": "2", "c": "3"}
    rv = client.post("/form-dict", data={**fields, "up": (io.BytesIO(b"x"), "a.txt")})
    assert rv.status_code == 413
    rv = client.post("/form-dict", data={"a": "1", "up": (io.BytesIO(b"x"), "a.txt")})
    assert rv.json == {"a": "1"}


def chunked(body: bytes) -> dict[str, object]:
    """Arguments for a body without Content-Length, which the server
    terminates (as werkzeug's server does for chunked requests)."""
    return {
        "input_stream": io.BytesIO(body),
        "content_type": "application/x-www-form-urlencoded",
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


@pytest.mark.parametrize("path", ["/data", "/form-dict"])
def test_streamed_body_over_the_limit_is_413(
    echo: Flask, client: KolbaClient, path: str
) -> None:
    """Not silently cut at the limit: the view never sees a truncated body."""
    echo.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post(path, **chunked(b"a=" + b"x" * 20)).status_code == 413


def test_streamed_multipart_over_the_limit_is_413(
    echo: Flask, client: KolbaClient
) -> None:
    with echo.test_request_context(
        method="POST", data={"up": (io.BytesIO(b"x" * 500), "a.txt")}
    ):
        body = request.get_data()
        content_type = request.content_type
    echo.config["MAX_CONTENT_LENGTH"] = 100
    args = chunked(body)
    args["content_type"] = content_type
    assert client.post("/form-dict", **args).status_code == 413


def test_streamed_body_within_the_limit(echo: Flask, client: KolbaClient) -> None:
    echo.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/data", **chunked(b"a=" + b"x" * 8)).data == b"a=xxxxxxxx"
    assert client.post("/form-dict", **chunked(b"a=xx")).json == {"a": "xx"}


def test_unterminated_body_without_length_is_not_read(
    echo: Flask, client: KolbaClient
) -> None:
    """Without Content-Length and without a server that ends the stream, the
    body would be an endless read: it is treated as empty."""
    rv = client.post(
        "/data",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input": ExplodingInput()},
    )
    assert rv.status_code == 200
    assert rv.data == b""


# the seed's login form ---------------------------------------------------------


@pytest.fixture
def login_app(app: Flask) -> Flask:
    """The seed's "Объект запроса" sample, as written."""

    def valid_login(username: str, password: str) -> bool:
        return (username, password) == ("admin", "secret")

    def log_the_user_in(username: str) -> str:
        return f"Welcome, {username}!"

    @app.route("/login", methods=["POST", "GET"])
    def login() -> str:
        error = None
        if request.method == "POST":
            if valid_login(request.form["username"], request.form["password"]):
                return log_the_user_in(request.form["username"])
            else:
                error = "Invalid username/password"
        # приведенный ниже код выполняется, если
        # метод запроса был GET или учетные данные недействительны
        return render_template_string(
            "{% if error %}<p class=error>{{ error }}{% endif %}<form></form>",
            error=error,
        )

    @app.route("/search")
    def search() -> str:
        searchword = request.args.get("key", "")
        return f"searching {searchword!r}"

    return app


def test_seed_login_get(login_app: Flask, client: KolbaClient) -> None:
    assert client.get("/login").text == "<form></form>"


def test_seed_login_success(login_app: Flask, client: KolbaClient) -> None:
    rv = client.post("/login", data={"username": "admin", "password": "secret"})
    assert rv.text == "Welcome, admin!"


def test_seed_login_failure(login_app: Flask, client: KolbaClient) -> None:
    rv = client.post("/login", data={"username": "admin", "password": "nope"})
    assert rv.text == "<p class=error>Invalid username/password<form></form>"


def test_seed_login_missing_field_is_400(login_app: Flask, client: KolbaClient) -> None:
    rv = client.post("/login", data={"username": "admin"})
    assert rv.status_code == 400


def test_seed_args_get(login_app: Flask, client: KolbaClient) -> None:
    assert client.get("/search?key=kolba").text == "searching 'kolba'"
    assert client.get("/search").text == "searching ''"


def test_the_environ_knows_its_request_while_it_runs() -> None:
    # As Werkzeug's Request(populate_request=True) and Flask's request context:
    # environ["werkzeug.request"] is the request, and None once it is over,
    # so that no reference cycle outlives the request.
    app = Flask(__name__)
    seen = []

    @app.route("/")
    def index() -> str:
        seen.append(
            request.environ["werkzeug.request"] is request._get_current_object()
        )
        return "ok"

    environ = create_environ("/")
    b"".join(app(environ, lambda status, headers: None))
    assert seen == [True]
    assert environ["werkzeug.request"] is None
    with app.test_request_context("/"):
        assert request.environ["werkzeug.request"] is request._get_current_object()
    assert "werkzeug.request" not in Request({}, populate_request=False).environ
    assert "werkzeug.request" not in Request({}, shallow=True).environ
    populated = Request({})
    assert populated.environ["werkzeug.request"] is populated


def test_args_form_and_files_print_as_flask_prints_them(
    app: Flask, client: KolbaClient
) -> None:
    @app.post("/")
    def show() -> str:
        return " ".join(repr(m) for m in (request.args, request.form, request.files))

    response = client.post("/?a=1&b=2&a=3", data={"x": "1"})
    assert response.text == (
        "ImmutableMultiDict([('a', '1'), ('a', '3'), ('b', '2')])"
        " ImmutableMultiDict([('x', '1')]) ImmutableMultiDict([])"
    )
