"""WSGI entry point for gunicorn and the ``flask`` command: the app built from the environment."""

import sys

from app.core.config import ConfigError
from app.web.factory import create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"Storeflow cannot start: {exc}")
