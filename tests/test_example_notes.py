"""The notes example (examples/notes): accounts, notes with attachments, a
JSON API, CSRF-protected forms and a SQLite database in the instance folder."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from werkzeug.security import check_password_hash, generate_password_hash

from kolba import Flask
from kolba.testing import KolbaClient

PASSWORD = "correct horse"


@pytest.fixture
def make_notes_app(
    notes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Flask]:
    """``create_app()`` of the example, its instance folder in tmp_path."""
    monkeypatch.syspath_prepend(str(notes_dir))
    for name in ("NOTES_SECRET_KEY", "NOTES_INSTANCE_PATH", "NOTES_PROXY_FIX"):
        monkeypatch.delenv(name, raising=False)
    from notes import create_app

    def make(**config: Any) -> Flask:
        return create_app(
            {"TESTING": True, **config}, instance_path=str(tmp_path / "instance")
        )

    return make


@pytest.fixture
def notes_app(make_notes_app: Callable[..., Flask]) -> Flask:
    return make_notes_app()


@pytest.fixture
def notes_client(notes_app: Flask) -> KolbaClient:
    return notes_app.test_client()


@pytest.fixture
def post_form(csrf_token_in: Callable[[str], str]) -> Callable[..., Any]:
    """POST a form as a browser would: with the token of the page it is on."""

    def post(client: KolbaClient, url: str, data: dict[str, Any], page: str = "/"):
        token = csrf_token_in(client.get(page).text)
        return client.post(url, data={**data, "csrf_token": token})

    return post


@pytest.fixture
def register(post_form: Callable[..., Any]) -> Callable[..., Any]:
    def register(client: KolbaClient, username: str, password: str = PASSWORD):
        return post_form(
            client,
            "/auth/register",
            {"username": username, "password": password},
            page="/auth/register",
        )

    return register


@pytest.fixture
def login(post_form: Callable[..., Any]) -> Callable[..., Any]:
    def login(client: KolbaClient, username: str, password: str = PASSWORD, url=None):
        return post_form(
            client,
            url or "/auth/login",
            {"username": username, "password": password},
            page="/auth/login",
        )

    return login


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once for all fixture users: hashing is slow on purpose."""
    return generate_password_hash(PASSWORD)


@pytest.fixture
def add_user(notes_app: Flask, password_hash: str) -> Callable[[str], int]:
    """Puts user ``name`` with PASSWORD in the database; returns the id."""

    def add(name: str) -> int:
        with closing(sqlite3.connect(notes_app.config["DATABASE"])) as db, db:
            cursor = db.execute(
                "INSERT INTO user (username, password) VALUES (?, ?)",
                (name, password_hash),
            )
        return int(cursor.lastrowid or 0)

    return add


@pytest.fixture
def user(notes_app: Flask, add_user) -> Callable[[str], KolbaClient]:
    """A client logged in as a new user ``name`` (registering and logging in
    through the forms are tested on their own)."""

    def user(name: str) -> KolbaClient:
        user_id = add_user(name)
        client = notes_app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = user_id
        return client

    return user


def add_note(post_form, client: KolbaClient, title: str, **extra: Any):
    return post_form(client, "/notes", {"title": title, "body": "text", **extra})


def note_ids(notes_app: Flask) -> list[int]:
    with closing(sqlite3.connect(notes_app.config["DATABASE"])) as db, db:
        return [row[0] for row in db.execute("SELECT id FROM note ORDER BY id")]


def test_first_run_creates_the_database_and_key_in_the_instance_folder(
    make_notes_app, tmp_path
):
    instance = tmp_path / "instance"
    assert not instance.exists()
    app = make_notes_app()
    assert app.instance_path == str(instance)
    assert app.config["DATABASE"] == str(instance / "notes.sqlite")
    with closing(sqlite3.connect(instance / "notes.sqlite")) as db, db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"user", "note"} <= tables
    key = (instance / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == key
    assert len(key) == 64
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


def test_sessions_survive_a_restart(make_notes_app, add_user, login):
    client = make_notes_app().test_client()
    add_user("ann")
    login(client, "ann")
    cookie = client.get_cookie("session")
    assert cookie is not None
    restarted = make_notes_app().test_client()
    restarted.set_cookie("session", cookie.value)
    assert "Your notes" in restarted.get("/").text


def test_restart_keeps_existing_data(make_notes_app, add_user, login):
    add_user("ann")
    assert login(make_notes_app().test_client(), "ann").status_code == 302


def test_secret_key_from_the_environment(make_notes_app, monkeypatch, tmp_path):
    monkeypatch.setenv("NOTES_SECRET_KEY", "from-the-env")
    assert make_notes_app().config["SECRET_KEY"] == "from-the-env"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_home_page_invites_anonymous_visitors(notes_client):
    page = notes_client.get("/").text
    assert "<h1>Welcome</h1>" in page
    assert 'href="/auth/register"' in page
    assert 'href="/static/style.css"' in page


def test_static_css_is_served(notes_client, notes_dir):
    response = notes_client.get("/static/style.css")
    assert response.mimetype == "text/css"
    assert response.data == (notes_dir / "notes" / "static" / "style.css").read_bytes()
    response.close()


def test_register_stores_a_password_hash(notes_client, notes_app, register):
    response = register(notes_client, "ann")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    with closing(sqlite3.connect(notes_app.config["DATABASE"])) as db, db:
        (stored,) = db.execute("SELECT password FROM user").fetchone()
    assert PASSWORD not in stored
    assert check_password_hash(stored, PASSWORD)
    page = notes_client.get("/auth/login").text
    assert (
        '<p class="flash success" role="status">Registered. Please log in.</p>' in page
    )


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", PASSWORD, "A username of 1 to 40 characters is required."),
        ("x" * 41, PASSWORD, "A username of 1 to 40 characters is required."),
        ("ann", "short", "The password needs 8 to 200 characters."),
        ("ann", "p" * 201, "The password needs 8 to 200 characters."),
    ],
)
def test_register_rejects_bad_input(
    notes_client, register, username, password, message
):
    response = register(notes_client, username, password)
    assert response.status_code == 400
    assert message in response.text


def test_register_rejects_a_taken_username(notes_client, register, add_user):
    add_user("ann")
    response = register(notes_client, "ann")
    assert response.status_code == 400
    assert "The username ann is already taken." in response.text


def test_login_and_logout(notes_client, add_user, login, post_form):
    add_user("ann")
    response = login(notes_client, "ann")
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    page = notes_client.get("/").text
    assert "Welcome, ann!" in page
    assert "<span>ann</span>" in page
    assert "Welcome, ann!" not in notes_client.get("/").text  # flashed once
    post_form(notes_client, "/auth/logout", {})
    assert "<h1>Welcome</h1>" in notes_client.get("/").text


@pytest.mark.parametrize("username", ["ann", "nobody"])
def test_wrong_password_or_user_does_not_log_in(
    notes_client, add_user, login, username
):
    add_user("ann")
    response = login(notes_client, username, "wrong password")
    assert response.status_code == 401
    assert "Incorrect username or password." in response.text
    assert "<h1>Welcome</h1>" in notes_client.get("/").text


def test_login_returns_to_the_page_asked_for_but_only_on_this_site(
    notes_client, add_user, login
):
    add_user("ann")
    asked = notes_client.get("/notes/1")
    assert asked.headers["Location"] == "/auth/login?next=/notes/1"
    assert "Please log in first." in notes_client.get("/auth/login").text
    response = login(notes_client, "ann", url="/auth/login?next=/notes/1")
    assert response.headers["Location"] == "/notes/1"
    for target in ("//evil.example", "/\\evil.example", "https://evil.example/"):
        response = login(notes_client, "ann", url=f"/auth/login?next={target}")
        assert response.headers["Location"] == "/"


def test_forms_without_the_session_token_are_refused(notes_app, register):
    client = notes_app.test_client()
    data = {"username": "ann", "password": PASSWORD}
    assert client.post("/auth/register", data=data).status_code == 400
    other = notes_app.test_client()
    other.get("/auth/register")
    forged = {**data, "csrf_token": "not-the-token"}
    assert other.post("/auth/register", data=forged).status_code == 400
    assert register(client, "ann").status_code == 302


def test_create_and_list_notes(user, post_form):
    ann = user("ann")
    response = add_note(post_form, ann, "<Shopping>", body="milk\neggs")
    assert response.status_code == 302
    page = ann.get("/").text
    assert "Saved “&lt;Shopping&gt;”." in page
    assert '">&lt;Shopping&gt;</a></h2>' in page
    assert "milk\neggs" in page


def test_note_needs_a_title(user, post_form):
    response = add_note(post_form, user("ann"), "   ")
    assert response.status_code == 400
    assert "A title of 1 to 200 characters is required." in response.text


def test_anonymous_users_cannot_add_notes(notes_client, post_form, notes_app):
    response = post_form(notes_client, "/notes", {"title": "x"}, page="/auth/login")
    assert response.headers["Location"] == "/auth/login?next=/notes"
    assert note_ids(notes_app) == []


def test_delete_own_note(user, post_form, notes_app):
    ann = user("ann")
    add_note(post_form, ann, "Old")
    (note_id,) = note_ids(notes_app)
    response = post_form(ann, f"/notes/{note_id}/delete", {})
    assert response.status_code == 302
    assert note_ids(notes_app) == []
    assert "No notes yet." in ann.get("/").text


def test_users_see_and_delete_only_their_own_notes(user, post_form, notes_app):
    ann, bob = user("ann"), user("bob")
    add_note(post_form, ann, "Ann's secret", attachment=(io.BytesIO(b"s"), "s.txt"))
    (note_id,) = note_ids(notes_app)
    assert "Ann&#39;s secret" not in bob.get("/").text
    assert post_form(bob, f"/notes/{note_id}/delete", {}).status_code == 404
    assert bob.get(f"/notes/{note_id}/attachment").status_code == 404
    assert bob.get(f"/api/notes/{note_id}").status_code == 404
    assert note_ids(notes_app) == [note_id]
    huge = 10**30  # past SQLite's integers: no note, not a 500
    assert bob.get(f"/notes/{huge}/attachment").status_code == 404
    assert bob.get(f"/api/notes/{huge}").status_code == 404
    assert post_form(bob, f"/notes/{huge}/delete", {}).status_code == 404


@pytest.mark.parametrize(
    ("sent", "shown", "disposition"),
    [
        (
            "../../My Report.pdf",
            "My Report.pdf",
            'attachment; filename="My Report.pdf"',
        ),
        (
            "заметка.txt",
            "заметка.txt",
            "attachment; filename=.txt;"
            " filename*=UTF-8''%D0%B7%D0%B0%D0%BC%D0%B5%D1%82%D0%BA%D0%B0.txt",
        ),
        (
            "/home/ann/日記\x07.md",
            "日記.md",
            "attachment; filename=.md; filename*=UTF-8''%E6%97%A5%E8%A8%98.md",
        ),
    ],
)
def test_attachment_upload_and_download(
    user, post_form, notes_app, tmp_path, sent, shown, disposition
):
    """The name the user gave (any script) is shown and downloaded; on disk
    the file has a fixed, safe name in the note's folder."""
    ann = user("ann")
    add_note(post_form, ann, "Report", attachment=(io.BytesIO(b"%PDF-1.4"), sent))
    (note_id,) = note_ids(notes_app)
    folder = tmp_path / "instance" / "attachments" / str(note_id)
    assert [p.name for p in folder.iterdir()] == ["attachment"]
    assert (folder / "attachment").read_bytes() == b"%PDF-1.4"
    link = f'href="/notes/{note_id}/attachment">{escape(shown)}</a>'
    assert link in ann.get("/").text
    assert link in ann.get(f"/notes/{note_id}").text
    download = ann.get(f"/notes/{note_id}/attachment")
    assert download.status_code == 200
    assert download.data == b"%PDF-1.4"
    assert download.headers["Content-Disposition"] == disposition
    post_form(ann, f"/notes/{note_id}/delete", {})
    assert not folder.exists()


def test_a_long_attachment_name_is_cut_keeping_its_extension(user, post_form):
    ann = user("ann")
    add_note(post_form, ann, "x", attachment=(io.BytesIO(b"x"), "я" * 300 + ".txt"))
    (note,) = ann.get("/api/notes").json
    download = ann.get(note["attachment"])
    assert download.headers["Content-Disposition"].endswith("%8F.txt")
    assert "я" * 196 + ".txt" in ann.get("/").text


def test_attachment_with_an_unusable_name_is_refused(user, post_form, notes_app):
    response = add_note(
        post_form, user("ann"), "x", attachment=(io.BytesIO(b"x"), "..")
    )
    assert response.status_code == 400
    assert "The attachment&#39;s file name cannot be used" in response.text
    assert note_ids(notes_app) == []


def test_attachment_size_is_limited(make_notes_app, user, post_form):
    ann = user("ann")
    too_big = (io.BytesIO(b"x" * (2 * 1024 * 1024 + 1)), "big.bin")
    assert add_note(post_form, ann, "big", attachment=too_big).status_code == 413


def test_note_without_attachment_has_no_download(user, post_form, notes_app):
    ann = user("ann")
    add_note(post_form, ann, "plain")
    (note_id,) = note_ids(notes_app)
    assert ann.get(f"/notes/{note_id}/attachment").status_code == 404


def test_api_needs_a_login(notes_client):
    for response in (
        notes_client.get("/api/notes"),
        notes_client.post("/api/notes", json={"title": "x"}),
    ):
        assert response.status_code == 401
        assert response.json == {
            "error": "Log in first: HTTP Basic (curl -u) or a token."
        }
        assert response.headers["WWW-Authenticate"] == 'Basic realm="notes"'


def test_api_creates_and_lists_notes(user):
    ann = user("ann")
    created = ann.post("/api/notes", json={"title": "From the API", "body": "hi"})
    assert created.status_code == 201
    note = created.json
    assert created.headers["Location"] == f"/api/notes/{note['id']}"
    assert (note["title"], note["body"], note["attachment"]) == (
        "From the API",
        "hi",
        None,
    )
    assert note["url"] == f"http://localhost/api/notes/{note['id']}"
    assert note["created"].endswith("Z")
    assert ann.get("/api/notes").json == [note]
    assert ann.get(f"/api/notes/{note['id']}").json == note
    assert user("bob").get("/api/notes").json == []


def test_api_shows_attachment_links(user, post_form):
    ann = user("ann")
    add_note(post_form, ann, "with file", attachment=(io.BytesIO(b"x"), "a.txt"))
    (note,) = ann.get("/api/notes").json
    assert note["attachment"] == f"http://localhost/notes/{note['id']}/attachment"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": "title=x"}, "Send a JSON object"),
        ({"data": "{not json", "content_type": "application/json"}, "Send a JSON"),
        ({"json": ["title"]}, "Send a JSON object"),
        ({"json": {"title": 3}}, "'title' and 'body' must be strings."),
        ({"json": {"title": "x", "body": None}}, "'title' and 'body' must be strings."),
        ({"json": {"body": "no title"}}, "'title' and 'body' must be strings."),
        ({"json": {"title": ""}}, "A title of 1 to 200 characters is required."),
    ],
)
def test_api_rejects_bad_bodies_with_400(user, notes_app, kwargs, message):
    response = user("ann").post("/api/notes", **kwargs)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert note_ids(notes_app) == []


def test_api_errors_are_json(user):
    ann = user("ann")
    missing = ann.get("/api/notes/999")
    assert missing.status_code == 404
    assert missing.json["error"]
    assert ann.delete("/api/notes").status_code == 405


def test_custom_404_page(notes_client):
    response = notes_client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>Not Found</h1>" in response.text
    assert "Nothing lives at this address." in response.text
    assert 'href="/static/style.css"' in response.text  # uses the base layout


def test_proxy_fix_makes_external_urls_https(make_notes_app, add_user, login):
    client = make_notes_app(PROXY_FIX=True).test_client()
    add_user("ann")
    login(client, "ann")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "notes.example"}
    note = client.post("/api/notes", json={"title": "t"}, headers=headers).json
    assert note["url"] == f"https://notes.example/api/notes/{note['id']}"


# --- what a user meets: forms, error pages, confirmation, the API by hand ---


def test_a_validation_error_keeps_what_was_typed(user, post_form, notes_app):
    ann = user("ann")
    text = "line one\n<b>line two</b>"
    response = add_note(post_form, ann, "t" * 201, body=text)
    assert response.status_code == 400
    page = response.text
    assert "A title of 1 to 200 characters is required." in page
    assert f'value="{"t" * 201}"' in page
    assert f">{escape(text)}</textarea>" in page
    assert note_ids(notes_app) == []
    assert 'value=""' in ann.get("/").text.split('name="title"')[1][:60]  # fresh


def test_inputs_carry_their_limits(user, notes_client):
    page = user("ann").get("/").text
    assert 'name="title" maxlength="200"' in page
    assert 'name="body" rows="4" maxlength="20000"' in page
    assert "up to 2 MB" in page
    for url in ("/auth/register", "/auth/login"):
        page = notes_client.get(url).text
        assert 'name="username" maxlength="40"' in page
        assert 'maxlength="200"' in page.split('name="password"')[1][:80]


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/", "Welcome · Notes"),
        ("/auth/login", "Log in · Notes"),
        ("/auth/register", "Register · Notes"),
        ("/nowhere", "Not Found · Notes"),
    ],
)
def test_page_titles(notes_client, url, title):
    assert f"<title>{title}</title>" in notes_client.get(url).text


def test_flash_messages_come_below_the_heading(user, post_form):
    ann = user("ann")
    add_note(post_form, ann, "Saved one")
    page = ann.get("/").text
    assert page.index("<h1>Your notes</h1>") < page.index('class="flash success"')


def test_times_are_marked_utc_and_shown_in_the_readers_zone(user):
    ann = user("ann")
    note = ann.post("/api/notes", json={"title": "t"}).json
    page = ann.get(f"/notes/{note['id']}").text
    assert f'<time datetime="{note["created"]}">' in page
    assert f"{note['created'][:16].replace('T', ' ')} UTC</time>" in page
    assert "toLocaleString" in page  # the script that shows local time


def error_page_checks(response, code: int, heading: str, message: str) -> None:
    assert response.status_code == code
    page = response.text
    assert f"<h1>{heading}</h1>" in page
    assert message in page
    assert 'href="/static/style.css"' in page  # the app's layout
    assert '<a class="brand" href="/">Notes</a>' in page  # and its navigation


def test_stale_form_is_a_page_of_the_app(user):
    ann = user("ann")
    response = ann.post("/notes", data={"title": "x", "csrf_token": "stale"})
    error_page_checks(response, 400, "Bad Request", "The form has expired")


def test_not_found_and_wrong_method_are_pages_of_the_app(user):
    ann = user("ann")
    error_page_checks(ann.get("/notes/999"), 404, "Not Found", "Nothing lives")
    wrong = ann.put("/notes/1/delete")
    error_page_checks(wrong, 405, "Method Not Allowed", "does not take that kind")
    assert wrong.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_too_large_upload_is_a_page_that_says_the_limit(user, post_form):
    ann = user("ann")
    too_big = (io.BytesIO(b"x" * (2 * 1024 * 1024 + 1)), "big.bin")
    response = add_note(post_form, ann, "big", attachment=too_big)
    error_page_checks(response, 413, "Request Entity Too Large", "2 MB at most")


def test_api_errors_are_json_everywhere_under_api(user):
    ann = user("ann")
    for response, code in [
        (ann.get("/api/notes/999"), 404),
        (ann.get("/api/nowhere"), 404),
        (ann.delete("/api/notes"), 405),
        (ann.post("/api/notes", json="x" * (3 * 1024 * 1024)), 413),
    ]:
        assert (response.status_code, response.mimetype) == (code, "application/json")
        assert response.json["error"]
    assert ann.delete("/api/notes").headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_delete_asks_for_confirmation_first(user, post_form, notes_app):
    ann = user("ann")
    add_note(post_form, ann, "Keep?", attachment=(io.BytesIO(b"x"), "a.txt"))
    (note_id,) = note_ids(notes_app)
    assert f'href="/notes/{note_id}/delete">Delete</a>' in ann.get("/").text
    confirm = ann.get(f"/notes/{note_id}/delete")
    assert confirm.status_code == 200
    assert "<h1>Delete “Keep?”?</h1>" in confirm.text
    assert "and its attachment a.txt" in confirm.text
    assert f'href="/notes/{note_id}">Cancel</a>' in confirm.text
    assert note_ids(notes_app) == [note_id]  # asking deletes nothing
    response = post_form(ann, f"/notes/{note_id}/delete", {}, page=confirm.request.path)
    assert response.status_code == 302
    assert note_ids(notes_app) == []


def test_login_on_the_way_to_an_attachment_ends_on_the_notes_page(
    user, post_form, notes_app, login
):
    ann = user("ann")
    add_note(post_form, ann, "Report", attachment=(io.BytesIO(b"x"), "r.txt"))
    (note_id,) = note_ids(notes_app)
    visitor = notes_app.test_client()
    asked = visitor.get(f"/notes/{note_id}/attachment")
    assert asked.headers["Location"] == f"/auth/login?next=/notes/{note_id}"
    response = login(visitor, "ann", url=asked.headers["Location"])
    assert response.headers["Location"] == f"/notes/{note_id}"
    page = visitor.get(f"/notes/{note_id}").text
    assert "<title>Report · Notes</title>" in page
    assert f'href="/notes/{note_id}/attachment">r.txt</a>' in page


def test_api_with_basic_auth_and_tokens(notes_client, add_user):
    add_user("ann")
    basic = {
        "Authorization": "Basic "
        + base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
    }
    created = notes_client.post("/api/notes", json={"title": "cli"}, headers=basic)
    assert created.status_code == 201
    token = notes_client.post("/api/tokens", headers=basic).json["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert notes_client.get("/api/notes", headers=bearer).json == [created.json]
    assert notes_client.get_cookie("session") is None  # no session needed
    for headers, message in [
        (
            {"Authorization": "Basic " + base64.b64encode(b"ann:wrong").decode()},
            "Incorrect",
        ),
        ({"Authorization": "Bearer " + token[:-2]}, "The token is invalid"),
    ]:
        response = notes_client.get("/api/notes", headers=headers)
        assert response.status_code == 401
        assert response.json["error"].startswith(message)


def test_api_registers_users(notes_client, notes_app):
    new = {"username": "cli", "password": PASSWORD}
    assert notes_client.post("/api/users", json=new).status_code == 201
    assert notes_client.post("/api/users", json=new).json == {
        "error": "The username cli is already taken."
    }
    short = notes_client.post("/api/users", json={"username": "x", "password": "1"})
    assert short.status_code == 400
    assert notes_client.post("/api/users", json=["x"]).status_code == 400


def test_readme_curl_lines(notes_server, notes_dir):
    """The README's curl lines, run as written (with the server's address)
    by bash and the real curl against a real server."""
    readme = (notes_dir / "README.md").read_text()
    block = readme.split("test_readme_curl_lines -->\n```bash\n")[1].split("```")[0]
    assert block.startswith("NOTES=http://127.0.0.1:5000\n")
    script = block.replace("http://127.0.0.1:5000", notes_server, 1)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    user, note, notes = (json.loads(line) for line in result.stdout.splitlines())
    assert user == {"username": "ann"}
    assert (note["title"], note["body"]) == ("From curl", "Hello from the command line")
    assert notes == [note]
