"""The quickstart's samples, as runnable apps in examples/quickstart/, behave
as the seed says."""

from __future__ import annotations

import importlib.util
import io
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from kolba import url_for

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


@pytest.fixture
def load() -> Iterator[Callable[[str], ModuleType]]:
    """Import ``examples/quickstart/<name>.py`` from its path, as a fresh module."""
    names: list[str] = []

    def load(name: str) -> ModuleType:
        module_name = f"quickstart_{name}"
        spec = importlib.util.spec_from_file_location(
            module_name, QUICKSTART / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        names.append(module_name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)


def test_hello_says_hello_world(load):
    client = load("hello").app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.text == "Hello, World!"


def test_routing_binds_each_url_to_its_function(load):
    client = load("routing").app.test_client()
    assert client.get("/").text == "Index Page"
    assert client.get("/hello").text == "Hello, World"
    assert client.get("/nowhere").status_code == 404


def test_variable_rules_pass_converted_values(load):
    client = load("variable_rules").app.test_client()
    assert client.get("/user/alice").text == "User alice"
    assert client.get("/post/42").text == "Post 42"
    assert client.get("/path/a/b/c").text == "Subpath a/b/c"


def test_variable_rules_escape_and_reject(load):
    client = load("variable_rules").app.test_client()
    assert client.get("/user/<b>").text == "User &lt;b&gt;"
    assert client.get("/post/abc").status_code == 404
    assert client.get("/post/-1").status_code == 404
    assert client.get("/user/a/b").status_code == 404


def test_trailing_slash_rules(load):
    client = load("unique_urls").app.test_client()
    redirected = client.get("/projects")
    assert redirected.status_code == 308
    assert redirected.headers["Location"].endswith("/projects/")
    assert client.get("/projects", follow_redirects=True).text == "The project page"
    assert client.get("/about").text == "The about page"
    assert client.get("/about/").status_code == 404


def test_url_building_prints_the_seeds_answer(load, capsys):
    module = load("url_building")
    assert capsys.readouterr().out == "/\n/login\n/login?next=/\n/user/John%20Doe\n"
    client = module.app.test_client()
    assert client.get("/user/John Doe").text == "John Doe's profile"


def test_http_methods_get_shows_form_post_logs_in(load):
    client = load("http_methods").app.test_client()
    assert "<form" in client.get("/login").text
    assert client.post("/login", data={"username": "ann"}).text == "Logged in as ann"


def test_http_methods_head_and_options_are_automatic(load):
    client = load("http_methods").app.test_client()
    head = client.head("/login")
    assert head.status_code == 200
    assert head.data == b""
    options = client.options("/login")
    assert set(options.headers["Allow"].split(", ")) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }
    assert client.put("/login").status_code == 405


def test_template_renders_name_or_world(load):
    client = load("static_templates").app.test_client()
    assert "<h1>Hello, World!</h1>" in client.get("/hello/").text
    page = client.get("/hello/Ann").text
    assert "<h1>Hello Ann!</h1>" in page
    assert '<link rel="stylesheet" href="/static/style.css">' in page


def test_template_autoescapes_name(load):
    client = load("static_templates").app.test_client()
    page = client.get("/hello/<script>").text
    assert "<script>" not in page
    assert "Hello &lt;script&gt;!" in page


def test_static_folder_is_served_at_static(load):
    module = load("static_templates")
    response = module.app.test_client().get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.data == (QUICKSTART / "static" / "style.css").read_bytes()
    response.close()
    with module.app.test_request_context():
        assert url_for("static", filename="style.css") == "/static/style.css"


def test_static_folder_does_not_leave_its_folder(load):
    client = load("static_templates").app.test_client()
    assert client.get("/static/../hello.py").status_code == 404
    assert client.get("/static/%2e%2e/static_templates.py").status_code == 404


def test_request_object_login_form(load):
    client = load("request_object").app.test_client()
    assert 'name="password"' in client.get("/login").text
    ok = client.post("/login", data={"username": "alice", "password": "wonderland"})
    assert ok.text == "Welcome, alice!"
    bad = client.post("/login", data={"username": "alice", "password": "nope"})
    assert bad.status_code == 200
    assert "Invalid username/password" in bad.text


def test_request_object_missing_form_key_is_400(load):
    client = load("request_object").app.test_client()
    assert client.post("/login", data={"username": "alice"}).status_code == 400


def test_request_object_args(load):
    client = load("request_object").app.test_client()
    assert client.get("/search?key=kolba").text == "Searching for kolba"
    assert client.get("/search").text == "Searching for "
    assert client.get("/search?key=<i>").text == "Searching for &lt;i&gt;"


def test_request_object_test_request_context(load):
    module = load("request_object")
    with module.app.test_request_context("/hello", method="POST"):
        assert module.request.path == "/hello"
        assert module.request.method == "POST"


def test_upload_saves_under_a_secure_filename(load, tmp_path):
    module = load("uploads")
    module.app.config["UPLOAD_FOLDER"] = str(tmp_path)
    client = module.app.test_client()
    data = {"the_file": (io.BytesIO(b"file body"), "../../etc/my notes.txt")}
    response = client.post("/upload", data=data)
    assert response.text == "Saved etc_my_notes.txt"
    assert [p.name for p in tmp_path.iterdir()] == ["etc_my_notes.txt"]
    assert (tmp_path / "etc_my_notes.txt").read_bytes() == b"file body"


def test_upload_rejects_bad_requests(load, tmp_path):
    module = load("uploads")
    module.app.config["UPLOAD_FOLDER"] = str(tmp_path)
    client = module.app.test_client()
    assert client.post("/upload", data={}).status_code == 400
    nameless = {"the_file": (io.BytesIO(b"x"), "../..")}
    assert client.post("/upload", data=nameless).status_code == 400
    huge = {"the_file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.bin")}
    assert client.post("/upload", data=huge).status_code == 413
    assert list(tmp_path.iterdir()) == []


def test_cookies_are_set_on_the_response_and_read_back(load):
    client = load("cookies").app.test_client()
    assert "Hello, World!" in client.get("/").text
    response = client.get("/remember/Ann")
    assert "username=Ann" in response.headers["Set-Cookie"]
    assert "<h1>Hello Ann!</h1>" in client.get("/").text


def test_redirect_then_abort(load):
    client = load("redirects_errors").app.test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/", follow_redirects=True).status_code == 401


def test_custom_404_page(load):
    client = load("redirects_errors").app.test_client()
    response = client.get("/missing")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


def test_response_conversions(load):
    client = load("responses").app.test_client()
    text = client.get("/text")
    assert (text.status_code, text.mimetype, text.text) == (
        200,
        "text/html",
        "Just a string",
    )
    as_dict = client.get("/dict")
    assert as_dict.mimetype == "application/json"
    assert as_dict.json == {"kind": "dict", "converted": "by jsonify"}
    created = client.get("/created")
    assert (created.status_code, created.headers["Location"]) == (201, "/text")
    assert client.get("/headers-only").headers["X-Example"] == "yes"


def test_make_response_lets_the_error_handler_add_a_header(load):
    client = load("responses").app.test_client()
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.headers["X-Something"] == "A value"
    assert "Something went wrong" in response.text


def test_json_api_dict_and_list(load):
    client = load("json_api").app.test_client()
    assert client.get("/me").json == {
        "username": "alice",
        "theme": "dark",
        "image": "/images/alice.png",
    }
    assert client.get("/users").json == [
        {"username": "alice", "theme": "dark", "image": "alice.png"},
        {"username": "bob", "theme": "light", "image": "bob.png"},
    ]
    assert client.get("/images/../../secret.png").status_code == 404


def test_session_login_and_logout(load):
    module = load("sessions")
    assert module.app.secret_key == b'_5#y2L"F4Q8z\n\xec]/'
    client = module.app.test_client()
    assert client.get("/").text == "You are not logged in"
    response = client.post("/login", data={"username": "<Ann>"})
    assert response.status_code == 302
    assert client.get("/").text == "Logged in as &lt;Ann&gt;"
    client.get("/logout")
    assert client.get("/").text == "You are not logged in"


def test_session_cookie_cannot_be_forged(load):
    client = load("sessions").app.test_client()
    client.post("/login", data={"username": "ann"})
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-2] + "xx")
    assert client.get("/").text == "You are not logged in"


def test_flash_shows_once(load):
    client = load("flashing").app.test_client()
    response = client.post("/", data={"name": "Ann"}, follow_redirects=True)
    assert '<li class="message">Hello, Ann!</li>' in response.text
    assert "Hello, Ann!" not in client.get("/").text
    error = client.post("/", data={"name": ""}, follow_redirects=True)
    assert '<li class="error">Please enter a name.</li>' in error.text


def test_logger_calls(load, caplog):
    module = load("logging_example")
    client = module.app.test_client()
    with caplog.at_level(logging.DEBUG, logger=module.app.logger.name):
        assert client.get("/apples").text == "42 apples"
        assert client.get("/apples?count=-1").status_code == 400
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("DEBUG", "A value for debugging"),
        ("WARNING", "A warning occurred (42 apples)"),
        ("DEBUG", "A value for debugging"),
        ("ERROR", "An error occurred"),
    ]
    assert module.app.logger.name == "quickstart_logging_example"


def test_proxy_fix_middleware(load):
    module = load("middleware")
    client = module.app.test_client()
    assert client.get("/").json == {
        "url": "http://localhost/",
        "remote_addr": "127.0.0.1",
    }
    forwarded = client.get(
        "/",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.org",
            "X-Forwarded-For": "203.0.113.7",
        },
    )
    assert forwarded.json == {
        "url": "https://example.org/",
        "remote_addr": "203.0.113.7",
    }
    assert module.app.wsgi_app.__class__.__name__ == "ProxyFix"
