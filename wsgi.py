"""WSGI entry point for gunicorn and the ``flask`` command: the app built from the environment."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"Storeflow cannot start: {exc}")
