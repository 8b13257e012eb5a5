"""``app.logger``: a logger named after the app that writes to ``wsgi.errors``."""

from __future__ import annotations

import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import _NO_CTX, _cv_ctx

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from .app import Flask


def _wsgi_errors() -> t.TextIO:
    ctx = _cv_ctx.get(_NO_CTX)[1]
    return sys.stderr if ctx is None else ctx.request.environ["wsgi.errors"]


#: The current request's ``wsgi.errors``, or stderr when no request is active;
#: a proxy, as Flask's, so the stream's other attributes (isatty, encoding)
#: are there too.
wsgi_errors_stream: t.TextIO = LocalProxy(_wsgi_errors)  # type: ignore[assignment]

default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def _loggers_reached(logger: logging.Logger) -> Iterator[logging.Logger]:
    """``logger``, then each ancestor its records propagate to."""
    node: logging.Logger | None = logger
    while node is not None:
        yield node
        node = node.parent if node.propagate else None


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler that a record of the logger's effective level
    reaches would take it."""
    level = logger.getEffectiveLevel()
    return any(
        handler.level <= level
        for node in _loggers_reached(logger)
        for handler in node.handlers
    )


def create_logger(app: Flask) -> logging.Logger:
    """The logger named after ``app``. Debug mode lowers a level the user left
    unset to DEBUG; ``default_handler`` is added only if no configured handler
    would take the logger's records."""
    logger = logging.getLogger(app.name)
    if logger.level == logging.NOTSET and app.debug:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
