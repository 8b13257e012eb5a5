"""URL building (quickstart: «Создание URL»).

Importing or running this module prints::

    /
    /login
    /login?next=/
    /user/John%20Doe
"""

from markupsafe import escape

from kolba import Flask, url_for

app = Flask(__name__)


@app.route('/')
def index():
    return 'index'


@app.route('/login')
def login():
    return 'login'


@app.route('/user/<username>')
def profile(username):
    return '{}\'s profile'.format(escape(username))


with app.test_request_context():
    print(url_for('index'))
    print(url_for('login'))
    print(url_for('login', next='/'))
    print(url_for('profile', username='John Doe'))
