"""Flask extensions, created unbound so the app factory can attach them to each app."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db.base import Base

# Flask-SQLAlchemy manages the engine and the app-scoped session over the plain models' metadata.
sqlalchemy = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
