"""Flask-DebugToolbar: its panels added to an HTML page, a redirect held."""

from flask import Flask, redirect, render_template_string, session


def test_toolbar_panels() -> None:
    from flask_debugtoolbar import DebugToolbarExtension

    app = Flask(__name__)
    panels = ("timer.TimerDebugPanel", "request_vars.RequestVarsDebugPanel",
              "config_vars.ConfigVarsDebugPanel", "template.TemplateDebugPanel",
              "logger.LoggingPanel", "route_list.RouteListDebugPanel")
    app.config.update(
        SECRET_KEY="toolbar-test-secret-key-32-bytes",
        DEBUG=True,
        # not the versions panel: it reads every installed distribution's metadata
        DEBUG_TB_PANELS=[f"flask_debugtoolbar.panels.{p}" for p in panels],
    )
    DebugToolbarExtension(app)

    @app.route("/")
    def index() -> str:
        session["seen"] = True
        app.logger.warning("logged by the view")
        return render_template_string("<html><body>{{ w }}</body></html>", w="page")

    @app.route("/away")
    def away() -> object:
        return redirect("/")

    client = app.test_client()
    page = client.get("/").text
    assert "page" in page and 'id="flDebug"' in page
    for panel in ("Timer", "RequestVars", "ConfigVars", "Template", "Logging",
                  "RouteList"):
        assert f"flDebug{panel}Panel" in page, panel
    assert "logged by the view" in page
    assert "1 rendered" in page  # the template panel saw template_rendered
    assert "/away" in page  # the route list read the URL map
    held = client.get("/away")
    assert held.status_code == 200 and "Redirect intercepted" in held.text
    assert client.get("/_debug_toolbar/static/css/toolbar.css").status_code == 200
