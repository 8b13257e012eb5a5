"""The app's public attributes have real types, not ``Any``."""

from __future__ import annotations

import logging
from datetime import timedelta

from typing_extensions import assert_type

from kolba import Blueprint, Config, Flask, Request, Response
from kolba.cli import AppGroup, KolbaCliRunner
from kolba.templating import Environment
from kolba.testing import KolbaClient

app = Flask(__name__)
bp = Blueprint("shop", __name__)

assert_type(app.logger, logging.Logger)
assert_type(app.jinja_env, Environment)
assert_type(app.cli, AppGroup)
assert_type(bp.cli, AppGroup)
assert_type(app.config, Config)
assert_type(app.debug, bool)
assert_type(app.testing, bool)
assert_type(app.secret_key, str | bytes | None)
assert_type(app.permanent_session_lifetime, timedelta)
assert_type(app.name, str)
assert_type(app.test_client(), KolbaClient)
assert_type(app.test_cli_runner(), KolbaCliRunner)
assert_type(app.make_response("hello"), Response)

app.logger.nonexistent_method()  # type: ignore[attr-defined]
app.jinja_env.no_such_attribute  # type: ignore[attr-defined]  # noqa: B018
app.config.from_mapping(SECRET_KEY="dev")
app.testing = True
app.jinja_env.globals["site_name"] = "kolba"

assert_type(app.request_class, type[Request])
assert_type(app.response_class, type[Response])
