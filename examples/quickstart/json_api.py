"""APIs with JSON (quickstart: «API с JSON»): a returned dict becomes JSON;
``jsonify()`` serializes any other JSON type, such as a list."""

from dataclasses import asdict, dataclass

from kolba import Flask, jsonify, send_from_directory, url_for

app = Flask(__name__)


@dataclass
class User:
    username: str
    theme: str
    image: str

    def to_json(self):
        return asdict(self)


USERS = [User('alice', 'dark', 'alice.png'), User('bob', 'light', 'bob.png')]


def get_current_user():
    return USERS[0]


def get_all_users():
    return USERS


@app.route('/images/<path:filename>')
def user_image(filename):
    # user images live in the instance folder; a missing one is a 404
    return send_from_directory(app.instance_path, filename)


@app.route("/me")
def me_api():
    user = get_current_user()
    return {
        "username": user.username,
        "theme": user.theme,
        "image": url_for("user_image", filename=user.image),
    }


@app.route("/users")
def users_api():
    users = get_all_users()
    return jsonify([user.to_json() for user in users])
