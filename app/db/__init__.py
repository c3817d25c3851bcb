"""The data floor: the declarative base, the models and the database handle. Imports only core."""

from app.db.base import Base, affected_rows
from app.db.handle import db

__all__ = ["Base", "affected_rows", "db"]
