"""Static files, send_file and send_from_directory: safe, conditional, streamed."""

from __future__ import annotations

import io
import mimetypes
import typing as t
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date
from werkzeug.test import EnvironBuilder

from kolba import (
    Blueprint,
    Flask,
    Response,
    has_request_context,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from kolba.routing import BuildError

pytestmark = pytest.mark.usefixtures("driver")

RunWSGI = t.Callable[..., tuple[int, list[tuple[str, str]], bytes]]
STYLE = b"body { color: teal }\n"
SECRET = b"top secret, outside the static folder\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project: ``static/`` with a stylesheet, and a secret beside it."""
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "style.css").write_bytes(STYLE)
    (tmp_path / "static" / "css" / "site.css").write_bytes(b"h1 {}\n")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    return tmp_path


@pytest.fixture
def app(root: Path) -> Flask:
    app = Flask("static_app", root_path=str(root))
    app.config["TESTING"] = True
    return app


def raw_path(path_info: str) -> dict[str, t.Any]:
    """An environ with PATH_INFO as given, as a server that does not decode it."""
    environ = EnvironBuilder().get_environ()
    environ["PATH_INFO"] = path_info
    return environ


# --- the static route ---------------------------------------------------------


def test_seed_static_url_and_file(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("static", filename="style.css") == "/static/style.css"
    response = app.test_client().get("/static/style.css")
    assert response.status_code == 200
    assert response.data == STYLE
    assert response.mimetype == "text/css"


def test_static_subfolder_and_head(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/static/css/site.css").data == b"h1 {}\n"
    head = client.head("/static/style.css")
    assert head.status_code == 200
    assert head.data == b""
    assert head.content_length == len(STYLE)


@pytest.mark.parametrize("path", ["/static/nope.css", "/static/css", "/static/css/"])
def test_missing_file_or_folder_is_404(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 404


def test_static_folder_and_url_path_options(root: Path) -> None:
    (root / "assets").mkdir()
    (root / "assets" / "app.js").write_bytes(b"go()")
    app = Flask("assets_app", root_path=str(root), static_folder="assets")
    assert app.static_folder == str(root / "assets")
    assert app.static_url_path == "/assets"
    assert app.test_client().get("/assets/app.js").data == b"go()"

    app = Flask("prefixed", root_path=str(root), static_url_path="/s/")
    assert app.static_url_path == "/s"
    with app.test_request_context():
        assert url_for("static", filename="style.css") == "/s/style.css"
    assert app.test_client().get("/s/style.css").data == STYLE

    app = Flask("at_root", root_path=str(root), static_url_path="")
    assert app.test_client().get("/style.css").data == STYLE


def test_absolute_static_folder(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "logo.svg").write_bytes(b"<svg/>")
    app = Flask("absolute", root_path=str(root), static_folder=str(elsewhere))
    assert app.static_url_path == f"/{elsewhere.name}"
    response = app.test_client().get(f"/{elsewhere.name}/logo.svg")
    assert response.data == b"<svg/>"
    assert response.mimetype == "image/svg+xml"


def test_no_static_folder_means_no_static_route(root: Path) -> None:
    app = Flask("no_static", root_path=str(root), static_folder=None)
    assert app.static_url_path is None
    assert "static" not in app.view_functions
    assert app.test_client().get("/static/style.css").status_code == 404
    with app.test_request_context(), pytest.raises(BuildError):
        url_for("static", filename="style.css")
    with pytest.raises(RuntimeError, match="static_folder"):
        app.send_static_file("style.css")


def test_static_host(root: Path) -> None:
    app = Flask(
        "cdn", root_path=str(root), host_matching=True, static_host="cdn.example.com"
    )
    app.get("/", host="www.example.com")(lambda: "home")
    client = app.test_client()
    cdn = client.get("/static/style.css", base_url="http://cdn.example.com")
    assert cdn.data == STYLE
    www = client.get("/static/style.css", base_url="http://www.example.com")
    assert www.status_code == 404
    with app.test_request_context("/", base_url="http://www.example.com"):
        assert (
            url_for("static", filename="style.css")
            == "http://cdn.example.com/static/style.css"
        )


def test_static_host_needs_host_matching(root: Path) -> None:
    with pytest.raises(ValueError, match="static_host"):
        Flask("bad", root_path=str(root), static_host="cdn.example.com")
    with pytest.raises(ValueError, match="static_host"):
        Flask("bad", root_path=str(root), host_matching=True)


def test_blueprint_static_folder(app: Flask, root: Path) -> None:
    (root / "admin" / "static").mkdir(parents=True)
    (root / "admin" / "static" / "admin.css").write_bytes(b".admin {}")
    admin = Blueprint(
        "admin", __name__, static_folder="static", root_path=str(root / "admin")
    )
    app.register_blueprint(admin, url_prefix="/admin")
    with app.test_request_context():
        url = url_for("admin.static", filename="admin.css")
    assert url == "/admin/static/admin.css"
    client = app.test_client()
    assert client.get(url).data == b".admin {}"
    assert client.get("/admin/static/../../secret.txt").status_code == 404


# --- nothing leaves the folder ----------------------------------------------------

TRAVERSALS = [
    "../secret.txt",
    "%2e%2e/secret.txt",
    "%2E%2E/secret.txt",
    "..%2fsecret.txt",
    "%2e%2e%2fsecret.txt",
    "css/../../secret.txt",
    "./../secret.txt",
    "..\\secret.txt",
    "css\\..\\..\\secret.txt",
    "%5c..%5csecret.txt",
    "..%5csecret.txt",
    "..%00/secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_through_the_client_is_404(app: Flask, path: str) -> None:
    response = app.test_client().get(f"/static/{path}")
    assert response.status_code == 404
    assert SECRET not in response.data


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_with_a_raw_path_info_is_404(
    app: Flask, run_wsgi: RunWSGI, path: str
) -> None:
    status, _, body = run_wsgi(app, raw_path(f"/static/{path}"))
    assert status == 404
    assert SECRET not in body


@pytest.mark.parametrize("path", ["/static//", "/static///"])
def test_absolute_paths_never_leave_the_folder(
    app: Flask, run_wsgi: RunWSGI, root: Path, path: str
) -> None:
    target = path + str(root / "secret.txt").lstrip("/")
    status, _, body = run_wsgi(app, raw_path(target))
    assert status in {308, 404}
    assert SECRET not in body
    response = app.test_client().get(target, follow_redirects=True)
    assert response.status_code == 404
    assert SECRET not in response.data


@pytest.mark.parametrize(
    "path", ["../secret.txt", "/etc/passwd", "..\\secret.txt", "css/../../secret.txt"]
)
def test_send_from_directory_refuses_to_leave(
    app: Flask, root: Path, path: str
) -> None:
    with app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(root / "static", path)


def test_send_from_directory_sends_a_file_inside(app: Flask, root: Path) -> None:
    @app.get("/files/<path:name>")
    def files(name: str) -> t.Any:
        return send_from_directory(root / "static", name, as_attachment=True)

    response = app.test_client().get("/files/css/site.css")
    assert response.data == b"h1 {}\n"
    assert response.headers["Content-Disposition"] == "attachment; filename=site.css"


# --- send_file --------------------------------------------------------------------


def sent(app: Flask, *args: t.Any, headers: t.Any = None, **kwargs: t.Any) -> t.Any:
    """The response of a view that returns ``send_file(*args, **kwargs)``."""
    app.add_url_rule(
        "/file", "file", lambda: send_file(*args, **kwargs), methods=["GET", "HEAD"]
    )
    return app.test_client().get("/file", headers=headers)


def test_send_file_path_relative_to_root_path(app: Flask) -> None:
    response = sent(app, "static/style.css")
    assert response.data == STYLE
    assert response.mimetype == "text/css"
    assert response.headers["Content-Disposition"] == "inline; filename=style.css"


def test_send_file_absolute_path(app: Flask, root: Path) -> None:
    assert sent(app, root / "secret.txt").data == SECRET


def test_send_file_object(app: Flask, root: Path) -> None:
    with open(root / "static" / "style.css", "rb") as f:
        response = sent(app, f, mimetype="text/css")
        assert response.data == STYLE
        assert response.mimetype == "text/css"


def test_send_bytesio_with_mimetype(app: Flask) -> None:
    response = sent(app, io.BytesIO(b"a,b\n1,2\n"), mimetype="text/csv")
    assert response.data == b"a,b\n1,2\n"
    assert response.mimetype == "text/csv"
    assert "Content-Disposition" not in response.headers


def test_send_bytesio_needs_a_name_or_mimetype(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(TypeError, match="MIME type"):
        send_file(io.BytesIO(b"data"))


def test_send_file_needs_a_request(app: Flask, root: Path) -> None:
    with app.app_context(), pytest.raises(RuntimeError):
        send_file(root / "secret.txt")


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("style.css", "text/css"),
        ("page.html", "text/html"),
        ("notes.txt", "text/plain"),
        ("photo.png", "image/png"),
        ("data.json", "application/json"),
        ("report.pdf", "application/pdf"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_mimetype_is_guessed_from_the_name(
    app: Flask, name: str, mimetype: str
) -> None:
    assert sent(app, io.BytesIO(b"x"), download_name=name).mimetype == mimetype


def test_attachment_with_an_ascii_name(app: Flask) -> None:
    response = sent(
        app, io.BytesIO(b"%PDF"), as_attachment=True, download_name="a b.pdf"
    )
    assert response.headers["Content-Disposition"] == 'attachment; filename="a b.pdf"'


def test_attachment_with_a_non_ascii_name_uses_rfc_5987(app: Flask) -> None:
    response = sent(
        app, io.BytesIO(b"%PDF"), as_attachment=True, download_name="Résumé отчёт.pdf"
    )
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Resume .pdf"')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf" in (
        disposition
    )
    disposition.encode("latin-1")  # a valid header value


def test_attachment_name_cannot_inject_headers(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(ValueError, match="newline"):
        send_file(io.BytesIO(b"x"), download_name='a";\r\nX-Evil: 1.txt')


# --- conditional requests and ranges --------------------------------------------------


def test_etag_and_if_none_match(app: Flask) -> None:
    client = app.test_client()
    first = client.get("/static/style.css")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get("/static/style.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get("/static/style.css", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


def test_if_modified_since(app: Flask, root: Path) -> None:
    client = app.test_client()
    last_modified = client.get("/static/style.css").headers["Last-Modified"]
    fresh = client.get(
        "/static/style.css", headers={"If-Modified-Since": last_modified}
    )
    assert fresh.status_code == 304
    old = http_date(datetime(2000, 1, 1, tzinfo=timezone.utc))
    stale = client.get("/static/style.css", headers={"If-Modified-Since": old})
    assert stale.status_code == 200
    assert stale.data == STYLE


def test_etag_and_last_modified_options(app: Flask) -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    response = sent(
        app, io.BytesIO(b"x"), mimetype="text/plain", etag="v1", last_modified=when
    )
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Last-Modified"] == http_date(when)


def test_etag_can_be_turned_off(app: Flask) -> None:
    assert "ETag" not in sent(app, "static/style.css", etag=False).headers


@pytest.mark.parametrize(
    ("header", "status", "body", "content_range"),
    [
        ("bytes=0-3", 206, STYLE[:4], f"bytes 0-3/{len(STYLE)}"),
        (
            "bytes=-5",
            206,
            STYLE[-5:],
            f"bytes {len(STYLE) - 5}-{len(STYLE) - 1}/{len(STYLE)}",
        ),
        ("bytes=5-", 206, STYLE[5:], f"bytes 5-{len(STYLE) - 1}/{len(STYLE)}"),
        ("bytes=1000-2000", 416, None, f"bytes */{len(STYLE)}"),
    ],
)
def test_ranges(
    app: Flask, header: str, status: int, body: bytes | None, content_range: str
) -> None:
    response = app.test_client().get("/static/style.css", headers={"Range": header})
    assert response.status_code == status
    assert response.headers["Content-Range"] == content_range
    if body is not None:
        assert response.data == body
        assert response.content_length == len(body)


def test_malformed_range_is_416(app: Flask) -> None:
    response = app.test_client().get("/static/style.css", headers={"Range": "bytes=z-"})
    assert response.status_code == 416
    assert STYLE not in response.data


def test_range_of_a_bytesio(app: Flask) -> None:
    response = sent(
        app,
        io.BytesIO(b"0123456789"),
        mimetype="text/plain",
        headers={"Range": "bytes=2-4"},
    )
    assert response.status_code == 206
    assert response.data == b"234"


def test_unconditional_send_ignores_ranges_and_etags(app: Flask) -> None:
    response = sent(
        app, "static/style.css", conditional=False, headers={"Range": "bytes=0-1"}
    )
    assert response.status_code == 200
    assert response.data == STYLE


# --- caching ---------------------------------------------------------------


def test_default_is_no_cache(app: Flask) -> None:
    assert (
        app.test_client().get("/static/style.css").headers["Cache-Control"]
        == "no-cache"
    )


@pytest.mark.parametrize("value", [3600, timedelta(hours=1)])
def test_send_file_max_age_default(app: Flask, value: t.Any) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = value
    assert sent(app, "static/style.css").cache_control.max_age == 3600
    response = app.test_client().get("/static/style.css")
    assert response.cache_control.max_age == 3600
    assert response.cache_control.public is True
    assert response.expires is not None


def test_get_send_file_max_age_can_be_overridden(root: Path) -> None:
    class CachingApp(Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 60 if filename and filename.endswith(".css") else None

    app = CachingApp("caching", root_path=str(root))
    client = app.test_client()
    assert client.get("/static/style.css").cache_control.max_age == 60
    (root / "static" / "app.js").write_bytes(b"go()")
    assert client.get("/static/app.js").cache_control.max_age is None


def test_max_age_argument(app: Flask) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    assert sent(app, "static/style.css", max_age=10).cache_control.max_age == 10


# --- streaming ------------------------------------------------------------------------


class RecordingFile(io.BytesIO):
    """A file object that remembers how much each read() asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def test_file_object_is_read_in_bounded_chunks(app: Flask) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    f = RecordingFile(data)
    app.get("/big")(lambda: send_file(f, mimetype="application/octet-stream"))
    body = app(EnvironBuilder("/big").get_environ(), lambda status, headers: None)
    assert f.reads == []  # nothing is read before the server asks for the body
    chunks = list(body)
    assert b"".join(chunks) == data
    assert len(chunks) > 1
    assert all(0 < size <= 64 * 1024 for size in f.reads)
    assert max(len(chunk) for chunk in chunks) <= 64 * 1024
    body.close()  # type: ignore[attr-defined]
    assert f.closed


def test_file_path_is_streamed_in_bounded_chunks(app: Flask, root: Path) -> None:
    data = b"x" * (3 * 1024 * 1024)
    (root / "static" / "big.bin").write_bytes(data)
    response = app.test_client().get("/static/big.bin", buffered=False)
    assert response.content_length == len(data)
    assert not isinstance(response.response, (list, bytes))
    total = 0
    for chunk in response.response:
        assert len(chunk) <= 64 * 1024
        total += len(chunk)
    assert total == len(data)
    response.close()


def test_a_relative_directory_is_the_apps_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The working directory has a folder of the same name with another file:
    # the second request (the remembered file) must not send that one.
    for name, text in (("app", b"the app's\n"), ("cwd", b"the working directory's\n")):
        (tmp_path / name / "uploads").mkdir(parents=True)
        (tmp_path / name / "uploads" / "x.txt").write_bytes(text)
    monkeypatch.chdir(tmp_path / "cwd")
    apps = [Flask(f"app{i}", root_path=str(tmp_path / "app")) for i in (1, 2)]
    apps[1].root_path = str(tmp_path / "cwd")  # a second app, same relative folder
    for app in apps:

        @app.route("/f/<name>")
        def sent(name: str) -> t.Any:
            return send_from_directory("uploads", name)

    answers = [
        app.test_client().get("/f/x.txt").data for _ in range(3) for app in apps
    ]
    assert answers == [b"the app's\n", b"the working directory's\n"] * 3


def test_send_from_directory_sends_as_the_app_whatever_is_passed(
    app: Flask, root: Path
) -> None:
    # As Flask's: the app's X-Sendfile setting, response class and root path,
    # not the caller's; and a call with them leaves nothing for a plain one.
    other = root / "other"
    (other / "static").mkdir(parents=True)
    (other / "static" / "style.css").write_bytes(b"another, longer stylesheet\n")
    passed = {
        "use_x_sendfile": {"use_x_sendfile": True},
        "root_path": {"_root_path": str(other)},
        "response_class": {"response_class": Response},
    }

    @app.route("/with/<name>")
    def with_(name: str) -> t.Any:
        return send_from_directory("static", "style.css", **passed[name])

    @app.route("/plain")
    def plain() -> t.Any:
        return send_from_directory("static", "style.css")

    client = app.test_client()
    for name in passed:
        for url in (f"/with/{name}", "/plain", "/plain"):
            response = client.get(url)
            assert response.data == STYLE, (name, url)
            assert "X-Sendfile" not in response.headers
            assert response.headers["Content-Length"] == str(len(STYLE))


# --- a remembered file, as werkzeug sends it again ------------------------------


class HSTSResponse(Response):
    """A response class whose __init__ adds a header, as apps do."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers.add("Strict-Transport-Security", "max-age=63072000")


def test_a_remembered_file_keeps_each_apps_response_class(root: Path) -> None:
    # Two apps of one factory (same root path), one adding a header in its
    # response class's __init__: as Flask's, the header once on the wire (the
    # test client's response, an app.response_class, adds it once more), and
    # never in the other app.
    def create_app(hsts: bool) -> Flask:
        app = Flask("static_app", root_path=str(root))
        if hsts:
            app.response_class = HSTSResponse
        return app

    public, internal = create_app(True).test_client(), create_app(False).test_client()
    counts = [
        len(client.get("/static/style.css").headers.getlist("Strict-Transport-Security"))
        for client in (public, internal, public, internal)
    ]
    assert counts == [2, 0, 2, 0]


def test_a_remembered_file_runs_init_for_each_request(app: Flask) -> None:
    # A header that the response class's __init__ takes from the request.
    class RequestIdResponse(Response):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            if has_request_context():
                request_id = request.headers.get("X-Request-Id", "")
                self.headers.add("X-Request-Id", request_id)

    app.response_class = RequestIdResponse
    client = app.test_client()
    ids = [
        client.get("/static/style.css", headers={"X-Request-Id": i}).headers.getlist(
            "X-Request-Id"
        )
        for i in ("1", "2", "3")
    ]
    # (the test client's response, an app.response_class outside the request,
    # adds none)
    assert ids == [["1"], ["2"], ["3"]]


def test_a_remembered_file_with_an_init_patched_since(app: Flask) -> None:
    # An __init__ set on the class after the file was remembered sees what
    # werkzeug gives it, as in Flask: the headers made before the response.
    class Patched(Response):
        pass

    app.response_class = Patched
    client = app.test_client()
    for _ in range(2):  # (sent, then remembered)
        assert client.get("/static/style.css").data == STYLE

    def init(self: Response, *args: t.Any, **kwargs: t.Any) -> None:
        Response.__init__(self, *args, **kwargs)
        self.headers.add("X-Init", ",".join(self.headers.keys()))

    Patched.__init__ = init  # type: ignore[method-assign]
    for _ in range(2):
        seen = client.get("/static/style.css").headers.getlist("X-Init")[0]
        assert seen == "Content-Disposition,Content-Type"


def test_a_remembered_file_is_not_another_response_classs(root: Path) -> None:
    # Two apps of one root path whose response classes make other headers
    # for the same file (here a weak ETag): each gets its own.
    class WeakETagResponse(Response):
        def set_etag(self, etag: str, weak: bool = False) -> None:
            super().set_etag(etag, weak=True)

    weak, strong = Flask("static_app", root_path=str(root)), Flask(
        "static_app", root_path=str(root)
    )
    weak.response_class = WeakETagResponse
    etags = [
        app.test_client().get("/static/style.css").headers["ETag"][:2]
        for app in (weak, strong, weak, strong)
    ]
    assert [etag == "W/" for etag in etags] == [True, False, True, False]


def test_a_remembered_file_follows_mimetypes_add_type(app: Flask, root: Path) -> None:
    (root / "static" / "data.kolbacachefix").write_bytes(b"x")
    client = app.test_client()
    for _ in range(2):
        response = client.get("/static/data.kolbacachefix")
        assert response.content_type == "application/octet-stream"
    mimetypes.add_type("text/x-kolba-cachefix", ".kolbacachefix")
    try:
        for _ in range(2):
            response = client.get("/static/data.kolbacachefix")
            assert response.content_type == "text/x-kolba-cachefix; charset=utf-8"
    finally:
        del mimetypes.types_map[".kolbacachefix"]
    assert client.get("/static/data.kolbacachefix").content_type == (
        "application/octet-stream"
    )


def test_only_a_plainly_written_path_is_remembered(app: Flask) -> None:
    # Each spelling of one file (/static/./././style.css) was one more
    # remembered entry, as long as the URL: 1000 of 200 kB pinned 200 MB.
    from kolba import helpers

    helpers._STATIC.clear()
    client = app.test_client()
    for dots in range(1, 6):
        response = client.get("/static/" + "./" * dots + "style.css")
        assert (response.status_code, response.data) == (200, STYLE)
        response.close()
    assert not helpers._STATIC
    for _ in range(2):
        response = client.get("/static/style.css")
        assert response.data == STYLE
        response.close()
    assert [key[2] for key in helpers._STATIC] == ["style.css"]


def test_a_file_replaced_while_it_is_sent_is_not_remembered_so(root: Path) -> None:
    # A deploy replaces the file between werkzeug's read of it and kolba's
    # remembering it: the next answers are the new file's, length and all
    # (the old file's headers were kept, with the new file's body).
    target = root / "static" / "deployed.txt"
    target.write_bytes(b"old version " * 1000)
    deployed: list[int] = []

    class DeployingResponse(Response):
        def set_etag(self, *args: t.Any, **kwargs: t.Any) -> None:
            if not deployed:  # (werkzeug has read the file: the deploy lands)
                deployed.append(1)
                replacement = target.with_suffix(".tmp")
                replacement.write_bytes(b"new\n")
                replacement.replace(target)
            super().set_etag(*args, **kwargs)

    app = Flask("deploy", root_path=str(root))
    app.response_class = DeployingResponse
    client = app.test_client()
    assert len(client.get("/static/deployed.txt").data) == 12000
    for _ in range(2):
        response = client.get("/static/deployed.txt")
        assert (response.data, response.headers["Content-Length"]) == (b"new\n", "4")
