"""HTTP methods (quickstart: «HTTP-методы»).

A route answers GET only by default; ``methods`` adds others. HEAD and
OPTIONS are answered automatically.
"""

from kolba import Flask, request

app = Flask(__name__)


def do_the_login():
    return 'Logged in as %s' % request.form.get('username', 'nobody')


def show_the_login_form():
    return '<form method="post"><input name="username"><button>Login</button></form>'


@app.route('/login', methods=['GET', 'POST'])
def login():
    if request.method == 'POST':
        return do_the_login()
    else:
        return show_the_login_form()
