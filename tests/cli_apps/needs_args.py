"""A factory that cannot be called without arguments."""

from kolba import Flask


def create_app(config):
    return Flask(__name__)
