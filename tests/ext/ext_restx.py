"""flask-restx: a resource, its model, and the Swagger JSON."""

from flask import Flask
from flask_restx import Api, Resource, fields


def test_resource_and_swagger() -> None:
    app = Flask(__name__)
    api = Api(app, title="Todos", doc="/docs/")
    ns = api.namespace("todos")
    todo = api.model("Todo", {"id": fields.Integer, "task": fields.String})
    todos = {1: {"id": 1, "task": "write"}}

    @ns.route("/<int:id>")
    class Todo(Resource):
        @ns.marshal_with(todo)
        def get(self, id: int) -> object:
            return todos.get(id) or api.abort(404, "no such todo")

    client = app.test_client()
    assert client.get("/todos/1").json == {"id": 1, "task": "write"}
    assert client.get("/todos/2").status_code == 404
    spec = client.get("/swagger.json").json
    assert spec["info"]["title"] == "Todos"
    assert "/todos/{id}" in spec["paths"]
    assert spec["paths"]["/todos/{id}"]["parameters"][0]["type"] == "integer"
    assert "Todo" in spec["definitions"]
    assert client.get("/docs/").status_code == 200
