"""File uploads: ``request.files``, FileStorage, and bounded multipart parsing."""

from __future__ import annotations

import io
import typing as t
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder
from werkzeug.utils import secure_filename

from kolba import Flask, request
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

RunWSGI = t.Callable[..., tuple[int, list[tuple[str, str]], bytes]]


def upload(name: str, data: bytes, content_type: str | None = None) -> tuple:
    return (
        (io.BytesIO(data), name, content_type)
        if content_type
        else (io.BytesIO(data), name)
    )


# --- the seed's samples --------------------------------------------------------------


def test_seed_upload_sample(app: Flask, client: KolbaClient, tmp_path: Path) -> None:
    uploads = str(tmp_path)

    @app.route("/upload", methods=["GET", "POST"])
    def upload_file() -> str:
        if request.method == "POST":
            f = request.files["the_file"]
            f.save(uploads + "/uploaded_file.txt")
        return (
            "<form method=post enctype=multipart/form-data>"
            "<input type=file name=the_file>"
        )

    assert "multipart/form-data" in client.get("/upload").text
    response = client.post("/upload", data={"the_file": upload("notes.txt", b"hello")})
    assert response.status_code == 200
    assert (tmp_path / "uploaded_file.txt").read_bytes() == b"hello"


def test_seed_secure_filename_sample(
    app: Flask, client: KolbaClient, tmp_path: Path
) -> None:
    uploads = str(tmp_path / "uploads")
    Path(uploads).mkdir()

    @app.route("/upload", methods=["GET", "POST"])
    def upload_file() -> str:
        if request.method == "POST":
            f = request.files["the_file"]
            f.save(uploads + "/" + secure_filename(f.filename))
        return "ok"

    client.post("/upload", data={"the_file": upload("my report.txt", b"one")})
    client.post("/upload", data={"the_file": upload("../../evil.sh", b"two")})
    assert sorted(p.name for p in Path(uploads).iterdir()) == [
        "evil.sh",
        "my_report.txt",
    ]
    assert not (tmp_path / "evil.sh").exists()
    assert (Path(uploads) / "evil.sh").read_bytes() == b"two"


def test_a_missing_file_field_is_400(app: Flask, client: KolbaClient) -> None:
    app.post("/upload")(lambda: request.files["the_file"].filename)
    assert client.post("/upload", data={"other": "x"}).status_code == 400


# --- FileStorage -------------------------------------------------------------------


def test_file_storage_attributes(app: Flask, client: KolbaClient) -> None:
    seen: dict[str, t.Any] = {}

    @app.post("/upload")
    def view() -> str:
        f = request.files["doc"]
        seen.update(
            type=type(f),
            name=f.name,
            filename=f.filename,
            content_type=f.content_type,
            mimetype=f.mimetype,
            first=f.read(5),
            rest=f.stream.read(),
            form=request.form.to_dict(),
        )
        return "ok"

    client.post(
        "/upload",
        data={"doc": upload("отчёт.csv", b"a,b\n1,2\n", "text/csv"), "title": "Q1"},
    )
    assert seen == {
        "type": FileStorage,
        "name": "doc",
        "filename": "отчёт.csv",
        "content_type": "text/csv",
        "mimetype": "text/csv",
        "first": b"a,b\n1",
        "rest": b",2\n",
        "form": {"title": "Q1"},
    }


def test_save_to_a_file_object(app: Flask, client: KolbaClient) -> None:
    target = io.BytesIO()

    @app.post("/upload")
    def view() -> str:
        request.files["f"].save(target)
        return "ok"

    client.post("/upload", data={"f": upload("a.bin", b"\x00\x01" * 1000)})
    assert target.getvalue() == b"\x00\x01" * 1000


def test_several_files_under_one_name(app: Flask, client: KolbaClient) -> None:
    @app.post("/upload")
    def view() -> dict[str, t.Any]:
        files = request.files.getlist("photos")
        return {
            "names": [f.filename for f in files],
            "data": [f.read().decode() for f in files],
        }

    response = client.post(
        "/upload", data={"photos": [upload("a.png", b"A"), upload("b.png", b"B")]}
    )
    assert response.json == {"names": ["a.png", "b.png"], "data": ["A", "B"]}


def test_no_files_without_multipart(app: Flask, client: KolbaClient) -> None:
    app.route("/upload", methods=["GET", "POST"])(
        lambda: {"files": len(request.files), "form": request.form.to_dict()}
    )
    assert client.get("/upload").json == {"files": 0, "form": {}}
    assert client.post("/upload", data={"a": "1"}).json == {
        "files": 0,
        "form": {"a": "1"},
    }


def test_large_uploads_are_spooled_to_disk_and_closed_after_the_request(
    app: Flask, client: KolbaClient
) -> None:
    streams: dict[str, t.Any] = {}

    @app.post("/upload")
    def view() -> str:
        for name, f in request.files.items():
            streams[name] = f.stream
        # SpooledTemporaryFile: in memory until it grows, then a temporary file
        return f"{streams['small']._rolled} {streams['big']._rolled}"

    big = b"x" * (2 * 1024 * 1024)
    response = client.post(
        "/upload", data={"small": upload("s.txt", b"tiny"), "big": upload("b.bin", big)}
    )
    assert response.text == "False True"
    assert streams["small"].closed
    assert streams["big"].closed


# --- limits ------------------------------------------------------------------


def form_view(app: Flask) -> None:
    app.post("/form")(
        lambda: {"form": request.form.to_dict(), "files": len(request.files)}
    )


def test_max_content_length_is_413(app: Flask, client: KolbaClient) -> None:
    form_view(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = client.post("/form", data={"f": upload("a.bin", b"x" * 2048)})
    assert big.status_code == 413
    small = client.post("/form", data={"f": upload("a.bin", b"x" * 100)})
    assert small.status_code == 200


def test_max_content_length_without_a_content_length_header(
    app: Flask, run_wsgi: RunWSGI
) -> None:
    """A chunked body has no Content-Length: the limit applies while reading."""
    form_view(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    environ = EnvironBuilder(
        "/form", method="POST", data={"f": upload("a.bin", b"x" * 4096)}
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    status, _, _ = run_wsgi(app, environ)
    assert status == 413


def test_max_form_memory_size_is_413_for_a_large_field(
    app: Flask, client: KolbaClient
) -> None:
    form_view(app)
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    text = "x" * 200_000
    field = client.post("/form", data={"t": text}, content_type="multipart/form-data")
    assert field.status_code == 413
    assert client.post("/form", data={"t": text}).status_code == 413  # urlencoded
    big_file = client.post("/form", data={"f": upload("a.bin", b"x" * 1_000_000)})
    assert big_file.json == {"form": {}, "files": 1}


@pytest.mark.parametrize("length", [90_000, 100_001, None])
def test_an_urlencoded_body_is_bounded_by_max_form_memory_size(
    app: Flask, client: KolbaClient, length: int | None
) -> None:
    """Also without a Content-Length (a chunked body the server terminated)."""
    form_view(app)
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    body = b"t=" + b"x" * (length or 200_000)
    rv = client.post(
        "/form",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        content_length=length and len(body),
        environ_overrides={"wsgi.input_terminated": length is None},
    )
    assert rv.status_code == (200 if length == 90_000 else 413)


def test_files_of_a_body_cut_by_the_limit_are_closed(
    app: Flask, run_wsgi: RunWSGI
) -> None:
    """A chunked upload stopped half-way by MAX_CONTENT_LENGTH: the file that
    was being written is closed with the 413, not left to the collector."""
    streams: list[t.IO[bytes]] = []

    class Recording(app.request_class):  # type: ignore[name-defined,misc]
        def _get_file_stream(self, *args: t.Any, **kwargs: t.Any) -> t.IO[bytes]:
            streams.append(super()._get_file_stream(*args, **kwargs))
            return streams[-1]

    app.request_class = Recording
    form_view(app)
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    environ = EnvironBuilder(
        "/form", method="POST", data={"f": upload("a.bin", b"x" * 400_000)}
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    status, _, _ = run_wsgi(app, environ)
    environ["wsgi.input"].close()
    assert status == 413
    assert len(streams) == 1
    assert streams[0].closed


def test_max_form_memory_size_default_is_500_kb(
    app: Flask, client: KolbaClient
) -> None:
    form_view(app)
    multipart = "multipart/form-data"
    assert (
        client.post(
            "/form", data={"t": "x" * 400_000}, content_type=multipart
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/form", data={"t": "x" * 600_000}, content_type=multipart
        ).status_code
        == 413
    )


def test_max_form_parts_is_413(app: Flask, client: KolbaClient) -> None:
    form_view(app)
    app.config["MAX_FORM_PARTS"] = 5
    fields = {f"f{i}": "v" for i in range(10)}
    response = client.post("/form", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
    few = {f"f{i}": "v" for i in range(2)}
    assert (
        client.post("/form", data=few, content_type="multipart/form-data").status_code
        == 200
    )


def test_limits_can_be_set_per_request(app: Flask, client: KolbaClient) -> None:
    @app.post("/form")
    def view() -> str:
        request.max_content_length = 10
        return request.form.get("a", "")

    assert client.post("/form", data={"a": "x" * 100}).status_code == 413


def test_a_request_that_does_not_read_the_body_ignores_the_limits(
    app: Flask, client: KolbaClient
) -> None:
    app.post("/ping")(lambda: "pong")
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/ping", data={"f": upload("a.bin", b"x" * 100)}).text == "pong"


# --- malformed bodies --------------------------------------------------------

PART = b'--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n'


def raw_post(body: bytes, content_type: str, **environ: t.Any) -> dict[str, t.Any]:
    env = EnvironBuilder("/form", method="POST").get_environ()
    env.update(
        {
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    env.update(environ)
    return env


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (PART, "multipart/form-data; boundary=xx"),  # no closing boundary
        (PART[:30], "multipart/form-data; boundary=xx"),  # cut inside the headers
        (PART + b"--xx--\r\n", "multipart/form-data; boundary=yy"),  # wrong boundary
        (PART + b"--xx--\r\n", "multipart/form-data"),  # no boundary
        (PART + b"--xx--\r\n", "multipart/form-data; boundary="),
        (PART + b"--xx--\r\n", 'multipart/form-data; boundary="' + "x" * 300 + '"'),
        (b"garbage without any boundary", "multipart/form-data; boundary=xx"),
        (
            b"--xx\r\nno colon header\r\n\r\nv\r\n--xx--\r\n",
            "multipart/form-data; boundary=xx",
        ),
        (b"--xx\r\n\r\nno headers\r\n--xx--\r\n", "multipart/form-data; boundary=xx"),
        (b"\xff\xfe" * 100, "multipart/form-data; boundary=xx"),
        (b"", "multipart/form-data; boundary=xx"),
    ],
)
def test_malformed_multipart_is_400_or_empty(
    app: Flask, run_wsgi: RunWSGI, body: bytes, content_type: str
) -> None:
    form_view(app)
    status, _, response = run_wsgi(app, raw_post(body, content_type))
    assert status in {200, 400}
    if status == 200:
        assert response == b'{"files":0,"form":{}}\n'


def test_a_well_formed_raw_body_parses(app: Flask, run_wsgi: RunWSGI) -> None:
    form_view(app)
    body = PART + b"--xx--\r\n"
    status, _, response = run_wsgi(
        app, raw_post(body, "multipart/form-data; boundary=xx")
    )
    assert (status, response) == (200, b'{"files":0,"form":{"a":"hello"}}\n')


def test_body_shorter_than_its_content_length_is_400(
    app: Flask, run_wsgi: RunWSGI
) -> None:
    form_view(app)
    body = PART + b"--xx--\r\n"
    environ = raw_post(
        body, "multipart/form-data; boundary=xx", CONTENT_LENGTH="100000"
    )
    status, _, _ = run_wsgi(app, environ)
    assert status == 400


@pytest.mark.parametrize("length", ["abc", "-5", ""])
def test_bad_content_length_is_not_a_500(
    app: Flask, run_wsgi: RunWSGI, length: str
) -> None:
    form_view(app)
    body = PART + b"--xx--\r\n"
    environ = raw_post(body, "multipart/form-data; boundary=xx", CONTENT_LENGTH=length)
    status, _, _ = run_wsgi(app, environ)
    assert status in {200, 400}


class Endless(io.RawIOBase):
    """A client that keeps sending one form field forever."""

    def __init__(self) -> None:
        self.head = b'--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\n'

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        data, self.head = self.head or b"x" * len(buffer), b""
        data = data[: len(buffer)]
        buffer[: len(data)] = data
        return len(data)


def test_endless_field_stops_at_the_memory_limit(app: Flask, run_wsgi: RunWSGI) -> None:
    form_view(app)
    environ = raw_post(b"", "multipart/form-data; boundary=xx")
    del environ["CONTENT_LENGTH"]
    environ.update({"wsgi.input": Endless(), "wsgi.input_terminated": True})
    status, _, _ = run_wsgi(app, environ)
    assert status == 413


def test_endless_body_stops_at_max_content_length(
    app: Flask, run_wsgi: RunWSGI
) -> None:
    form_view(app)
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, MAX_FORM_MEMORY_SIZE=None)
    environ = raw_post(b"", "multipart/form-data; boundary=xx")
    del environ["CONTENT_LENGTH"]
    environ.update({"wsgi.input": Endless(), "wsgi.input_terminated": True})
    status, _, _ = run_wsgi(app, environ)
    assert status == 413
