"""``app.config``: Flask's keys and defaults, and the ways to load settings."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from kolba import Flask
from kolba.config import Config

FLASK_DEFAULTS = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}


@pytest.fixture(autouse=True)
def no_debug_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without debug or prefixed variables in the environment."""
    for name in ("KOLBA_DEBUG", "FLASK_DEBUG", "KOLBA_ENV", "FLASK_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module ``kolba_test_settings`` with some settings."""
    (tmp_path / "kolba_test_settings.py").write_text(
        "SECRET_KEY = 'from-module'\nDEBUG = True\nlowercase = 'ignored'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "kolba_test_settings"


# keys and defaults -----------------------------------------------------------


def test_flask_defaults() -> None:
    config = Flask(__name__).config
    for key, value in FLASK_DEFAULTS.items():
        assert config[key] == value, key


def test_samesite_is_lax_by_default() -> None:
    """Deliberately unlike Flask (None): session cookies are SameSite=Lax."""
    assert Flask(__name__).config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_no_unknown_keys() -> None:
    keys = set(Flask(__name__).config)
    kolba_own = {
        "SESSION_STORE", "WEBSOCKET_ALLOWED_ORIGINS", "BACKGROUND_TASK_SHUTDOWN_TIMEOUT"
    }
    assert keys == {*FLASK_DEFAULTS, "SESSION_COOKIE_SAMESITE", *kolba_own}


def test_config_is_a_dict_with_a_root_path() -> None:
    app = Flask(__name__)
    assert isinstance(app.config, dict)
    assert isinstance(app.config, Config)
    assert app.config.root_path == app.root_path
    assert repr(app.config).startswith("<Config {")


def test_instance_relative_config(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path), instance_relative_config=True)
    assert app.config.root_path == str(tmp_path)
    (tmp_path / "settings.py").write_text("SECRET_KEY = 'instance'\n")
    app.config.from_pyfile("settings.py")
    assert app.secret_key == "instance"


# attributes that mirror keys ---------------------------------------------------


def test_attributes_mirror_keys() -> None:
    app = Flask(__name__)
    assert (app.debug, app.testing, app.secret_key) == (False, False, None)
    app.debug = True
    app.testing = True
    app.secret_key = "s3"
    assert app.config["DEBUG"] is True
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "s3"
    app.config.update(DEBUG=False, TESTING=False, SECRET_KEY="other")
    assert (app.debug, app.testing, app.secret_key) == (False, False, "other")


def test_permanent_session_lifetime() -> None:
    app = Flask(__name__)
    assert app.permanent_session_lifetime == timedelta(days=31)
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime == timedelta(seconds=60)
    app.permanent_session_lifetime = timedelta(hours=1)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)


# DEBUG from the environment ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "debug"),
    [
        ("KOLBA_DEBUG", "1", True),
        ("KOLBA_DEBUG", "true", True),
        ("KOLBA_DEBUG", "0", False),
        ("KOLBA_DEBUG", "false", False),
        ("FLASK_DEBUG", "1", True),
        ("FLASK_DEBUG", "0", False),
        # Only the kolba command reads *_ENV: importing the app never does.
        ("KOLBA_ENV", "development", False),
        ("FLASK_ENV", "development", False),
        ("KOLBA_ENV", "production", False),
    ],
)
def test_debug_default_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, debug: bool
) -> None:
    monkeypatch.setenv(name, value)
    app = Flask(__name__)
    assert app.config["DEBUG"] is debug
    assert app.debug is debug


def test_kolba_debug_wins_over_flask_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_DEBUG", "0")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert Flask(__name__).debug is False


# from_object -----------------------------------------------------------------


def test_from_object_takes_uppercase_attributes() -> None:
    class Settings:
        SECRET_KEY = "from-class"
        MY_OPTION = [1]
        lowercase = "ignored"

    config = Config(".")
    config.from_object(Settings)
    assert config == {"SECRET_KEY": "from-class", "MY_OPTION": [1]}


def test_from_object_import_string(settings_module: str) -> None:
    config = Config(".")
    config.from_object(settings_module)
    assert config == {"SECRET_KEY": "from-module", "DEBUG": True}


def test_from_object_unknown_import_is_an_error() -> None:
    with pytest.raises(ImportError):
        Config(".").from_object("kolba_no_such_settings_module")


# files -----------------------------------------------------------------------


def test_from_pyfile(tmp_path: Path) -> None:
    (tmp_path / "settings.cfg").write_text(
        "import os\nSECRET_KEY = 'py'\nPATH = __file__\nhelper = 1\n"
    )
    config = Config(tmp_path)
    assert config.from_pyfile("settings.cfg") is True
    assert config == {"SECRET_KEY": "py", "PATH": str(tmp_path / "settings.cfg")}


def test_from_pyfile_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    with pytest.raises(FileNotFoundError, match="Cannot read the config file"):
        config.from_pyfile("missing.py")
    assert config.from_pyfile("missing.py", silent=True) is False


def test_from_pyfile_syntax_error_is_raised(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("SECRET_KEY = \n")
    with pytest.raises(SyntaxError):
        Config(tmp_path).from_pyfile("bad.py", silent=True)


def test_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "prod.py").write_text("SECRET_KEY = 'env'\n")
    monkeypatch.setenv("KOLBA_TEST_SETTINGS", str(tmp_path / "prod.py"))
    config = Config(".")
    assert config.from_envvar("KOLBA_TEST_SETTINGS") is True
    assert config["SECRET_KEY"] == "env"


def test_from_envvar_unset_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOLBA_TEST_SETTINGS", raising=False)
    config = Config(".")
    with pytest.raises(RuntimeError, match="KOLBA_TEST_SETTINGS.*not set"):
        config.from_envvar("KOLBA_TEST_SETTINGS")
    assert config.from_envvar("KOLBA_TEST_SETTINGS", silent=True) is False


def test_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"SECRET_KEY": "json", "lower": 1}')
    config = Config(tmp_path)
    assert config.from_file("config.json", load=json.load) is True
    assert config == {"SECRET_KEY": "json"}


def test_from_file_toml(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    (tmp_path / "config.toml").write_text('SECRET_KEY = "toml"\nPORT = 8000\n')
    config = Config(tmp_path)
    config.from_file("config.toml", load=tomllib.load, text=False)
    assert config == {"SECRET_KEY": "toml", "PORT": 8000}


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    with pytest.raises(FileNotFoundError, match="Cannot read the config file"):
        config.from_file("missing.json", load=json.load)
    assert config.from_file("missing.json", load=json.load, silent=True) is False


def test_from_mapping() -> None:
    config = Config(".")
    assert config.from_mapping({"A_KEY": 1, "lower": 2}, B_KEY=3, other=4) is True
    assert config == {"A_KEY": 1, "B_KEY": 3}


# from_prefixed_env -----------------------------------------------------------


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_SECRET_KEY", "env-secret")
    monkeypatch.setenv("KOLBA_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("KOLBA_TESTING", "true")
    monkeypatch.setenv("KOLBA_HOSTS", '["a", "b"]')
    monkeypatch.setenv("KOLBA_NAME", "not json")
    monkeypatch.setenv("OTHER_SECRET_KEY", "ignored")
    config = Config(".")
    assert config.from_prefixed_env() is True
    assert config == {
        "SECRET_KEY": "env-secret",
        "MAX_CONTENT_LENGTH": 1024,
        "TESTING": True,
        "HOSTS": ["a", "b"],
        "NAME": "not json",
    }


@pytest.mark.parametrize(
    ("value", "debug"),
    [
        ("N", False),
        ("off", False),
        ("False", False),
        ("0 ", 0),
        ("yes", True),
        ("1", 1),
    ],
)
def test_from_prefixed_env_reads_debug_as_the_debug_variables(
    monkeypatch: pytest.MonkeyPatch, value: str, debug: object
) -> None:
    # (a word that is no JSON would be a non-empty str: the debugger on)
    monkeypatch.setenv("FLASK_DEBUG", value)
    config = Config(".")
    config.from_prefixed_env()
    assert config["DEBUG"] == debug and type(config["DEBUG"]) is type(debug)


def test_from_prefixed_env_refuses_a_debug_that_is_no_yes_or_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "disabled")
    with pytest.raises(ValueError, match="FLASK_DEBUG='disabled' is neither"):
        Config(".").from_prefixed_env()


def test_from_prefixed_env_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_DB__HOST", "localhost")
    monkeypatch.setenv("KOLBA_DB__PORT", "5432")
    monkeypatch.setenv("KOLBA_CACHE__REDIS__DB", "2")
    config = Config(".")
    config["DB"] = {"USER": "kolba"}
    config.from_prefixed_env()
    assert config["DB"] == {"USER": "kolba", "HOST": "localhost", "PORT": 5432}
    assert config["CACHE"] == {"REDIS": {"DB": 2}}


def test_from_prefixed_env_other_prefix_and_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MYAPP_COUNT", "3")
    config = Config(".")
    config.from_prefixed_env("MYAPP", loads=lambda value: f"<{value}>")
    assert config == {"COUNT": "<3>"}


# get_namespace ---------------------------------------------------------------


def test_get_namespace() -> None:
    config = Config(".")
    config.from_mapping(
        IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/var/app/images", OTHER=1
    )
    assert config.get_namespace("IMAGE_STORE_") == {
        "type": "fs",
        "path": "/var/app/images",
    }
    assert config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/var/app/images",
    }
    assert config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/var/app/images",
    }
