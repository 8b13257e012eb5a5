"""Message flashing (quickstart: «Быстрая отправка сообщений»).

A message flashed with ``flash()`` is shown by the next request (and only
that one) through ``get_flashed_messages()`` in the template.
"""

from kolba import Flask, flash, redirect, render_template, request, url_for

app = Flask(__name__)
app.secret_key = b'flashing needs a session: change this key'


@app.route('/', methods=['GET', 'POST'])
def index():
    if request.method == 'POST':
        name = request.form.get('name', '').strip()
        if name:
            flash('Hello, %s!' % name)
        else:
            flash('Please enter a name.', 'error')
        return redirect(url_for('index'))
    return render_template('flashing.html')
