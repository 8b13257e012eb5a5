"""File uploads (quickstart: «Загрузка файлов»).

The client's file name is never trusted: ``secure_filename()`` makes it safe
to store. Files go to ``UPLOAD_FOLDER`` (``uploads/`` in the instance folder
by default, instead of the seed's ``/var/www/uploads/``).
"""

import os

from werkzeug.utils import secure_filename

from kolba import Flask, abort, request

app = Flask(__name__)
app.config['UPLOAD_FOLDER'] = os.path.join(app.instance_path, 'uploads')
app.config['MAX_CONTENT_LENGTH'] = 1024 * 1024


@app.route('/upload', methods=['GET', 'POST'])
def upload_file():
    if request.method == 'POST':
        f = request.files['the_file']
        filename = secure_filename(f.filename or '')
        if not filename:
            abort(400, 'The file has no usable name.')
        os.makedirs(app.config['UPLOAD_FOLDER'], exist_ok=True)
        f.save(os.path.join(app.config['UPLOAD_FOLDER'], filename))
        return 'Saved %s' % filename
    return '''
        <form method="post" enctype="multipart/form-data">
            <p><input type=file name=the_file>
            <p><input type=submit value=Upload>
        </form>
    '''
