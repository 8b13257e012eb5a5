"""``app.config``: a dict with ways to load settings from files and objects.

Every loader keeps only UPPERCASE names, so a settings file or module can use
lowercase names for its own helpers.
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t
import weakref

from werkzeug.utils import import_string

from .helpers import _after_changes, _yes_or_no

#: ``OSError`` numbers that mean "there is no such file": what ``silent=True``
#: forgives. A Python config file also forgives a path through a non-directory.
_NO_FILE = frozenset({errno.ENOENT, errno.EISDIR})
_NO_PYFILE = _NO_FILE | {errno.ENOTDIR}


T = t.TypeVar("T")


class ConfigAttribute(t.Generic[T]):
    """An app attribute that reads and writes a config key (of type ``T``)."""

    def __init__(
        self, name: str, get_converter: t.Callable[[t.Any], T] | None = None
    ) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> ConfigAttribute[T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: t.Any, owner: type | None = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        convert = self.get_converter
        value = obj.config[self.__name__]
        return value if convert is None else convert(value)

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj.config[self.__name__] = value


class _Watcher(t.Protocol):
    def _config_changed(self) -> None: ...


class Config(dict[str, t.Any]):
    """The app's settings; relative file names are read from ``root_path``.

    It tells the apps that watch it after each change made through its
    methods (an app decides once what a setting spares its requests; see
    :func:`tells_changes`). A copy is watched by nobody."""

    #: The apps to tell of a change (a WeakSet from the first one).
    _watchers: t.Collection[_Watcher] = ()

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: dict[str, t.Any] | None = None,
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path
        _tell_watchers(self)  # (called again on a config, it changes it)

    def _watch(self, watcher: _Watcher) -> None:
        """Tell ``watcher`` (held weakly) of every change from now on."""
        if not self._watchers:
            self._watchers = weakref.WeakSet()
        self._watchers.add(watcher)  # type: ignore[attr-defined]

    def __getstate__(self) -> dict[str, t.Any]:
        # a copy or a pickle is watched by nobody
        return {k: v for k, v in vars(self).items() if k != "_watchers"}

    # files ------------------------------------------------------------------

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Execute a Python file and take its UPPERCASE names."""
        return self._load(
            filename, _run_python, self.from_object, silent=silent, forgiven=_NO_PYFILE
        )

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` (``json.load``, ``tomllib.load`` with
        ``text=False``) and take its UPPERCASE keys."""
        return self._load(
            filename,
            lambda path, file: load(file),
            self.from_mapping,
            binary=not text,
            silent=silent,
            forgiven=_NO_FILE,
        )

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable."""
        path = os.environ.get(variable_name)
        if path:
            return self.from_pyfile(path, silent=silent)
        if silent:
            return False
        raise RuntimeError(
            f"Cannot load the config named by ${variable_name}: it is not"
            " set. Set it to the path of a config file, or pass silent=True."
        )

    def _load(
        self,
        filename: str | os.PathLike[str],
        parse: t.Callable[[str, t.IO[t.Any]], t.Any],
        take: t.Callable[[t.Any], object],
        *,
        binary: bool = True,
        silent: bool,
        forgiven: frozenset[int],
    ) -> bool:
        """Open ``filename``, ``parse`` it and ``take`` the result; the one
        place where a file's ``OSError`` is explained, or forgiven when
        ``silent`` and its number is in ``forgiven``."""
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "rb" if binary else "r") as file:
                settings = parse(path, file)
        except OSError as error:
            if silent and error.errno in forgiven:
                return False
            error.strerror = f"Cannot read the config file: {error.strerror}"
            raise
        take(settings)
        return True

    # objects, mappings and the environment ------------------------------------

    def from_object(self, obj: object | str) -> None:
        """Take the UPPERCASE attributes of an object, or of an import path."""
        source = import_string(obj) if isinstance(obj, str) else obj
        for name in dir(source):
            if name.isupper():
                self[name] = getattr(source, name)

    def from_mapping(
        self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any
    ) -> bool:
        """Take the UPPERCASE keys of a mapping and of keywords (which win)."""
        for key, value in dict(mapping or (), **kwargs).items():
            if key.isupper():
                self[key] = value
        return True

    def from_prefixed_env(
        self,
        prefix: str | None = None,
        *,
        loads: t.Callable[[str], t.Any] = json.loads,
    ) -> bool:
        """Load ``PREFIX_KEY`` variables, in sorted order; a value is passed
        through ``loads`` (JSON by default) and kept as text if that fails.
        Without a prefix both ``FLASK_`` and ``KOLBA_`` are read, ``KOLBA_``
        winning, so that a Flask app's ``FLASK_SECRET_KEY`` is not dropped.

        ``PREFIX_A__B`` sets ``config["A"]["B"]``, making ``config["A"]`` a
        dict if it is missing. ``PREFIX_DEBUG`` that is no JSON is read as the
        debug variables are (``N``, ``off``: False; not a yes or no: an error).
        """
        for start in ("FLASK_", "KOLBA_") if prefix is None else (f"{prefix}_",):
            for name in sorted(os.environ):
                if name.startswith(start):
                    *parents, key = name[len(start) :].split("__")
                    target: dict[str, t.Any] = self
                    for parent in parents:
                        target = _subdict(target, parent)
                    value = _parsed(loads, os.environ[name])
                    if key == "DEBUG" and not parents and isinstance(value, str):
                        # ("N", "off": debug off, as the debug variables read;
                        # any other word an error, never the debugger on)
                        value = _yes_or_no(name, value)
                    target[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """The keys that start with ``namespace``, e.g. ``"IMAGE_STORE_"``."""

        def rename(key: str) -> str:
            if trim_namespace:
                key = key[len(namespace) :]
            return key.lower() if lowercase else key

        return {rename(k): v for k, v in self.items() if k.startswith(namespace)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {super().__repr__()}>"


#: The methods of dict that change it: each of Config's tells its watchers
#: (as Config.__init__ does: called again, it changes the config).
_CHANGES = (
    "__setitem__",
    "__delitem__",
    "__ior__",
    "update",
    "setdefault",
    "pop",
    "popitem",
    "clear",
)


def _tell_watchers(config: Config) -> None:
    for watcher in tuple(config._watchers):
        watcher._config_changed()


_after_changes(Config, _CHANGES, _tell_watchers)
#: How Config is read and changed, as defined here (not __init__: a subclass's
#: own makes a config that nobody watches yet).
_OWN = {
    name: getattr(Config, name, None)
    for name in (*_CHANGES, "__getitem__", "__missing__")
}


def tells_changes(config: object) -> bool:
    """Whether ``config`` tells its watchers of every change and is read as
    a dict: a kolba Config whose class (a subclass, or Config patched since)
    changes none of the methods that read or change it. Any other config is
    read on every request."""
    cls = type(config)
    return issubclass(cls, Config) and all(
        getattr(cls, name, None) is own for name, own in _OWN.items()
    )


def _run_python(path: str, file: t.IO[bytes]) -> types.ModuleType:
    """The module made by executing the Python source in ``file``."""
    module = types.ModuleType("config")
    module.__file__ = path
    exec(compile(file.read(), path, "exec"), module.__dict__)
    return module


def _subdict(mapping: dict[str, t.Any], key: str) -> dict[str, t.Any]:
    """``mapping[key]``, set to a new empty dict first if it is missing."""
    if key not in mapping:
        mapping[key] = {}
    sub: dict[str, t.Any] = mapping[key]
    return sub


def _parsed(loads: t.Callable[[str], t.Any], text: str) -> t.Any:
    """``loads(text)``, or ``text`` itself when it does not parse."""
    try:
        return loads(text)
    except Exception:
        return text
