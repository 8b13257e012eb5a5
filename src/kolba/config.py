"""``app.config``: a dict with ways to load settings from files and objects."""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from werkzeug.utils import import_string


class ConfigAttribute:
    """An app attribute that reads and writes a config key."""

    def __init__(
        self, name: str, get_converter: t.Callable[[t.Any], t.Any] | None = None
    ) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict):
    """Settings: only UPPERCASE keys are taken from objects and files."""

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict | None = None):
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable."""
        rv = os.environ.get(variable_name)
        if not rv:
            if silent:
                return False
            raise RuntimeError(
                f"Cannot load the config named by ${variable_name}: it is not"
                " set. Set it to the path of a config file, or pass silent=True."
            )
        return self.from_pyfile(rv, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "KOLBA", *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load ``PREFIX_KEY`` variables; values are parsed as JSON if they can be.

        ``PREFIX_A__B`` sets ``config["A"]["B"]``.
        """
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: t.Any = os.environ[key]
            key = key.removeprefix(prefix)
            try:
                value = loads(value)
            except Exception:
                pass
            if "__" not in key:
                self[key] = value
                continue
            current: dict = self
            *parts, tail = key.split("__")
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value
        return True

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Execute a Python file and take its UPPERCASE names."""
        filename = os.path.join(self.root_path, filename)
        d = types.ModuleType("config")
        d.__file__ = str(filename)
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), d.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Cannot read the config file: {e.strerror}"
            raise
        self.from_object(d)
        return True

    def from_object(self, obj: object | str) -> None:
        """Take the UPPERCASE attributes of an object, or of an import path."""
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` (``json.load``, ``tomllib.load`` with
        ``text=False``) and take its UPPERCASE keys."""
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Cannot read the config file: {e.strerror}"
            raise
        return self.from_mapping(obj)

    def from_mapping(
        self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any
    ) -> bool:
        """Take the UPPERCASE keys of a mapping and of keywords."""
        mappings: dict[str, t.Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """The keys that start with ``namespace``, e.g. ``"IMAGE_STORE_"``."""
        rv = {}
        for k, v in self.items():
            if not k.startswith(namespace):
                continue
            key = k[len(namespace) :] if trim_namespace else k
            rv[key.lower() if lowercase else key] = v
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
