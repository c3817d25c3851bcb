"""WSGI entry point for gunicorn and the ``flask`` command: the app built from the environment."""

from app import create_app

app = create_app()
