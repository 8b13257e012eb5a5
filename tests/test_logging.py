"""``app.logger``: a standard logger named after the app, writing to the
request's ``wsgi.errors`` (stderr outside a request)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kolba import Flask
from kolba.logging import default_handler


@contextmanager
def unconfigured_logging() -> Iterator[None]:
    """No handler on the root logger, as in a program that never configured
    logging: pytest's capture handlers are set aside for the block."""
    saved = logging.root.handlers[:]
    logging.root.handlers.clear()
    try:
        yield
    finally:
        logging.root.handlers[:] = saved


@pytest.fixture
def log_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """A non-testing app with a logger of its own, forgotten afterwards."""
    name = f"kolba_log_{request.node.name}"
    app = Flask(name)
    app.config["SECRET_KEY"] = "test"
    yield app
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logging.Logger.manager.loggerDict.pop(name, None)


def test_logger_is_a_standard_logger_named_after_the_app(log_app: Flask) -> None:
    logger = log_app.logger
    assert isinstance(logger, logging.Logger)
    assert logger.name == log_app.name
    assert logger is logging.getLogger(log_app.name)
    assert log_app.logger is logger


def test_level_is_left_alone_outside_debug_mode(log_app: Flask) -> None:
    assert log_app.logger.level == logging.NOTSET


def test_debug_mode_sets_debug_level(log_app: Flask) -> None:
    log_app.debug = True
    assert log_app.logger.level == logging.DEBUG


def test_a_level_set_by_the_user_is_kept(log_app: Flask) -> None:
    logging.getLogger(log_app.name).setLevel(logging.ERROR)
    log_app.debug = True
    assert log_app.logger.level == logging.ERROR


def test_writes_to_the_request_errors_stream(
    log_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    @log_app.route("/")
    def index() -> str:
        log_app.logger.warning("inside %s", "the request")
        return ""

    errors = io.StringIO()
    with unconfigured_logging():
        log_app.test_client().get("/", errors_stream=errors)
    assert re.fullmatch(
        r"\[[^]]+\] WARNING in test_logging: inside the request\n", errors.getvalue()
    )
    assert capsys.readouterr().err == ""


def test_writes_to_stderr_outside_a_request(
    log_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    with unconfigured_logging():
        assert log_app.logger.handlers == [default_handler]
        log_app.logger.error("outside")
    assert capsys.readouterr().err.endswith("ERROR in test_logging: outside\n")


def test_the_errors_stream_is_a_proxy_to_the_current_stream(log_app: Flask) -> None:
    # as Flask's: the stream's own attributes are there (a handler may ask isatty)
    import sys

    from kolba.logging import wsgi_errors_stream

    errors = io.StringIO()
    with log_app.test_request_context(errors_stream=errors):
        assert wsgi_errors_stream._get_current_object() is errors  # type: ignore[attr-defined]
        assert wsgi_errors_stream.isatty() is False
        assert wsgi_errors_stream.getvalue() == ""  # type: ignore[attr-defined]
    assert wsgi_errors_stream._get_current_object() is sys.stderr  # type: ignore[attr-defined]


def test_configured_logging_gets_no_extra_handler(log_app: Flask) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    with unconfigured_logging():
        logging.root.addHandler(handler)
        assert log_app.logger.handlers == []
        log_app.logger.warning("to the user's handler")
    assert [record.getMessage() for record in records] == ["to the user's handler"]


@pytest.mark.parametrize("debug", [True, False])
def test_seed_logging_calls(log_app: Flask, debug: bool) -> None:
    """The seed's "Логирование" calls; debug messages show in debug mode."""
    log_app.debug = debug

    @log_app.route("/")
    def index() -> str:
        log_app.logger.debug("A value for debugging")
        log_app.logger.warning("A warning occurred (%d apples)", 42)
        log_app.logger.error("An error occurred")
        return ""

    errors = io.StringIO()
    with unconfigured_logging():
        log_app.test_client().get("/", errors_stream=errors)
    lines = [line.partition("] ")[2] for line in errors.getvalue().splitlines()]
    expected = [
        "WARNING in test_logging: A warning occurred (42 apples)",
        "ERROR in test_logging: An error occurred",
    ]
    if debug:
        expected.insert(0, "DEBUG in test_logging: A value for debugging")
    assert lines == expected


def test_unhandled_exception_is_logged_and_hidden(log_app: Flask) -> None:
    @log_app.route("/boom")
    def boom() -> str:
        raise ValueError("secret detail")

    errors = io.StringIO()
    with unconfigured_logging():
        rv = log_app.test_client().get("/boom", errors_stream=errors)
    assert rv.status_code == 500
    assert "Internal Server Error" in rv.text
    assert "secret detail" not in rv.text
    assert "ValueError" not in rv.text
    log = errors.getvalue()
    assert "ERROR in app: Exception on /boom [GET]" in log
    assert "Traceback (most recent call last):" in log
    assert "ValueError: secret detail" in log


def test_unhandled_exception_reaches_a_user_handler(
    log_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @log_app.route("/boom")
    def boom() -> str:
        raise ValueError("secret detail")

    with caplog.at_level(logging.ERROR, logger=log_app.name):
        log_app.test_client().get("/boom")
    (record,) = caplog.records
    assert record.name == log_app.name
    assert record.getMessage() == "Exception on /boom [GET]"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)


def test_the_logger_and_the_name_can_be_set_as_in_flask(log_app: Flask) -> None:
    # as under gunicorn: the app logs through the server's logger
    server_log = logging.getLogger(f"{log_app.import_name}.server")
    stream = io.StringIO()
    server_log.addHandler(logging.StreamHandler(stream))
    log_app.logger = server_log

    @log_app.route("/fail")
    def fail() -> str:
        raise RuntimeError("boom")

    assert log_app.test_client().get("/fail").status_code == 500
    assert "Exception on /fail [GET]" in stream.getvalue()
    server_log.handlers.clear()
    del log_app.logger  # made again, named after the app
    assert log_app.logger is logging.getLogger(log_app.name)
    log_app.name = "renamed"
    assert log_app.name == "renamed"
