"""Flask-Admin: the admin index and a custom view, rendered from its templates."""

from flask import Flask
from flask_admin import Admin, BaseView, expose
from flask_babel import Babel


class Report(BaseView):
    @expose("/")
    def index(self) -> str:
        return "the report"


def test_admin_pages() -> None:
    app = Flask(__name__)
    app.secret_key = "a-long-enough-test-secret-key"
    Babel(app)  # installed beside it: Flask-Admin then translates through it
    admin = Admin(app, name="Shop")
    admin.add_view(Report(name="Report", endpoint="report"))
    client = app.test_client()
    index = client.get("/admin/")
    assert index.status_code == 200 and "Shop" in index.text
    assert "/admin/report/" in index.text
    assert client.get("/admin/report/").text == "the report"
