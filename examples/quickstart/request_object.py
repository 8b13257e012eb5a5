"""The request object (quickstart: «Доступ к данным запроса», «Объект запроса»).

``request.method``, ``request.form`` (a missing key is a 400) and
``request.args``.
"""

import hmac

from markupsafe import escape

from kolba import Flask, render_template, request

app = Flask(__name__)

# One demo account; a real application keeps hashed passwords in a database.
USERS = {'alice': 'wonderland'}


def valid_login(username, password):
    expected = USERS.get(username)
    return expected is not None and hmac.compare_digest(expected, password)


def log_the_user_in(username):
    return 'Welcome, %s!' % username


@app.route('/login', methods=['POST', 'GET'])
def login():
    error = None
    if request.method == 'POST':
        if valid_login(request.form['username'],
                       request.form['password']):
            return log_the_user_in(request.form['username'])
        else:
            error = 'Invalid username/password'
    # the code below is executed if the request method
    # was GET or the credentials were invalid
    return render_template('login.html', error=error)


@app.route('/search')
def search():
    searchword = request.args.get('key', '')
    return 'Searching for %s' % escape(searchword)
