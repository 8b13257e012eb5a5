"""Static files and templates (quickstart: «Статические файлы», «Шаблоны»).

``static/style.css`` is served at ``/static/style.css``;
``templates/hello.html`` is rendered with Jinja2, autoescaping ``name``.
"""

from kolba import Flask, render_template

app = Flask(__name__)


@app.route('/hello/')
@app.route('/hello/<name>')
def hello(name=None):
    return render_template('hello.html', name=name)
