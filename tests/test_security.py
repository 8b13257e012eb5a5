"""The security findings of issue 9, each pinned by a regression test."""

from __future__ import annotations

import json
import warnings

import pytest

from kolba import Flask, render_template_string, request, session, url_for
from kolba.sessions import SecretKeyWarning
from kolba.wrappers import Response

KEY = "a-long-enough-secret-key"


# -- every read of the session adds Vary: Cookie ------------------------------


@pytest.mark.parametrize(
    "read",
    [
        lambda: str(session == {}),
        lambda: str(session != {}),
        lambda: str(session),
        lambda: repr(session),
        lambda: render_template_string("{{ session }}"),
    ],
    ids=["==", "!=", "str", "repr", "template"],
)
def test_every_read_of_the_session_varies_on_cookie(read: object) -> None:
    app = Flask(__name__)
    app.secret_key = KEY
    app.add_url_rule("/", "read", read)  # type: ignore[arg-type]
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.headers["Vary"] == "Cookie"


def test_a_view_that_ignores_the_session_does_not_vary() -> None:
    app = Flask(__name__)
    app.secret_key = KEY
    app.add_url_rule("/", "plain", lambda: "plain")
    assert "Vary" not in app.test_client().get("/").headers


# -- routing redirects are absolute and keep the mount point -------------------


def test_trailing_slash_redirect_of_a_path_holding_a_scheme() -> None:
    app = Flask(__name__)
    app.add_url_rule("/go/<path:target>/", "go", lambda target: target)
    response = app.test_client().get(
        "/go/http://example.org", base_url="http://localhost/mount"
    )
    assert response.status_code == 308
    assert response.headers["Location"] == (
        "http://localhost/mount/go/http://example.org/"
    )


@pytest.mark.parametrize(
    ("mount", "root"),
    [
        # as ProxyFix passes an unchecked X-Forwarded-Prefix: Flask builds
        # http://localhost@evil.test/x and the link //evil.test/x from them
        ("@evil.test", "/@evil.test"),
        (".evil.test/", "/.evil.test"),
        (":8080", "/:8080"),
        ("//evil.test", "/evil.test"),
        ("\\evil.test", "/evil.test"),  # (a browser reads "/\\" as "//")
        ("/app/", "/app"),
        ("/", ""),
    ],
)
@pytest.mark.usefixtures("driver")
def test_urls_keep_the_mount_point_in_their_path(mount: str, root: str) -> None:
    app = Flask(__name__)
    app.config["SERVER_NAME"] = "localhost"

    @app.route("/x")
    def x() -> dict[str, str]:
        return {
            "root_path": request.root_path,
            "url": request.url,
            "url_root": request.url_root,
            "external": url_for("x", _external=True),
            "link": url_for("x"),
            # (what extensions build with)
            "adapter": app.create_url_adapter(request).build("x", force_external=True),
        }

    client = app.test_client()
    got = client.get("/x", environ_overrides={"SCRIPT_NAME": mount}).json
    assert got == {
        "root_path": root,
        "url": f"http://localhost{root}/x",
        "url_root": f"http://localhost{root}/",
        "external": f"http://localhost{root}/x",
        "link": f"{root}/x",
        "adapter": f"http://localhost{root}/x",
    }


# -- the keys ------------------------------------------------------------------


def session_app(**config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.add_url_rule("/", "set", lambda: session.update(a=1) or "ok")
    return app


@pytest.mark.parametrize("fallbacks", ["old-secret-key-value", b"old-secret-key"])
def test_secret_key_fallbacks_as_one_string_is_refused(fallbacks: object) -> None:
    app = session_app(SECRET_KEY=KEY, SECRET_KEY_FALLBACKS=fallbacks, TESTING=True)
    with pytest.raises(TypeError, match="SECRET_KEY_FALLBACKS must be a list"):
        app.test_client().get("/")


@pytest.mark.parametrize("key", ["dev", "short-key", "changeme", b"secret", "SECRET"])
def test_weak_secret_key_warns(key: str | bytes) -> None:
    app = session_app(SECRET_KEY=key)
    with pytest.warns(SecretKeyWarning, match="SECRET_KEY is shorter than 16 bytes"):
        assert app.test_client().get("/").status_code == 200


@pytest.mark.parametrize(
    "config", [{"SECRET_KEY": KEY}, {"SECRET_KEY": "dev", "TESTING": True}]
)
def test_strong_key_or_testing_does_not_warn(config: dict[str, object]) -> None:
    app = session_app(**config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert app.test_client().get("/").status_code == 200


def test_weak_key_warns_once_per_key() -> None:
    app = session_app(SECRET_KEY="once")  # a key no other test signs with
    client = app.test_client()
    with pytest.warns(SecretKeyWarning) as record:
        client.get("/")
        client.get("/")
    assert len(record) == 1


# -- headers, status and cookie names ------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Response("x", headers={"X-A\r\nSet-Cookie": "v"}),
        lambda: Response("x").headers.add("X-A\nB", "v"),
        lambda: Response("x").headers.set("X-A\r", "v"),
        lambda: Response("x").headers.__setitem__(0, ("X\nY", "v")),
        lambda: Response("x", status="200 OK\r\nSet-Cookie: a=b"),
        lambda: setattr(Response("x"), "status", "404 NF\nX: y"),
    ],
)
def test_line_breaks_in_header_names_and_status_are_refused(build: object) -> None:
    with pytest.raises(ValueError, match="line break"):
        build()  # type: ignore[operator]


def test_header_name_error_names_the_header() -> None:
    app = Flask(__name__)
    app.add_url_rule("/", "h", lambda: ("x", 200, {"X-Evil\r\nInjected": "1"}))
    app.testing = True
    with pytest.raises(ValueError, match="X-Evil"):
        app.test_client().get("/")


@pytest.mark.parametrize("name", ["a;b", "a,b", "a b", "a\tb", "a=b", "a\nb"])
def test_bad_cookie_names_are_refused(name: str) -> None:
    response = Response("x")
    with pytest.raises(ValueError, match="cookie name"):
        response.set_cookie(name, "v")
    with pytest.raises(ValueError, match="cookie name"):
        response.delete_cookie(name)


def test_good_header_and_cookie_names_pass() -> None:
    response = Response("x", status="201 CREATED", headers={"X-Ok": "1"})
    response.set_cookie("session_id-1.v", "v")
    assert response.headers["X-Ok"] == "1"
    assert response.headers["Set-Cookie"].startswith("session_id-1.v=v;")


# -- If-Range and nameless multipart parts ---------------------------------------


@pytest.mark.parametrize(
    ("header", "text"),
    [('"abc', ""), ('W/"a"b"', ""), ('"ok"', '"ok"'), ("", "")],
)
def test_if_range_with_a_stray_quote(header: str, text: str) -> None:
    app = Flask(__name__)
    app.add_url_rule("/", "r", lambda: str(request.if_range))
    response = app.test_client().get("/", headers={"If-Range": header})
    assert response.status_code == 200
    assert response.text == text


def test_multipart_part_without_a_name_is_no_field() -> None:
    app = Flask(__name__)

    @app.post("/")
    def echo() -> dict[str, object]:
        return {"form": request.form.to_dict(), "files": sorted(request.files)}

    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n"
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--b\r\nContent-Disposition: form-data; filename="x.txt"\r\n\r\nf\r\n'
        b'--b\r\nContent-Disposition: form-data; name="up"; filename="y.txt"\r\n'
        b"\r\ng\r\n--b--\r\n"
    )
    response = app.test_client().post(
        "/", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 200
    assert json.loads(response.data) == {"form": {"a": "1"}, "files": ["up"]}


# -- a session cookie set over HTTPS is Secure ----------------------------------


def _session_cookie_app(store: str | None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=KEY, SESSION_STORE=store)
    app.add_url_rule("/login", "login", lambda: session.update(user="ada") or "in")
    app.add_url_rule("/logout", "logout", lambda: session.clear() or "out")
    return app


@pytest.mark.usefixtures("driver")
@pytest.mark.parametrize("store", ["cookie", "sqlite"])
@pytest.mark.parametrize(
    ("base_url", "config", "secure"),
    [
        ("https://localhost", False, True),
        ("http://localhost", False, False),
        ("http://localhost", True, True),
    ],
    ids=["https", "http", "http-configured"],
)
def test_a_session_cookie_set_over_https_is_secure(
    tmp_path: object, store: str, base_url: str, config: bool, secure: bool
) -> None:
    """Over HTTPS the cookie gets ``Secure`` even with SESSION_COOKIE_SECURE
    unset (Flask's default sends it back over plain HTTP too); its deletion
    carries the same attributes."""
    url = None if store == "cookie" else f"sqlite:///{tmp_path}/sessions.db"
    app = _session_cookie_app(url)
    app.config["SESSION_COOKIE_SECURE"] = config
    client = app.test_client()
    set_cookie = client.get("/login", base_url=base_url).headers["Set-Cookie"]
    assert ("; Secure" in set_cookie) is secure
    deleted = client.get("/logout", base_url=base_url).headers["Set-Cookie"]
    assert "Expires=Thu, 01 Jan 1970" in deleted
    assert ("; Secure" in deleted) is secure
