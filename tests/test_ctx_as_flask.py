"""Pushing and popping contexts, in any order, does what it does in Flask.

Each sequence of pushes and pops (app contexts, request contexts, nested,
interleaved, in the wrong order, twice, through the ``app_ctx`` and
``request_ctx`` proxies) runs on Flask and on kolba, in a Context of its own;
after each step what is active (``request``, ``current_app``, ``g`` and its
values) and each step's exception are recorded, and so are the teardown
functions' calls, with what they see. The two records must be equal.
"""

from __future__ import annotations

import contextvars
import random
import typing as t

import flask
import flask.globals
import pytest

import kolba
import kolba.globals

Record = list[tuple[t.Any, ...]]


def _run(fw: t.Any, steps: list[str]) -> Record:
    """Run ``steps`` with framework ``fw`` (the flask or the kolba module)."""
    proxies = flask.globals if fw is flask else kolba.globals
    record: Record = []
    names: dict[int, str] = {}
    seen: list[object] = []  # (kept alive, so that ids are not reused)

    def name_of(obj: object) -> str:
        seen.append(obj)
        return names.setdefault(id(obj), f"g{len(names)}")

    def active() -> tuple[t.Any, ...]:
        found: list[t.Any] = [fw.has_app_context(), fw.has_request_context()]
        for read in (
            lambda: fw.request.path,
            lambda: fw.current_app.name,
            lambda: (name_of(fw.g._get_current_object()), fw.g.get("n")),
        ):
            try:
                found.append(read())
            except Exception as e:
                found.append(type(e).__name__)
        return tuple(found)

    app, other = fw.Flask("app"), fw.Flask("other")
    for each in (app, other):
        for kind, register in (
            ("teardown_request", each.teardown_request),
            ("teardown_appcontext", each.teardown_appcontext),
        ):
            register(
                lambda e, kind=kind, each=each: record.append(
                    (kind, each.name, type(e).__name__, *active())
                )
            )
    contexts = {
        "ac": app.app_context(),
        "ac2": app.app_context(),
        "oc": other.app_context(),
        "rc": app.test_request_context("/r"),
        "rc2": app.test_request_context("/s"),
        "orc": other.test_request_context("/o"),
        "app_ctx": proxies.app_ctx,
        "request_ctx": proxies.request_ctx,
    }
    for number, step in enumerate(steps):
        name, _, method = step.partition(".")
        try:
            if step == "g.n":
                proxies.g.n = number
            elif method.endswith("!"):  # while an exception is handled
                try:
                    raise KeyError(step)
                except KeyError:
                    getattr(contexts[name], method[:-1])()
            else:
                getattr(contexts[name], method)()
            outcome = "ok"
        except Exception as e:
            outcome = type(e).__name__
        record.append((step, outcome, *active()))
    return record


def run(fw: t.Any, steps: list[str]) -> Record:
    return contextvars.copy_context().run(_run, fw, steps)


SEQUENCES = {
    # a request context pushed twice in an app context that is popped first:
    # the request stays active (without current_app and g) until its last pop
    "app context popped under a request pushed twice": (
        "ac.push rc.push rc.push ac.pop rc.pop rc.pop"
    ),
    # app_ctx.pop() in a request ends the app context only: its teardown
    # runs then; the request's pop raises, as its app context is gone
    "app_ctx popped in a request": "rc.push g.n app_ctx.pop rc.pop",
    "app_ctx pushed again in a request": (
        "rc.push g.n app_ctx.push app_ctx.pop g.n rc.pop app_ctx.pop"
    ),
    "a request context pushed again has a new g": "rc.push g.n rc.pop rc.push rc.pop",
    "nested requests": "rc.push g.n rc2.push g.n rc2.pop rc.pop",
    "requests in an app context share its g": "ac.push g.n rc.push rc.pop ac.pop",
    "popped in the wrong order": "rc.push rc2.push rc.pop rc2.pop",
    "popped twice": "rc.push rc.pop rc.pop ac.push ac.pop ac.pop",
    "never pushed": "rc.pop ac.pop ac.push rc2.pop ac.pop",
    "another app's contexts": "rc.push oc.push orc.push orc.pop oc.pop rc.pop",
    "another app's request in a request": "rc.push orc.push rc.pop orc.pop",
    "popped while an exception is handled": "ac.push rc.push rc.pop! ac.pop!",
    "request_ctx popped": "ac.push rc.push request_ctx.pop request_ctx.pop ac.pop",
    "an app context popped under its request": "rc.push ac.push rc.pop ac.pop",
}


@pytest.mark.parametrize("steps", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_sequence_as_flask(steps: str) -> None:
    assert run(kolba, steps.split()) == run(flask, steps.split())


STEPS = [
    "ac.push", "ac.pop", "ac2.push", "ac2.pop", "oc.push", "oc.pop",
    "rc.push", "rc.pop", "rc2.push", "rc2.pop", "orc.push", "orc.pop",
    "g.n", "app_ctx.pop", "app_ctx.push", "request_ctx.pop", "rc.pop!", "ac.pop!",
]  # fmt: skip


def test_random_sequences_as_flask() -> None:
    rng = random.Random(11)
    for _ in range(400):
        steps = [rng.choice(STEPS) for _ in range(rng.randint(1, 12))]
        assert run(kolba, steps) == run(flask, steps), steps


# -- in a view, served through the WSGI entry ------------------------------------

VIEW_STEPS: dict[str, t.Callable[[t.Any, t.Any], object]] = {
    "app_ctx popped": lambda fw, proxies: proxies.app_ctx.pop(),
    "app_ctx pushed": lambda fw, proxies: proxies.app_ctx.push(),
    "a new app context pushed": lambda fw, p: fw.current_app.app_context().push(),
    "another app's context pushed": lambda fw, p: fw.Flask("o").app_context().push(),
    "the request pushed again": lambda fw, proxies: proxies.request_ctx.push(),
    "a copy of the request pushed": lambda fw, p: p.request_ctx.copy().push(),
    "a copy pushed and popped": lambda fw, p: p.request_ctx.copy().__enter__(),
}


def _serve(fw: t.Any, step: t.Callable[[t.Any, t.Any], object]) -> Record:
    proxies = flask.globals if fw is flask else kolba.globals
    record: Record = []
    app = fw.Flask("app")
    for kind, register in (
        ("teardown_request", app.teardown_request),
        ("teardown_appcontext", app.teardown_appcontext),
    ):
        register(
            lambda e, kind=kind: record.append(
                (kind, fw.has_app_context(), fw.has_request_context())
            )
        )

    @app.route("/")
    def index() -> str:
        fw.g.n = 1
        step(fw, proxies)
        record.append(("view", fw.has_app_context(), fw.has_request_context()))
        return "hi"

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    try:
        body = app(environ, lambda status, headers: record.append((status,)))
        record.append(tuple(body))
    except Exception as e:
        record.append((type(e).__name__,))
    record.append((fw.has_app_context(), fw.has_request_context()))
    return record


@pytest.mark.parametrize("step", VIEW_STEPS.values(), ids=VIEW_STEPS.keys())
def test_contexts_pushed_and_popped_in_a_view_as_flask(
    step: t.Callable[[t.Any, t.Any], object],
) -> None:
    served = [contextvars.copy_context().run(_serve, fw, step) for fw in (kolba, flask)]
    assert served[0] == served[1]


def _popped_in_another_context(fw: t.Any) -> tuple[str, bool]:
    app_ctx = fw.Flask("app").app_context()
    app_ctx.push()
    try:
        contextvars.copy_context().run(app_ctx.pop)
        outcome = "ok"
    except Exception as e:
        outcome = type(e).__name__
    return outcome, fw.has_app_context()


def test_an_app_context_popped_in_another_context_as_flask() -> None:
    """Its token is of the Context it was pushed in: ValueError, and it
    stays active there."""
    assert contextvars.copy_context().run(_popped_in_another_context, kolba) == (
        contextvars.copy_context().run(_popped_in_another_context, flask)
    )
