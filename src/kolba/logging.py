"""``app.logger``: a logger named after the app that writes to ``wsgi.errors``."""

from __future__ import annotations

import logging
import sys
import typing as t

from .globals import _cv_request

if t.TYPE_CHECKING:
    from .app import Flask


class _WSGIErrorStream:
    """The current request's ``wsgi.errors``, or stderr outside a request."""

    @staticmethod
    def _stream() -> t.TextIO:
        ctx = _cv_request.get(None)
        return sys.stderr if ctx is None else ctx.request.environ["wsgi.errors"]

    def write(self, text: str) -> int:
        return self._stream().write(text)

    def flush(self) -> None:
        self._stream().flush()


wsgi_errors_stream: t.Any = _WSGIErrorStream()

default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler up the chain already handles this logger's level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Flask) -> logging.Logger:
    """The app's logger: DEBUG level in debug mode, and our handler unless
    the user configured logging."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
