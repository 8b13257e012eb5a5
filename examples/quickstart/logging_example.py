"""Logging (quickstart: «Логирование»): ``app.logger`` is a standard
``logging.Logger`` named after the application."""

from kolba import Flask, request

app = Flask(__name__)


@app.route('/apples')
def apples():
    app.logger.debug('A value for debugging')
    count = request.args.get('count', type=int)
    if count is None:
        # malformed input that the view survives: note it and carry on
        app.logger.warning('A warning occurred (%d apples)', 42)
        count = 42
    if count < 0:
        app.logger.error('An error occurred')
        return 'Negative apples are not a thing', 400
    return '%d apples' % count
