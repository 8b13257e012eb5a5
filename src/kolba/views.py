"""Class-based views: :class:`View` and :class:`MethodView`."""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import MethodNotAllowed

from .app import _call
from .globals import _request_ctx
from .scaffold import F as F

if t.TYPE_CHECKING:
    from . import typing as ft

HTTP_METHODS = frozenset(
    ("get", "post", "head", "options", "delete", "put", "trace", "patch")
)
#: Flask's name for :data:`HTTP_METHODS`.
http_method_funcs = HTTP_METHODS


class View:
    """A view as a class: subclass it, implement :meth:`dispatch_request`,
    and register ``MyView.as_view("name")`` as the view function.

    ``methods`` are the rule's default methods, ``decorators`` wrap the
    generated view function (first in the list is applied first), and
    ``init_every_request = False`` shares one instance between requests.
    """

    methods: t.ClassVar[t.Collection[str] | None] = None
    provide_automatic_options: t.ClassVar[bool | None] = None
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Handle the request; an override gets the URL variables as keyword
        arguments."""
        raise NotImplementedError

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> ft.RouteCallable:
        """A view function that runs :meth:`dispatch_request` on an instance
        made with ``class_args`` and ``class_kwargs`` (per request, unless
        ``init_every_request`` is false). ``name`` is the endpoint."""
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> t.Any:
                self = view.view_class(  # type: ignore[attr-defined]
                    *class_args, **class_kwargs
                )
                return _call(self.dispatch_request, **kwargs)

        else:
            instance = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> t.Any:
                return _call(instance.dispatch_request, **kwargs)

        view.__name__ = name
        view.__qualname__ = name
        view.__module__ = cls.__module__
        view.__doc__ = cls.__doc__
        for decorator in cls.decorators:
            view = decorator(view)
        # the attributes go on the outermost function, which is what is registered
        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__module__ = cls.__module__
        view.__doc__ = cls.__doc__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """A view that dispatches to the method named after the HTTP method
    (``get``, ``post``, ...); ``methods`` is derived from those defined.
    HEAD falls back to ``get``."""

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            methods.update(getattr(base, "methods", None) or ())
        methods.update(m.upper() for m in HTTP_METHODS if hasattr(cls, m))
        if methods:
            cls.methods = methods

    def dispatch_request(self, **kwargs: t.Any) -> ft.ResponseReturnValue:
        method = _request_ctx().request.method.lower()
        handler = getattr(self, method, None)
        if handler is None and method == "head":
            handler = getattr(self, "get", None)
        if handler is None:  # listed in ``methods`` but not implemented
            allowed = {m.upper() for m in HTTP_METHODS if hasattr(self, m)}
            if "GET" in allowed:
                allowed.add("HEAD")
            raise MethodNotAllowed(valid_methods=sorted(allowed))
        rv: ft.ResponseReturnValue = handler(**kwargs)
        return rv
