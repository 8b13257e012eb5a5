"""Variable rules (quickstart: «Правила для переменных маршрутов»)."""

from markupsafe import escape

from kolba import Flask

app = Flask(__name__)


@app.route('/user/<username>')
def show_user_profile(username):
    # show the profile of this user
    return 'User %s' % escape(username)


@app.route('/post/<int:post_id>')
def show_post(post_id):
    # show the post with the given id, the id is an integer
    return 'Post %d' % post_id


@app.route('/path/<path:subpath>')
def show_subpath(subpath):
    # show the subpath after /path/
    return 'Subpath %s' % escape(subpath)
