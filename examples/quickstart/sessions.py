"""Sessions (quickstart: «Сессии»), the seed's sample unchanged but for the
import.

The session is a cookie signed with the secret key: the user can read it but
not change it. Generate your own key with
``python -c 'import os; print(os.urandom(16))'`` and keep it secret.
"""

from markupsafe import escape

from kolba import Flask, redirect, request, session, url_for

app = Flask(__name__)

# Set the secret key to some random bytes. Keep this really secret!
app.secret_key = b'_5#y2L"F4Q8z\n\xec]/'


@app.route('/')
def index():
    if 'username' in session:
        return 'Logged in as %s' % escape(session['username'])
    return 'You are not logged in'


@app.route('/login', methods=['GET', 'POST'])
def login():
    if request.method == 'POST':
        session['username'] = request.form['username']
        return redirect(url_for('index'))
    return '''
        <form method="post">
            <p><input type=text name=username>
            <p><input type=submit value=Login>
        </form>
    '''


@app.route('/logout')
def logout():
    # remove the username from the session if it's there
    session.pop('username', None)
    return redirect(url_for('index'))
