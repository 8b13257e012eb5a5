"""``python -m kolba``: the ``kolba`` command."""

from .cli import main

main()
