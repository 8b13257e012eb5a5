"""flask-smorest: a MethodView resource with a schema, and its OpenAPI spec."""

import marshmallow as ma
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint


class Pet(ma.Schema):
    name = ma.fields.String()


def test_resource_and_openapi() -> None:
    app = Flask(__name__)
    app.config.update(
        API_TITLE="Pets", API_VERSION="1", OPENAPI_VERSION="3.0.2",
        OPENAPI_URL_PREFIX="/",
    )  # fmt: skip
    api = Api(app)
    pets = Blueprint("pets", "pets", url_prefix="/pets")

    @pets.route("/<int:pet_id>")
    class PetView(MethodView):
        @pets.response(200, Pet)
        def get(self, pet_id: int) -> object:
            return {"name": f"pet {pet_id}"}

    api.register_blueprint(pets)
    client = app.test_client()
    assert client.get("/pets/3").json == {"name": "pet 3"}
    spec = client.get("/openapi.json").json
    parameter = spec["paths"]["/pets/{pet_id}"]["parameters"][0]
    assert parameter["name"] == "pet_id" and parameter["schema"]["type"] == "integer"
