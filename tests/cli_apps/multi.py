"""Two applications: the command cannot choose."""

from kolba import Flask

first = Flask("first")
second = Flask("second")
