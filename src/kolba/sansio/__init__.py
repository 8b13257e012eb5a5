"""The parts of the app that do no I/O, under the names of ``flask.sansio``.

kolba's :class:`~kolba.app.Flask`, :class:`~kolba.blueprints.Blueprint` and
:class:`~kolba.scaffold.Scaffold` serve as ``App``, ``Blueprint`` and
``Scaffold``, so ``isinstance(app, App)`` holds for every kolba app.
"""
