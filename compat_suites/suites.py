"""The published test suites run against kolba: Flask's own and extensions'.

Each suite's tests come from its sdist on PyPI at the pinned version (only
sdists that ship their tests are listed); the package itself and its test
dependencies are installed by ``requirements.txt`` beside this file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    name: str  # the PyPI name
    version: str
    paths: tuple[str, ...] = ("tests",)  # test paths inside the unpacked sdist
    args: tuple[str, ...] = ()  # extra pytest arguments
    timeout: int = 300


SUITES: tuple[Suite, ...] = (
    Suite("flask", "3.1.3"),
    Suite("flask-login", "0.6.3"),
    Suite("flask-wtf", "1.3.0"),
    Suite("flask-sqlalchemy", "3.1.1"),
    Suite("flask-cors", "6.0.5"),
    Suite(
        "flask-caching",
        "2.5.1",
        # memcached (pylibmc) and the Redis sentinel/cluster need servers we
        # do not run; the in-process and file caches are what touch Flask.
        args=("-k", "not memcache and not Memcache and not sentinel and not cluster"),
    ),
    Suite(
        "flask-limiter",
        "4.1.1",
        # its storage tests start Redis, Memcached and MongoDB with docker
        args=("--ignore=tests/test_storage.py",),
    ),
    Suite("flask-restx", "1.3.2"),
    Suite("flask-migrate", "4.1.0"),
    Suite("flask-httpauth", "4.8.1"),
    Suite("flask-jwt-extended", "4.7.4"),
    Suite("flask-socketio", "5.7.0", paths=("test_socketio.py",)),
    Suite("flask-smorest", "0.47.0"),
    Suite(
        "flask-admin",
        "2.2.1",
        # the MongoDB, Peewee, PostGIS and PostgreSQL backends need servers
        paths=("flask_admin/tests",),
        args=(
            "--ignore=flask_admin/tests/mongoengine",
            "--ignore=flask_admin/tests/pymongo",
            "--ignore=flask_admin/tests/peeweemodel",
            "--ignore=flask_admin/tests/geoa",
            "--ignore=flask_admin/tests/sqla/test_postgres.py",
            # and these, S3 and Azure clients
            "--ignore=flask_admin/tests/fileadmin/test_fileadmin_s3.py",
            "--ignore=flask_admin/tests/fileadmin/test_fileadmin_azure.py",
        ),
    ),
    Suite("flask-compress", "1.25"),
    Suite("flask-talisman", "1.1.0", paths=("flask_talisman/talisman_test.py",)),
    Suite("flask-restful", "0.3.10"),
    Suite("flask-marshmallow", "1.5.0"),
    Suite("flask-moment", "1.0.6"),
    Suite("flask-injector", "0.15.0", paths=("flask_injector/tests.py",)),
    Suite("flask-openapi3", "4.3.2"),
    Suite("frozen-flask", "1.0.2"),
    Suite("apiflask", "3.1.2"),
    Suite("flask-dance", "7.1.0"),
    # written for nose: its test classes' setup() and teardown() are called
    Suite("flask-assets", "2.1.0", args=("-p", "nose_methods")),
    Suite("flask-sse", "1.0.0"),
    Suite("flask-sock", "0.7.0"),
    # Flask-Mail's newest sdist (0.10.0) ships no tests
    Suite("flask-mail", "0.9.1", paths=("tests.py",)),
)
