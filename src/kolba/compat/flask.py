"""``import kolba.compat.flask``: from now on ``import flask`` gives kolba.

See :func:`kolba.compat.install_flask`.
"""

from . import install_flask

install_flask()
