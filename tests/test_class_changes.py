"""Attributes set on a Request or Response class after its class statement
(or on kolba's own classes) count, as in Flask, which reads them on every use:
kolba's classes decide again what their requests may skip (wrappers._Watched),
and the serving apps with them. Each case runs the same app on Flask 3.1.3 and
on kolba (over WSGI and ASGI: the ``driver`` fixture) and compares."""

from __future__ import annotations

import abc
import typing as t

import flask
import pytest

import kolba
from kolba import wrappers

pytestmark = pytest.mark.usefixtures("driver")

Scenario = t.Callable[[t.Any, pytest.MonkeyPatch], t.Any]


def as_flask(scenario: Scenario) -> None:
    """Run ``scenario(fw, patch)`` with Flask and with kolba (each patch of a
    framework's own class undone after it): the same answers."""
    answers = []
    for fw in (flask, kolba):
        with pytest.MonkeyPatch.context() as patch:
            answers.append(scenario(fw, patch))
    assert answers[1] == answers[0]


def form_and_json(fw: t.Any) -> t.Any:
    app = fw.Flask("x")

    @app.post("/form")
    def form() -> str:
        return str(len(fw.request.form.get("t", "")))

    @app.post("/json")
    def json() -> str:
        return str(len(fw.request.get_json()["t"]))

    return app


def statuses(app: t.Any, size: int = 100_000) -> tuple[int, int]:
    client = app.test_client()
    return (
        client.post("/form", data={"t": "x" * size}).status_code,
        client.post("/json", json={"t": "x" * size}).status_code,
    )


def test_max_content_length_set_on_the_own_request_class_limits_a_form() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        app = form_and_json(fw)
        small = statuses(app, 10)
        patch.setattr(app.request_class, "max_content_length", 1024)
        return small, statuses(app)

    as_flask(scenario)  # (200, 200), then (413, 413)


def test_a_limit_set_on_a_subclass_after_its_class_statement() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Limited(fw.Request):  # type: ignore[name-defined,misc]
            pass

        app = form_and_json(fw)
        app.request_class = Limited
        before = statuses(app)
        Limited.max_content_length = 1024
        after = statuses(app)
        del Limited.max_content_length
        return before, after, statuses(app)

    as_flask(scenario)


def test_a_form_memory_limit_set_on_a_subclass_after_its_class_statement() -> None:
    # (kolba's documented difference: it bounds an urlencoded body too, as
    # MAX_FORM_MEMORY_SIZE does; Flask only a multipart one)
    class Limited(kolba.Request):
        pass

    app = form_and_json(kolba)
    app.request_class = Limited
    assert statuses(app) == (200, 200)
    Limited.max_form_memory_size = 1024
    assert statuses(app) == (413, 200)


def test_a_form_parser_class_set_after_the_class_statement() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Parser(fw.Request.form_data_parser_class):  # type: ignore[name-defined,misc]
            def parse(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
                stream, form, files = super().parse(*args, **kwargs)
                return stream, type(form)([("parsed", "by P")]), files

        class Req(fw.Request):  # type: ignore[name-defined,misc]
            pass

        app = fw.Flask("x")
        app.request_class = Req

        @app.post("/")
        def index() -> str:
            return repr(sorted(fw.request.form.items()))

        client = app.test_client()
        first = client.post("/", data={"a": "1"}).get_data()
        Req.form_data_parser_class = Parser
        return first, client.post("/", data={"a": "1"}).get_data()

    as_flask(scenario)


def test_an_init_set_on_a_request_class_after_its_statement_is_called() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Req(fw.Request):  # type: ignore[name-defined,misc]
            pass

        def __init__(
            self: t.Any, environ: t.Any, *args: t.Any, **kwargs: t.Any
        ) -> None:
            fw.Request.__init__(self, environ, *args, **kwargs)
            self.tenant = environ.get("HTTP_X_TENANT", "default")

        app = fw.Flask("x")
        app.request_class = Req

        @app.route("/")
        def index() -> str:
            return getattr(fw.request, "tenant", "MISSING")

        client = app.test_client()
        first = client.get("/", headers={"X-Tenant": "acme"}).get_data()
        Req.__init__ = __init__
        return first, client.get("/", headers={"X-Tenant": "acme"}).get_data()

    as_flask(scenario)


def views(fw: t.Any) -> t.Any:
    app = fw.Flask("x")

    @app.route("/str")
    def text() -> str:
        return "hello"

    @app.route("/bytes")
    def data() -> bytes:
        return b"hello"

    @app.route("/headers")
    def with_headers() -> t.Any:
        return "hello", {"X-Trace": "1"}

    @app.route("/redirect")
    def moved() -> t.Any:
        return fw.redirect("/str")

    @app.route("/404")
    def missing() -> t.Any:
        fw.abort(404)

    return app


def content_types(app: t.Any) -> list[tuple[int, str | None, int]]:
    client = app.test_client()
    answers = []
    for path in ("/str", "/bytes", "/headers", "/redirect", "/404", "/nope"):
        response = client.get(path)
        answers.append(
            (response.status_code, response.content_type, len(response.get_data()))
        )
    head = client.head("/str")
    answers.append((head.status_code, head.content_type, len(head.get_data())))
    return answers


def test_default_mimetype_set_on_the_own_response_class() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        app = views(fw)
        before = content_types(app)
        patch.setattr(app.response_class, "default_mimetype", "text/plain")
        return before, content_types(app)

    as_flask(scenario)


def test_default_mimetype_set_on_a_subclass_after_its_statement() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Resp(fw.Response):  # type: ignore[name-defined,misc]
            pass

        app = views(fw)
        app.response_class = Resp
        before = content_types(app)
        Resp.default_mimetype = "text/plain"
        return before, content_types(app)

    as_flask(scenario)


def nosniff(fw: t.Any) -> t.Callable[..., t.Any]:
    def get_wsgi_headers(self: t.Any, environ: t.Any) -> t.Any:
        headers = fw.Response.__mro__[1].get_wsgi_headers(self, environ)
        headers["X-Content-Type-Options"] = "nosniff"
        return headers

    return get_wsgi_headers


def sent(app: t.Any) -> list[t.Any]:
    client = app.test_client()
    return [
        (r.status_code, r.headers.get("X-Content-Type-Options"), r.get_data())
        for r in (client.get("/str"), client.get("/headers"), client.get("/nope"))
    ]


def test_a_send_method_set_on_a_subclass_after_its_statement() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Resp(fw.Response):  # type: ignore[name-defined,misc]
            pass

        app = views(fw)
        app.response_class = Resp
        before = sent(app)
        Resp.get_wsgi_headers = nosniff(fw)
        return before, sent(app)

    as_flask(scenario)


def test_a_send_method_set_on_the_own_response_class() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        app = views(fw)
        before = sent(app)
        patch.setattr(fw.Response, "get_wsgi_headers", nosniff(fw))
        return before, sent(app)

    as_flask(scenario)


def test_a_patch_undone_gives_back_the_fast_paths() -> None:
    app = views(kolba)
    before = content_types(app)
    assert app._plain_response
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kolba.Response, "default_mimetype", "text/plain")
        patch.setattr(kolba.Response, "get_wsgi_headers", nosniff(kolba))
        assert not app._plain_response
        assert wrappers._lean_response is None
    assert content_types(app) == before
    assert app._plain_response
    assert wrappers._lean_response is kolba.Response


def test_trusted_hosts_set_on_the_request_class_after_the_first_request() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Req(fw.Request):  # type: ignore[name-defined,misc]
            pass

        app = fw.Flask("x")
        app.request_class = Req

        @app.route("/")
        def index() -> str:
            return "hi"

        client = app.test_client()
        evil = {"Host": "evil.example"}
        first = client.get("/", headers=evil).status_code
        Req.trusted_hosts = ["good.example"]
        answers = [client.get("/", headers=evil).status_code]
        answers.append(client.get("/", headers={"Host": "good.example"}).status_code)
        patch.setattr(fw.Request, "trusted_hosts", ["good.example"])
        app.request_class = fw.Request
        answers.append(client.get("/", headers=evil).status_code)
        return first, answers

    as_flask(scenario)  # 200, then [400, 200, 400]


def blueprint_app(fw: t.Any, request_class: t.Any) -> t.Any:
    app = fw.Flask("x")
    app.request_class = request_class
    admin = fw.Blueprint("admin", __name__)
    calls = []

    @admin.url_value_preprocessor
    def pull(endpoint: str | None, values: t.Any) -> None:
        calls.append(f"preprocess {endpoint}")

    @admin.before_request
    def require_login() -> t.Any:
        if fw.request.args.get("login") != "yes":
            return "login required", 401
        return None

    @admin.after_request
    def mark(response: t.Any) -> t.Any:
        response.headers["X-Admin"] = "1"
        return response

    @admin.teardown_request
    def tear(exc: BaseException | None) -> None:
        calls.append("teardown")

    @admin.context_processor
    def area() -> dict[str, str]:
        return {"area": "admin"}

    @admin.route("/admin/")
    def dashboard() -> str:
        return "dashboard"

    app.register_blueprint(admin)

    @app.route("/legacy-admin")
    def legacy_admin() -> str:
        return fw.render_template_string("legacy {{ area }}")

    @app.route("/public")
    def public() -> str:
        return fw.render_template_string("public {{ area }}")

    def answers() -> list[t.Any]:
        client = app.test_client()
        seen = []
        for path in ("/legacy-admin", "/legacy-admin?login=yes", "/admin/", "/public"):
            del calls[:]
            r = client.get(path)
            seen.append(
                (r.status_code, r.headers.get("X-Admin"), r.get_data(), calls[:])
            )
        return seen

    return answers


def test_a_request_class_with_its_own_blueprint_chooses_the_hooks() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Req(fw.Request):  # type: ignore[name-defined,misc]
            @property
            def blueprint(self) -> str | None:
                if self.endpoint and self.endpoint.startswith("legacy_"):
                    return "admin"
                return super().blueprint

        return blueprint_app(fw, Req)(), blueprint_app(fw, fw.Request)()

    as_flask(scenario)


def test_blueprints_or_endpoint_set_on_a_request_class_later() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Req(fw.Request):  # type: ignore[name-defined,misc]
            pass

        answers = blueprint_app(fw, Req)
        first = answers()  # (the app serves: its hooks are chosen)
        Req.blueprints = property(
            lambda self: ["admin"] if self.endpoint == "legacy_admin" else []
        )
        by_blueprints = answers()
        del Req.blueprints
        Req.endpoint = property(
            lambda self: None if self.url_rule is None else "admin.x"
        )
        return first, by_blueprints, answers()

    as_flask(scenario)


def traced_app(fw: t.Any) -> t.Any:
    app = fw.Flask("x")

    @app.route("/")
    def index() -> str:
        return "hi"

    @app.route("/teapot")
    def teapot() -> t.Any:
        fw.abort(418)

    def answers() -> list[t.Any]:
        client = app.test_client()
        return [
            (r.status_code, r.headers.get("X-Traced"), r.get_data())
            for r in (client.get("/"), client.get("/nope"), client.get("/teapot"))
        ]

    return answers


def test_process_response_patched_on_the_flask_class_while_serving() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        answers = traced_app(fw)
        first = answers()
        own = fw.Flask.process_response

        def process_response(self: t.Any, response: t.Any) -> t.Any:
            response = own(self, response)
            response.headers["X-Traced"] = "1"
            return response

        patch.setattr(fw.Flask, "process_response", process_response)
        traced = answers()
        patch.undo()
        return first, traced, answers()

    as_flask(scenario)


def test_wsgi_app_patched_on_the_flask_class_while_serving() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        answers = traced_app(fw)
        first = answers()
        own = fw.Flask.wsgi_app

        def wsgi_app(self: t.Any, environ: t.Any, start_response: t.Any) -> t.Any:
            def traced(status: str, headers: list[t.Any], *args: t.Any) -> t.Any:
                return start_response(status, [*headers, ("X-Traced", "1")], *args)

            return own(self, environ, traced)

        patch.setattr(fw.Flask, "wsgi_app", wsgi_app)
        return first, answers()

    as_flask(scenario)


def test_handle_http_exception_patched_on_the_flask_class_while_serving() -> None:
    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        answers = traced_app(fw)
        first = answers()
        own = fw.Flask.handle_http_exception

        def handle_http_exception(self: t.Any, e: t.Any) -> t.Any:
            response = self.make_response(own(self, e))
            response.headers["X-Traced"] = str(e.code)
            return response

        patch.setattr(fw.Flask, "handle_http_exception", handle_http_exception)
        return first, answers()

    as_flask(scenario)


def test_classes_with_an_abc_among_their_bases() -> None:
    """Request, Response and Flask mix with an ABC, as Flask's do (kolba's
    watching type is an ABCMeta): the abstract methods are enforced, and a
    limit set on such a class later still counts."""

    def scenario(fw: t.Any, patch: pytest.MonkeyPatch) -> t.Any:
        class Audited(abc.ABC):
            @abc.abstractmethod
            def audit(self) -> str: ...

        class AuditedRequest(fw.Request, Audited):
            def audit(self) -> str:
                return "request"

        class AuditedResponse(fw.Response, Audited):
            def audit(self) -> str:
                return "response"

        class Unfinished(fw.Flask, Audited):
            pass

        class App(fw.Flask, Audited):
            request_class = AuditedRequest
            response_class = AuditedResponse

            def audit(self) -> str:
                return "app"

        with pytest.raises(TypeError, match="abstract"):
            Unfinished("x")
        app = App("x")

        @app.post("/form")
        def form() -> t.Any:
            return fw.make_response(f"{fw.request.audit()} {len(fw.request.form['t'])}")

        @app.after_request
        def mark(response: t.Any) -> t.Any:
            response.headers["X-Audit"] = f"{app.audit()} {response.audit()}"
            return response

        client = app.test_client()
        first = client.post("/form", data={"t": "x" * 2000})
        AuditedRequest.max_content_length = 1024
        return (
            first.status_code,
            first.text,
            first.headers["X-Audit"],
            client.post("/form", data={"t": "x" * 2000}).status_code,
        )

    as_flask(scenario)
