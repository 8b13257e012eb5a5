"""A module with no application."""

value = 42
